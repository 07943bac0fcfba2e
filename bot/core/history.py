"""A race's night as a list of compact points: what the store keeps per poll in which the race's
count moved, and what the night's chart draws.

Why a point and not the snapshot: the chart needs the statewide row and the call at each
instant, a few dozen integers; the snapshot also holds every county (and, for a national
feed, seven thousand other races). Keeping points lets the store write one small row per
change and lets ``/results … chart`` read them back without decoding a snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from types import MappingProxyType

from bot.core.margins import reporting_share
from bot.core.model import CallStatus, Level, Race, ReportingUnit


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """The statewide count and the call at one instant (the feed's ``generated_at``)."""

    at: datetime
    votes: Mapping[str, int]
    precincts_reporting: int | None = None
    precincts_total: int | None = None
    #: share of the expected vote counted, 0–100 as the AP publishes ``eevp``.
    expected_vote_pct: float | None = None
    call_status: CallStatus = CallStatus.NONE
    winners: tuple[str, ...] = ()
    race_call_status: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "votes", MappingProxyType(dict(self.votes)))

    @property
    def total_votes(self) -> int:
        return sum(self.votes.values())

    @property
    def reporting_share(self) -> Fraction | None:
        return reporting_share(self.expected_vote_pct, self.precincts_reporting, self.precincts_total)

    def same_count(self, other: HistoryPoint | None) -> bool:
        """Nothing a reader would see moved: same votes, reporting figures and call."""
        return other is not None and (
            dict(self.votes),
            self.precincts_reporting,
            self.precincts_total,
            self.expected_vote_pct,
            self.call_status,
            self.winners,
            self.race_call_status,
        ) == (
            dict(other.votes),
            other.precincts_reporting,
            other.precincts_total,
            other.expected_vote_pct,
            other.call_status,
            other.winners,
            other.race_call_status,
        )


def point_of(race: Race, at: datetime) -> HistoryPoint | None:
    """The race's statewide row and call as a point; ``None`` for a race with no state row."""
    unit = race.state_unit
    if unit is None:
        return None
    return HistoryPoint(
        at=at,
        votes=unit.votes,
        precincts_reporting=unit.precincts_reporting,
        precincts_total=unit.precincts_total,
        expected_vote_pct=unit.expected_vote_pct if unit.expected_vote_pct is not None else race.expected_vote_pct,
        call_status=race.call_status,
        winners=race.winners,
        race_call_status=race.race_call_status,
    )


def race_at(race: Race, point: HistoryPoint) -> Race:
    """The race as it stood at ``point``: its candidates and rules as now, its statewide count
    and call as then, no subunits (the point has none). What the rules replay over."""
    unit = race.state_unit
    state = ReportingUnit(
        id=unit.id if unit is not None else race.state,
        level=Level.STATE,
        name=unit.name if unit is not None else race.state,
        votes=point.votes,
        precincts_reporting=point.precincts_reporting,
        precincts_total=point.precincts_total,
        expected_vote_pct=point.expected_vote_pct,
        last_updated=point.at,
    )
    return replace(
        race,
        units=(state,),
        call_status=point.call_status,
        winners=point.winners,
        race_call_status=point.race_call_status,
        expected_vote_pct=point.expected_vote_pct,
        last_updated=point.at,
    )
