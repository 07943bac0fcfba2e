"""Slack Block Kit rendering. Feed text is escaped for mrkdwn, so no feed can ping a channel.

Limits kept (Slack documents them): at most 50 blocks, section text ≤ 3,000 characters,
header text ≤ 150, context elements ≤ 10; every message also carries a plain-text ``text``
fallback (escaped too: Slack parses it for mentions). ``plain_text`` objects (the header) are
never parsed for mentions; ``<`` and ``>`` are still swapped for look-alikes there, so nothing
a feed says can read as markup anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from bot.core.events import Alert, RaceFacts
from bot.render.numbers import percent, votes
from bot.render.text import (
    CATCH_UP_MINOR,
    alert_text,
    candidate_label,
    catch_up_intro,
    catch_up_races,
    event_line,
    lead_line,
    local_time,
    race_card_text,
    race_title,
    recount_text,
    reporting_text,
    runoff_text,
    standings_line,
)

MAX_TEXT = 3000
MAX_BLOCKS = 50


def escape(text: str) -> str:
    """Slack's three control characters; with them escaped, ``<!channel>`` is inert text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """For ``plain_text`` objects: not parsed by Slack, and no angle brackets left either."""
    return text.replace("<", "‹").replace(">", "›")


def _section(text: str, *, escaped: bool = False) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text if escaped else escape(text))}}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(escape(t))} for t in texts[:10] if t]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(plain(text), 150), "emoji": False}}


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    """Clip escaped text without cutting an entity (``&amp;``) in half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


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
    if runoff := runoff_text(facts):
        lines.append(runoff)
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
    blocks = [_header(head), _section("\n".join(body))]
    return {"text": _clip(escape(text + ("\n" + "\n".join(extra_lines) if extra_lines else "")), 3900), "blocks": blocks}


# --- the live race card ---------------------------------------------------------------------

BAR_CELLS = 20
MAX_CARD_CANDIDATES = 12


def bar(share: Fraction, cells: int = BAR_CELLS) -> str:
    filled = int(share * cells + Fraction(1, 2))
    return "▇" * filled + "░" * (cells - filled)


def live_card(facts: RaceFacts) -> dict[str, Any]:
    """The live card: totals with bars, margin, reporting, status and last update.

    Edited in place as the numbers move; the alerts about the race go in its thread."""
    head = ("TEST — " if facts.test else "") + race_title(facts)
    shown = facts.candidates[:MAX_CARD_CANDIDATES]
    rows = []
    for c in shown:
        share = facts.share(c.votes)
        mark = " ✓" if c.winner else ""
        rows.append(
            f"*{escape(candidate_label(c.name, c.party))}*{mark}\n`{bar(share)}` {votes(c.votes)} · {percent(share)} %"
        )
    if len(facts.candidates) > len(shown):
        rows.append(f"_and {len(facts.candidates) - len(shown)} more candidates_")
    status = _status_line(facts)
    lines = [lead_line(facts).split(" · ")[0], reporting_text(facts), status]
    if recount := recount_text(facts):
        lines.append(recount)
    if runoff := runoff_text(facts):
        lines.append(runoff)
    blocks: list[dict[str, Any]] = [
        _header(head),
        _section("\n".join(rows) or "No candidates yet", escaped=True),
        _section("\n".join(lines)),
    ]
    if facts.updated_at:
        blocks.append(
            _context(
                f"Last update {local_time(facts.updated_at, facts.state)} · live card, edited as votes come in; alerts in the thread"
            )
        )
    return {"text": _clip(escape(race_card_text(facts)), 3900), "blocks": blocks[:MAX_BLOCKS]}


def _status_line(facts: RaceFacts) -> str:
    if facts.call_status == "called":
        winners = [c for c in facts.candidates if c.winner]
        return "Called for " + ", ".join(candidate_label(c.name, c.party) for c in winners) if winners else "Called"
    if facts.race_call_status:
        return f"Status: {facts.race_call_status}"
    return "Not called"


# --- the catch-up summary after a long outage ----------------------------------------------


def summary_message(alerts: Sequence[Alert], held_minutes: int) -> dict[str, Any]:
    """Alerts too old to replay one by one, as one message: calls and lead changes verbatim
    (with their time), the other updates counted, and each race's latest numbers."""
    intro = catch_up_intro(len(alerts), held_minutes)
    blocks: list[dict[str, Any]] = [_section(intro)]
    lines_all = [intro]
    races = catch_up_races(alerts)
    for race in races[: MAX_BLOCKS - 3]:
        lines = [f"*{escape(('TEST — ' if race.test else '') + race.title)}*"]
        lines += [f"• {escape(line)}" + (f" ({when})" if when else "") for line, when in race.moments]
        if race.minor:
            lines.append("• " + CATCH_UP_MINOR.format(n=race.minor))
        if race.standings is not None and race.lead is not None:
            lines.append(escape(race.standings))
            lines.append(escape(race.lead))
        blocks.append(_section("\n".join(lines), escaped=True))
        lines_all.append("\n".join(lines))
    if len(races) > MAX_BLOCKS - 3:
        more = f"… and {len(races) - (MAX_BLOCKS - 3)} more races; /results has the numbers"
        blocks.append(_context(more))
        lines_all.append(more)
    # The fallback is built from already-escaped pieces (and the intro, which has no feed text).
    return {"text": _clip("\n".join(lines_all).replace("*", ""), 3900), "blocks": blocks[:MAX_BLOCKS]}
