"""The digest's words: each category's headline, the intro, a state's line, a race's label and
the few words said of its news; and how long they are as Slack is sent them, the measure the
core cuts parts by (``bot.core.digest`` decides the grouping and writes no word).

The label and the note are written at queue time and kept in the outbox with the part, so a
restart sends the same text; the headlines and the intro are written when a part is rendered,
for the console (``bot.render.digest``), Slack and Discord (``bot.render.discord``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.core.digest import Digest, DigestWords, Line, Section
from bot.core.events import Event, EventKind, RaceFacts
from bot.core.names import surname
from bot.core.offices import race_office
from bot.core.states import state_name
from bot.render.slack import escape as slack_escape

#: each category's headline (``bot.core.digest.CATEGORIES`` gives their order).
HEADLINES: Mapping[str, str] = {
    "called": "Calls from the feed in {races} across {states}",
    "gains": "Seat gains in {races} across {states}",
    "leads": "New leaders in {races} across {states}",
    "arithmetic": "The count's arithmetic (not calls) in {races} across {states}",
    "first_votes": "First votes in {races} across {states}",
    "all_in": "Counting complete in {races} across {states}",
    "milestones": "Reporting milestones in {races} across {states}",
    "status": "Status changes in {races} across {states}",
    "counties": "County results in {races} across {states}",
}

# Block Kit: 50 blocks (one intro, one closing context, the rest sections) and 3,000 characters
# per section text; a margin for the headline's "(continued)" and rounding.
SECTION_CHARS = 2900
SECTIONS_PER_PART = 46
_LABEL_CHARS = 100
_NOTE_CHARS = 80


def headline(category: str, races: int, states: int) -> str:
    return HEADLINES[category].format(races=_count(races, "race"), states=_count(states, "state"))


def intro(digest: Digest) -> str:
    part = f" (part {digest.part} of {digest.parts})" if digest.parts > 1 else ""
    return f"{'TEST — ' if digest.test else ''}News in {_count(digest.races, 'race')} across {_count(digest.states, 'state')}{part}"


def line_text(line: Line, escape: Callable[[str], str] = lambda t: t, bold: bool = False) -> str:
    """'*Alabama* (2): U.S. House, District 1 — Jones (Dem); U.S. Senate' (bold for Slack)."""
    name = escape(state_name(line.state))
    head = (f"*{name}*" if bold else name) + (" (continued)" if line.continued else "")
    return f"{head}: " + "; ".join(escape(item.label + (f" — {item.note}" if item.note else "")) for item in line.items)


def section_lines(
    section: Section, totals: Mapping[str, tuple[int, int]], escape: Callable[[str], str] = lambda t: t, bold: bool = False
) -> list[str]:
    """A section's text: its category's headline, then one line per state."""
    category = section.lines[0].category
    races, states = totals[category]
    head = escape(headline(category, races, states)) + (" (continued)" if section.continued else "")
    return [f"*{head}*" if bold else head, *(line_text(ln, escape, bold) for ln in section.lines)]


class SlackMeasuredWords:
    """:class:`bot.core.digest.DigestWords` as sent: measured in Slack's escaped, bold mrkdwn,
    the longest of the platforms' texts, so a part fits Slack's message and Discord's as well."""

    section_limit = SECTION_CHARS
    line_limit = SECTION_CHARS - 200  # the headline (at most ~120 characters escaped and bold) and the newline
    sections_per_part = SECTIONS_PER_PART

    def label(self, facts: RaceFacts) -> str:
        label = race_office(facts.office, facts.seat, facts.party)
        if facts.county:
            label = f"{facts.county}: {label}"
        if facts.test:
            label = f"TEST {label}"
        return _clip(label, _LABEL_CHARS)

    def note(self, category: str, events: Sequence[Event], facts: RaceFacts) -> str | None:
        if category == "counties":
            return _count(len({e.details.get("unit") for e in events}), "county")
        words: list[str] = []
        for event in events:
            note = _note(event, facts)
            if note and note not in words:
                words.append(note)
        return _clip(", ".join(words), _NOTE_CHARS) if words else None

    def line_size(self, line: Line) -> int:
        return len(line_text(line, slack_escape, True))

    def section_size(self, section: Section, totals: Mapping[str, tuple[int, int]]) -> int:
        return len("\n".join(section_lines(section, totals, slack_escape, True)))


#: the words every digest is built with (``bot.delivery.grouping`` passes them to ``plan``).
DIGEST_WORDS: DigestWords = SlackMeasuredWords()


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(facts: RaceFacts, cid: Any) -> str:
    cand = facts.candidate(str(cid))
    if cand is None:
        return str(cid)
    return surname(cand.name) + (f" ({cand.party})" if cand.party and not cand.pseudo else "")


def _note(event: Event, facts: RaceFacts) -> str | None:
    d, k = event.details, event.kind
    try:
        if k is EventKind.RACE_CALLED:
            return ", ".join(_name(facts, w) for w in d.get("winners") or ())
        if k is EventKind.RUNOFF:
            return "runoff: " + " and ".join(_name(facts, c) for c in d.get("candidates") or ())
        if k is EventKind.SEAT_GAIN:
            return f"{d.get('party')} gain"
        if k is EventKind.LEAD_CHANGE:
            return f"{_name(facts, d['leader'])} overtakes {_name(facts, d['previous_leader'])}"
        if k is EventKind.TAKES_LEAD:
            return f"{_name(facts, d['leader'])} leads"
        if k is EventKind.MILESTONE:
            return f"{d['percent']} % reporting"
        if k is EventKind.STATUS_CHANGED:
            return str(d.get("status"))
        if k is EventKind.FLIP_INDICATION:
            return "flip indicated" if d.get("flips") else "flip indication withdrawn"
        return _ARITHMETIC.get(k)
    except (KeyError, TypeError):  # odd details cost the note, never the race's place in the list
        return None


_ARITHMETIC = {
    EventKind.RUNOFF_HEADED: "headed for a runoff",
    EventKind.RUNOFF_PAIR: "runoff pair settled",
    EventKind.RUNOFF_AVOIDED: "avoids a runoff",
    EventKind.RUNOFF_WITHDRAWN: "runoff withdrawn",
    EventKind.OUT_OF_REACH: "lead out of reach",
}


__all__ = ["DIGEST_WORDS", "HEADLINES", "SlackMeasuredWords", "headline", "intro", "line_text", "section_lines"]
