"""The night's story from a race's history: the margin over the night and its moments.

The moments (a lead change, entering and leaving the recount zone, write-ins exceeding the
margin, the call) are found by replaying the alert rules (``bot.core.rules.evaluate``) over the
stored points, from a fresh memory: the chart marks exactly what the channel was told, with the
same thresholds, hysteresis and reporting gates, and no threshold of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from typing import Any

from bot.core.context import ContextSettings
from bot.core.events import EventKind
from bot.core.history import HistoryPoint, race_at
from bot.core.model import Candidate, Race
from bot.core.rules import RaceMemory, RuleSettings, applicable_recount_rule, evaluate
from bot.core.swing import party_candidates

#: The alerts the chart marks, in the order a legend lists them.
MOMENT_KINDS = (
    EventKind.LEAD_CHANGE,
    EventKind.RECOUNT_ENTERED,
    EventKind.RECOUNT_LEFT,
    EventKind.WRITE_INS_EXCEED_MARGIN,
    EventKind.RACE_CALLED,
)


@dataclass(frozen=True, slots=True)
class Moment:
    kind: EventKind
    at: datetime
    #: the history point it happened at (the chart's x is that point's time)
    index: int
    #: the leader then (a lead change: the new leader; a call: the first winner)
    candidate_id: str | None = None


@dataclass(frozen=True, slots=True)
class MarginSeries:
    """The margin of ``first`` over ``second`` at each point, as a share of all votes (``None``
    before any vote). The pair is fixed for the whole night so the line's sign means one thing:
    the Democrat over the Republican where the race has one of each, else the two leading named
    candidates at the last point."""

    first: Candidate
    second: Candidate
    margins: tuple[Fraction | None, ...]
    reporting: tuple[Fraction | None, ...]


def margin_pair(race: Race, history: Sequence[HistoryPoint]) -> tuple[Candidate, Candidate] | None:
    pair = party_candidates(race)
    if pair is not None:
        return pair
    named = [c for c in race.candidates if not c.pseudo]
    if len(named) < 2:
        return None
    last = history[-1].votes if history else {}
    order = {c.id: i for i, c in enumerate(race.candidates)}
    named.sort(key=lambda c: (-last.get(c.id, 0), order[c.id]))
    return named[0], named[1]


def margin_series(race: Race, history: Sequence[HistoryPoint]) -> MarginSeries | None:
    """``None`` when the race has fewer than two named candidates (nothing to draw a margin of)."""
    pair = margin_pair(race, history)
    if pair is None:
        return None
    first, second = pair
    margins = tuple(
        Fraction(p.votes.get(first.id, 0) - p.votes.get(second.id, 0), p.total_votes) if p.total_votes else None
        for p in history
    )
    return MarginSeries(first, second, margins, tuple(p.reporting_share for p in history))


def night_moments(race: Race, history: Sequence[HistoryPoint], settings: RuleSettings) -> tuple[Moment, ...]:
    """The moments of ``MOMENT_KINDS`` the rules find replaying ``history`` from a fresh memory."""
    # Context (baselines, seats) only adds swing, gain and balance lines: none is a moment.
    quiet = replace(settings, context=ContextSettings())
    memory = RaceMemory()
    previous: Race | None = None
    found: list[Moment] = []
    for index, point in enumerate(history):
        now = race_at(race, point)
        result = evaluate("history", previous, now, memory, quiet, at=point.at)
        memory, previous = result.memory, now
        for event in result.events:
            if event.kind in MOMENT_KINDS:
                found.append(Moment(event.kind, point.at, index, _candidate(event.kind, event.details)))
    return tuple(found)


def recount_threshold(race: Race, settings: RuleSettings) -> Fraction | None:
    """The state's automatic-recount line as a share (Alabama: 1/200), or ``None`` where none applies."""
    rule = applicable_recount_rule(race, settings)
    return rule.threshold if rule is not None else None


def _candidate(kind: EventKind, details: Mapping[str, Any]) -> str | None:
    if kind is EventKind.RACE_CALLED:
        winners = details.get("winners") or []
        return str(winners[0]) if winners else None
    leader = details.get("leader")
    return str(leader) if leader is not None else None
