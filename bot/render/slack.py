"""Slack Block Kit rendering. Feed text is escaped for mrkdwn, so no feed can ping a channel.

Limits kept (Slack documents them): at most 50 blocks, section text ≤ 3,000 characters,
context elements ≤ 10; every message also carries a plain-text ``text`` fallback.
"""

from __future__ import annotations

from typing import Any

from bot.events import Alert, RaceFacts
from bot.render.text import alert_text, event_line, lead_line, local_time, race_card_text, race_title, recount_text, standings_line

MAX_TEXT = 3000
MAX_BLOCKS = 50


def escape(text: str) -> str:
    """Slack's three control characters; with them escaped, ``<!channel>`` is inert text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(escape(text))}}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(escape(t))} for t in texts[:10] if t]}


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_message(alert: Alert) -> dict[str, Any]:
    """``chat.postMessage`` arguments (text + blocks) for one coalesced alert."""
    facts = alert.facts
    stamp = "TEST — " if alert.test else ""
    title = race_title(facts) if facts else f"Feed {alert.feed}"
    first = event_line(alert.events[0], facts)
    blocks: list[dict[str, Any]] = [_section(f"{stamp}*{title}*: {first}")]
    rest = [f"• {event_line(e, facts)}" for e in alert.events[1:]]
    if rest:
        blocks.append(_section("\n".join(rest)))
    if facts:
        blocks.extend(_numbers_blocks(facts))
    return {"text": _clip(escape(alert_text(alert)), 3900), "blocks": blocks[:MAX_BLOCKS]}


def _numbers_blocks(facts: RaceFacts) -> list[dict[str, Any]]:
    lines = [standings_line(facts), lead_line(facts)]
    if recount := recount_text(facts):
        lines.append(recount)
    blocks = [_section("\n".join(lines))]
    if facts.updated_at:
        blocks.append(_context(f"As of {local_time(facts.updated_at, facts.state)}"))
    return blocks


def race_card(facts: RaceFacts, extra_lines: list[str] | None = None) -> dict[str, Any]:
    """The /results answer and the live card: the same numbers as the alerts, from the same code."""
    text = race_card_text(facts)
    lines = text.split("\n")
    head, body = lines[0], lines[1:]
    if extra_lines:
        body.extend(extra_lines)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(head, 150), "emoji": False}},
        _section("\n".join(body)),
    ]
    return {"text": _clip(escape(text + ("\n" + "\n".join(extra_lines) if extra_lines else "")), 3900), "blocks": blocks}


def plain_message(text: str) -> dict[str, Any]:
    return {"text": escape(text), "blocks": [_section(text)]}
