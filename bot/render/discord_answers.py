"""A ``/results`` answer (``bot.core.answer.Answer``) as a Discord message: content and embeds.

Discord's markdown is written here and nowhere else in the answers: strong spans become
``**x**``, code spans single backticks, and every plain span is escaped, so a county, a candidate
or the asker's own words ("``**@everyone**``", "``<@&123>``") show as typed and never format or
ping. The mentions are defanged twice: ``allowed_mentions: {"parse": []}`` on every message (what
Discord honours), and a zero-width space after each ``@`` (so the text itself holds no mention).

Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits):
title 256, description 4,096, 25 fields, field value 1,024, footer 2,048, 6,000 characters across
a message's embeds, 10 embeds, content 2,000. A long list is cut at a line, with "…", never
mid-line; the message never exceeds them whatever the answer holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.answer import Answer, AnswerKind, Emphasis, Line, Span, plain_text
from bot.render.discord import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBEDS_TOTAL_MAX,
    FOOTER_MAX,
    TITLE_MAX,
    clip,
    escape,
    inert,
    party_colour,
    picture_message,
)
from bot.render.picture import Picture
from bot.render.text import race_card_text

#: ``custom_id`` of the share button: the prefix, then the query (Discord allows 100 characters).
SHARE_PREFIX = "results_share:"
CUSTOM_ID_MAX = 100
#: An ephemeral message (only the asker sees it); ``flags`` of a response's data.
EPHEMERAL = 64

NO_PINGS: dict[str, list[str]] = {"parse": []}


def unparsed(text: str) -> str:
    """For titles and footers, where Discord parses no markdown (a backslash would show): no
    mention's angle brackets and no ``@`` that could mention."""
    return inert(text.replace("<", "‹").replace(">", "›"))


def markdown(parts: Iterable[Span]) -> str:
    out = []
    for span in parts:
        if span.emphasis == Emphasis.STRONG:
            out.append(f"**{escape(span.text)}**")
        elif span.emphasis == Emphasis.CODE:
            # inside code nothing is parsed, but a backtick would end it
            out.append("`" + unparsed(span.text.replace("`", "ʹ")) + "`")
        else:
            out.append(escape(span.text))
    return "".join(out)


def _packed(lines: Sequence[str], limit: int) -> str:
    """Whole lines up to ``limit`` characters; a last line "…" says some were left out."""
    out: list[str] = []
    used = 0
    for i, text in enumerate(lines):
        text = clip(text, limit - 2)
        size = len(text) + (1 if out else 0)
        if used + size > (limit if i == len(lines) - 1 else limit - 2):
            out.append("…")
            break
        out.append(text)
        used += size
    return "\n".join(out)


def discord_message(answer: Answer, share_button: bool = True) -> dict[str, Any]:
    """The message data (``content``/``embeds``/``components``/``allowed_mentions``) for an
    answer; ``flags`` are the caller's (ephemeral or shared)."""
    kind = answer.kind
    message: dict[str, Any]
    if kind == AnswerKind.CARD:
        assert answer.facts is not None
        head, *card = race_card_text(answer.facts).split("\n")
        lines = [escape(x) for x in card] + [markdown(x) for x in answer.extra]
        message = {"embeds": [{**_embed(head, lines, None), "color": party_colour(answer.facts)}]}
    elif kind == AnswerKind.LIST:
        footer = plain_text(answer.footer) if answer.footer else None
        message = {"embeds": [_embed(answer.title or "", [markdown(x) for x in answer.lines], footer)]}
    else:
        body: Sequence[Line] = [answer.note or ()] if kind == AnswerKind.NOTE else answer.lines
        content = _packed([markdown(x) for x in body], CONTENT_MAX - 1)
        message = {"content": content if content.strip() else "…"}  # Discord refuses an empty message
    if share_button and answer.shareable and answer.query:
        custom_id = SHARE_PREFIX + answer.query
        if len(custom_id) <= CUSTOM_ID_MAX:
            message["components"] = [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 2, "label": "Share in channel", "custom_id": custom_id}],
                }
            ]
    message["allowed_mentions"] = NO_PINGS
    return message


def _embed(title: str, lines: Sequence[str], footer: str | None) -> dict[str, Any]:
    """One embed within every limit, the 6,000 across the message included (title and footer
    first, the description gets what is left)."""
    title = clip(unparsed(title), TITLE_MAX) if title.strip() else "Results"
    embed: dict[str, Any] = {"title": title}
    room = EMBEDS_TOTAL_MAX - len(title)
    if footer:
        text = clip(unparsed(footer), FOOTER_MAX)
        embed["footer"] = {"text": text}
        room -= len(text)
    description = _packed(lines, min(DESCRIPTION_MAX, room))
    if description:
        embed["description"] = description
    return embed


def picture_answer(picture: Picture) -> dict[str, Any]:
    """``/results alabama chart`` answered with the picture itself: the ``payload_json`` of the
    multipart edit of the deferred response (the PNG goes as ``files[0]``), alt text as the
    attachment's description and the embed's text; ``flags`` are the caller's."""
    return picture_message(picture)


def sorry_message(text: str) -> dict[str, Any]:
    """A plain remark (an error, a refusal) in Discord's terms."""
    return {"content": escape(clip(text, CONTENT_MAX // 2)), "allowed_mentions": NO_PINGS}
