"""A ``/results`` answer (``bot.core.answer.Answer``) as a Slack message: text plus Block Kit.

Slack's mrkdwn is written here and nowhere else in the answers: strong spans become ``*x*``,
code spans backticks, and the whole line is escaped (``&``, ``<``, ``>``) so an echoed
``<!channel>`` is inert text. Slack's limits: a section's text 3,000 characters, 50 blocks, a
header 150; a long list spans several sections, never a cut one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.answer import Answer, AnswerKind, Emphasis, Line, Span
from bot.core.commands import MAX_INPUT
from bot.render.slack import escape, race_card

SHARE_ACTION = "results_share"
#: Section text limit (Slack: 3,000) with room to spare; lists are cut to fit.
_SECTION_LIMIT = 2900
#: Sections in one list answer (Slack allows 50 blocks; the header, footer and share button
#: take three): a long list (67 counties by swing) spans several sections, never a cut one.
_MAX_SECTIONS = 20

_MARK = {Emphasis.PLAIN: "", Emphasis.STRONG: "*", Emphasis.CODE: "`"}


def mrkdwn(parts: Iterable[Span]) -> str:
    """A line in Slack's mrkdwn, before escaping."""
    return "".join(f"{_MARK[s.emphasis]}{s.text}{_MARK[s.emphasis]}" for s in parts)


def slack_message(answer: Answer, share_button: bool = True) -> dict[str, Any]:
    """The message (``text`` + ``blocks``) Slack shows for an answer; a shareable one carries a
    "Share in channel" button holding its query."""
    kind = answer.kind
    if kind == AnswerKind.CARD:
        assert answer.facts is not None
        message = race_card(answer.facts, [mrkdwn(x) for x in answer.extra])
    elif kind == AnswerKind.LIST:
        footer = mrkdwn(answer.footer) if answer.footer else None
        message = _list_message(answer.title or "", [mrkdwn(x) for x in answer.lines], footer)
    else:
        message = _plain("\n".join(mrkdwn(x) for x in _body(answer)))
    if share_button and answer.shareable:
        message["blocks"] = [*message["blocks"], _share_block(answer.query or "")]
    return message


def _body(answer: Answer) -> Sequence[Line]:
    """A note's one line, or the help's lines."""
    if answer.kind == AnswerKind.NOTE:
        return [answer.note or ()]
    return answer.lines


def _plain(text: str) -> dict[str, Any]:
    return {"text": escape(text), "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _clip(escape(text))}}]}


def _clip(text: str, limit: int = _SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sections(lines: Sequence[str]) -> list[list[str]]:
    """Lines packed into sections of at most ``_SECTION_LIMIT`` escaped characters each."""
    sections: list[list[str]] = [[]]
    used = 0
    for line in lines:
        line = _clip(line)
        size = len(escape(line)) + 1
        if used + size > _SECTION_LIMIT and sections[-1]:
            if len(sections) == _MAX_SECTIONS:
                sections[-1].append("…")
                break
            sections.append([])
            used = 0
        sections[-1].append(line)
        used += size
    return [s for s in sections if s]


def _list_message(title: str, lines: Sequence[str], footer: str | None) -> dict[str, Any]:
    sections = _sections(lines)
    body = [line for section in sections for line in section]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, 150), "emoji": False}}
    ]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": escape("\n".join(section))}} for section in sections]
    if footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(footer)}]})
    text = "\n".join([title, *body, *([footer] if footer else [])])
    return {"text": _clip(escape(text), 3900), "blocks": blocks}


def _share_block(query: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "results_share",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION,
                "text": {"type": "plain_text", "text": "Share in channel", "emoji": False},
                "value": query[:MAX_INPUT],
            }
        ],
    }
