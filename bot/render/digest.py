"""Digests and budget rollups, as console text and as Slack Block Kit.

A digest part was cut at queue time to fit one message (``bot.core.digest``): here it is only laid
out, one section per packed section, so every race it holds is listed. A rollup (the alerts a
channel's budget held back, ``bot.delivery.budget``) lists each alert it holds in one line.
Feed text is escaped for mrkdwn as everywhere else, so no feed can ping a channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.digest import Digest
from bot.core.events import Alert
from bot.render.digest_words import intro, section_lines
from bot.render.slack import MAX_BLOCKS, MAX_TEXT, _clip, _context, _section, escape
from bot.render.text import event_line, local_time, race_title

CLOSING = "Each race's numbers: /results with its state and office (/results georgia house)"


def _totals(digest: Digest) -> dict[str, tuple[int, int]]:
    return {c: (r, s) for c, r, s in digest.totals}


def _when(digest: Digest) -> str:
    """The snapshot's time in the state's zone, or Eastern time for news of several states."""
    states = {ln.state for sec in digest.sections for ln in sec.lines}
    return local_time(digest.at, states.pop() if len(states) == 1 and digest.states == 1 else "DC") if digest.at else ""


def digest_text(digest: Digest) -> str:
    """The console's digest: the intro, then each category's headline and its states."""
    when = _when(digest)
    lines = [intro(digest) + (f" · as of {when}" if when else "")]
    totals = _totals(digest)
    for section in digest.sections:
        head, *rest = section_lines(section, totals)
        if not section.continued:  # a terminal has no block to head: the list just goes on
            lines.append(f"  {head}")
        lines += [f"    {ln}" for ln in rest]
    lines.append(f"  {CLOSING}")
    return "\n".join(lines)


def digest_message(digest: Digest) -> dict[str, Any]:
    """``chat.postMessage`` arguments for one digest part (within Block Kit's limits by construction)."""
    when = _when(digest)
    totals = _totals(digest)
    blocks: list[dict[str, Any]] = [
        _section(f"*{escape(intro(digest))}*" + (f" · as of {escape(when)}" if when else ""), escaped=True)
    ]
    for section in digest.sections:
        blocks.append(_section("\n".join(section_lines(section, totals, escape, bold=True)), escaped=True))
    blocks.append(_context(CLOSING))
    heads = [section_lines(s, totals)[0] for s in digest.sections if not s.continued]
    fallback = intro(digest) + (": " + "; ".join(heads) if heads else "")
    return {"text": _clip(escape(fallback), 3900), "blocks": blocks[:MAX_BLOCKS]}


# --- the budget's rollup --------------------------------------------------------------------


def rollup_intro(alerts: Sequence[Alert], per_minute: int) -> str:
    races = len({a.race_key or f"feed:{a.feed}" for a in alerts})
    return (
        f"{len(alerts)} update{'s' if len(alerts) != 1 else ''} in {races} race{'s' if races != 1 else ''}, held back to keep this "
        f"channel under {per_minute} messages a minute:"
    )


def rollup_lines(alerts: Sequence[Alert]) -> list[str]:
    """One line per alert held: its race and its most important event (and how many more)."""
    out = []
    for alert in alerts:
        facts = alert.facts
        title = ("TEST — " if alert.test else "") + (race_title(facts) if facts else f"Feed {alert.feed}")
        more = len(alert.events) - 1
        out.append(f"{title}: {event_line(alert.events[0], facts)}" + (f" (+{more} more)" if more > 0 else ""))
    return out


def rollup_text(alerts: Sequence[Alert], per_minute: int) -> str:
    return "\n".join([rollup_intro(alerts, per_minute), *(f"  • {ln}" for ln in rollup_lines(alerts)), f"  {CLOSING}"])


def rollup_message(alerts: Sequence[Alert], per_minute: int) -> dict[str, Any]:
    """Every alert held, one line each, packed into sections of at most 3,000 characters."""
    head = rollup_intro(alerts, per_minute)
    blocks: list[dict[str, Any]] = [_section(head)]
    current: list[str] = []
    for line in (f"• {escape(ln)}" for ln in rollup_lines(alerts)):
        line = _clip(line, MAX_TEXT - 100)
        if current and len("\n".join([*current, line])) > MAX_TEXT - 100:
            blocks.append(_section("\n".join(current), escaped=True))
            current = []
        current.append(line)
    if current:
        blocks.append(_section("\n".join(current), escaped=True))
    blocks.append(_context(CLOSING))
    return {"text": _clip(escape(rollup_text(alerts, per_minute)), 3900), "blocks": blocks[:MAX_BLOCKS]}


__all__ = ["digest_message", "digest_text", "rollup_message", "rollup_text"]
