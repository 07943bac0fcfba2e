"""Events (what changed) and alerts (one message per race per poll), as plain JSON-able data.

Events are platform-neutral: the renderers in ``bot.render`` turn them into console text,
Slack blocks or Discord embeds. They carry integer facts only (votes, precincts), so a message
rendered after a restart states exactly what the data said when the event was found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import Any

from bot.core.margins import Standing


class Severity(IntEnum):
    """Order of importance inside a coalesced message, and the per-channel level filter."""

    FEED = 10
    COUNTY = 20
    MILESTONE = 30
    RECOUNT = 50
    LEAD = 70
    CALL = 90


class EventKind(StrEnum):
    FIRST_VOTES = "first_votes"
    TAKES_LEAD = "takes_lead"
    LEAD_CHANGE = "lead_change"
    RECOUNT_ENTERED = "recount_entered"
    RECOUNT_LEFT = "recount_left"
    WRITE_INS_EXCEED_MARGIN = "write_ins_exceed_margin"
    OUT_OF_REACH = "out_of_reach"
    RACE_CALLED = "race_called"
    RACE_UNCALLED = "race_uncalled"
    RUNOFF = "runoff"
    #: our reckoning from the count, never the feed's call (``bot.core.runoffs``)
    RUNOFF_HEADED = "runoff_headed"
    RUNOFF_PAIR = "runoff_pair"
    RUNOFF_AVOIDED = "runoff_avoided"
    RUNOFF_WITHDRAWN = "runoff_withdrawn"
    SEAT_GAIN = "seat_gain"
    BALANCE_OF_POWER = "balance_of_power"
    FLIP_INDICATION = "flip_indication"
    STATUS_CHANGED = "status_changed"
    MILESTONE = "milestone"
    ALL_REPORTING = "all_reporting"
    COUNTY_COMPLETE = "county_complete"
    COUNTY_BATCH = "county_batch"
    CORRECTION = "correction"
    FEED_STALE = "feed_stale"
    FEED_FAILING = "feed_failing"
    FEED_RECOVERED = "feed_recovered"


SEVERITY: Mapping[EventKind, Severity] = {
    EventKind.RACE_CALLED: Severity.CALL,
    EventKind.RACE_UNCALLED: Severity.CALL,
    EventKind.RUNOFF: Severity.CALL,
    EventKind.RUNOFF_HEADED: Severity.LEAD,
    EventKind.RUNOFF_PAIR: Severity.LEAD,
    EventKind.RUNOFF_AVOIDED: Severity.LEAD,
    EventKind.RUNOFF_WITHDRAWN: Severity.LEAD,
    EventKind.SEAT_GAIN: Severity.CALL,
    EventKind.BALANCE_OF_POWER: Severity.CALL,
    EventKind.FLIP_INDICATION: Severity.RECOUNT,
    EventKind.LEAD_CHANGE: Severity.LEAD,
    EventKind.TAKES_LEAD: Severity.LEAD,
    EventKind.RECOUNT_ENTERED: Severity.RECOUNT,
    EventKind.RECOUNT_LEFT: Severity.RECOUNT,
    EventKind.WRITE_INS_EXCEED_MARGIN: Severity.RECOUNT,
    EventKind.OUT_OF_REACH: Severity.RECOUNT,
    EventKind.STATUS_CHANGED: Severity.RECOUNT,
    EventKind.FIRST_VOTES: Severity.MILESTONE,
    EventKind.MILESTONE: Severity.MILESTONE,
    EventKind.ALL_REPORTING: Severity.MILESTONE,
    EventKind.CORRECTION: Severity.MILESTONE,
    EventKind.COUNTY_COMPLETE: Severity.COUNTY,
    EventKind.COUNTY_BATCH: Severity.COUNTY,
    EventKind.FEED_STALE: Severity.FEED,
    EventKind.FEED_FAILING: Severity.FEED,
    EventKind.FEED_RECOVERED: Severity.FEED,
}

#: Inside one severity, the order a reader wants (the lead before the recount line, …).
_PRIORITY = [
    EventKind.RACE_CALLED,
    EventKind.RACE_UNCALLED,
    EventKind.SEAT_GAIN,
    EventKind.BALANCE_OF_POWER,
    EventKind.RUNOFF,
    EventKind.RUNOFF_WITHDRAWN,
    EventKind.RUNOFF_HEADED,
    EventKind.RUNOFF_PAIR,
    EventKind.RUNOFF_AVOIDED,
    EventKind.LEAD_CHANGE,
    EventKind.TAKES_LEAD,
    EventKind.RECOUNT_ENTERED,
    EventKind.RECOUNT_LEFT,
    EventKind.WRITE_INS_EXCEED_MARGIN,
    EventKind.OUT_OF_REACH,
    EventKind.FLIP_INDICATION,
    EventKind.STATUS_CHANGED,
    EventKind.ALL_REPORTING,
    EventKind.FIRST_VOTES,
    EventKind.MILESTONE,
    EventKind.CORRECTION,
    EventKind.COUNTY_COMPLETE,
    EventKind.COUNTY_BATCH,
    EventKind.FEED_FAILING,
    EventKind.FEED_STALE,
    EventKind.FEED_RECOVERED,
]


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    id: str
    name: str
    party: str | None
    votes: int
    pseudo: bool = False
    winner: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "party": self.party,
            "votes": self.votes,
            "pseudo": self.pseudo,
            "winner": self.winner,
        }


@dataclass(frozen=True, slots=True)
class RaceFacts:
    """The numbers of a race at the moment of an event: enough to render every line of it."""

    race_key: str
    state: str
    office: str
    seat: str | None
    test: bool
    candidates: tuple[CandidateFacts, ...]  # by votes, pseudo last (as ``Standing``)
    total_votes: int
    leader_id: str | None
    runner_up_id: str | None
    lead_votes: int
    precincts_reporting: int | None
    precincts_total: int | None
    expected_vote_pct: float | None
    outstanding: int | None
    call_status: str
    race_call_status: str | None
    #: recount threshold as "num/den" (exact) and the statute it comes from, if any.
    recount_threshold: str | None = None
    recount_citation: str | None = None
    updated_at: str | None = None  # ISO UTC of the snapshot
    #: the runoff or top-two rule that covers the race (``RunoffRule.to_facts``), if any
    runoff_rule: Mapping[str, Any] | None = None
    #: a primary's party and a county feed's county (see ``Race``): every label of the race says them.
    party: str | None = None
    county: str | None = None
    #: no more named candidates than seats (see ``Race.uncontested``): no lead, margin or recount line
    uncontested: bool = False

    @property
    def leader(self) -> CandidateFacts | None:
        return self.candidate(self.leader_id)

    @property
    def runner_up(self) -> CandidateFacts | None:
        return self.candidate(self.runner_up_id)

    def candidate(self, candidate_id: str | None) -> CandidateFacts | None:
        return next((c for c in self.candidates if c.id == candidate_id), None)

    def share(self, votes: int) -> Fraction:
        return Fraction(votes, self.total_votes) if self.total_votes else Fraction(0)

    @property
    def threshold(self) -> Fraction | None:
        return Fraction(self.recount_threshold) if self.recount_threshold else None

    def to_dict(self) -> dict[str, Any]:
        """``dataclasses.asdict``'s very dict, written out: ``asdict`` walks and copies every value
        recursively, and the outbox writes dozens to thousands of facts a poll (~7 ms of an 80 ms
        national delta poll went there). The runoff rule's values are scalars (``RunoffRule.to_facts``), so
        a copy of the mapping is ``asdict``'s deep copy. tests/unit/core/test_facts_dict.py holds
        the two equal for the facts of every kind of alert."""
        return {
            "race_key": self.race_key,
            "state": self.state,
            "office": self.office,
            "seat": self.seat,
            "test": self.test,
            "candidates": tuple(c.to_dict() for c in self.candidates),
            "total_votes": self.total_votes,
            "leader_id": self.leader_id,
            "runner_up_id": self.runner_up_id,
            "lead_votes": self.lead_votes,
            "precincts_reporting": self.precincts_reporting,
            "precincts_total": self.precincts_total,
            "expected_vote_pct": self.expected_vote_pct,
            "outstanding": self.outstanding,
            "call_status": self.call_status,
            "race_call_status": self.race_call_status,
            "recount_threshold": self.recount_threshold,
            "recount_citation": self.recount_citation,
            "updated_at": self.updated_at,
            "runoff_rule": dict(self.runoff_rule) if self.runoff_rule is not None else None,
            "party": self.party,
            "county": self.county,
            "uncontested": self.uncontested,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RaceFacts:
        values = dict(data)
        values["candidates"] = tuple(CandidateFacts(**c) for c in data["candidates"])
        return cls(**values)


def _isoformat(at: datetime) -> str:
    """The snapshot's time as facts state it, written once per poll: every race of it has the same."""
    # keyed by the offset too: the same instant in two time zones is one datetime but two texts
    return _isoformat_of(at, at.utcoffset())


@lru_cache(maxsize=4)
def _isoformat_of(at: datetime, offset: timedelta | None) -> str:
    return at.isoformat()


def facts_of(
    st: Standing,
    race: Any,
    outstanding: int | None,
    threshold: Fraction | None,
    citation: str | None,
    at: datetime | None,
    *,
    runoff_rule: Mapping[str, Any] | None = None,
) -> RaceFacts:
    return RaceFacts(
        race_key=race.key,
        state=race.state,
        office=race.office,
        seat=race.seat,
        test=race.test,
        candidates=tuple(
            CandidateFacts(c.candidate_id, c.name, c.party, c.votes, c.pseudo, c.winner) for c in st.candidates
        ),
        total_votes=st.total_votes,
        leader_id=st.leader.candidate_id if st.leader else None,
        runner_up_id=st.runner_up.candidate_id if st.runner_up else None,
        lead_votes=st.lead_votes,
        precincts_reporting=st.precincts_reporting,
        precincts_total=st.precincts_total,
        expected_vote_pct=st.expected_vote_pct,
        outstanding=outstanding,
        call_status=race.call_status.value,
        race_call_status=race.race_call_status,
        recount_threshold=f"{threshold.numerator}/{threshold.denominator}" if threshold is not None else None,
        recount_citation=citation,
        updated_at=_isoformat(at) if at else None,
        runoff_rule=runoff_rule,
        party=getattr(race, "party", None),
        county=getattr(race, "county", None),
        uncontested=bool(getattr(race, "uncontested", False)),
    )


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    #: stable dedup key: the same change found again (after a restart) gets the same key.
    key: str
    feed: str
    race_key: str | None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "key": self.key,
            "feed": self.feed,
            "race_key": self.race_key,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(EventKind(data["kind"]), data["key"], data["feed"], data.get("race_key"), dict(data.get("details") or {}))


@dataclass(frozen=True, slots=True)
class Alert:
    """One message: the events of one race in one poll, most important first."""

    feed: str
    race_key: str | None
    at: str  # ISO UTC of the snapshot (or of the poll, for feed health)
    test: bool
    events: tuple[Event, ...]
    facts: RaceFacts | None

    @property
    def key(self) -> str:
        digest = hashlib.sha1("|".join(e.key for e in self.events).encode()).hexdigest()[:20]
        return f"{self.feed}/{self.race_key or '-'}/{digest}"

    @property
    def severity(self) -> Severity:
        return max(e.severity for e in self.events)

    def at_least(self, level: Severity) -> Alert | None:
        kept = tuple(e for e in self.events if e.severity >= level)
        if not kept:
            return None
        return Alert(self.feed, self.race_key, self.at, self.test, kept, self.facts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "race_key": self.race_key,
            "at": self.at,
            "test": self.test,
            "events": [e.to_dict() for e in self.events],
            "facts": self.facts.to_dict() if self.facts else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        return cls(
            data["feed"],
            data.get("race_key"),
            data["at"],
            bool(data.get("test")),
            tuple(Event.from_dict(e) for e in data["events"]),
            RaceFacts.from_dict(data["facts"]) if data.get("facts") else None,
        )


#: each kind's place in a coalesced message: by severity, most important first, then ``_PRIORITY``
_ORDER: Mapping[EventKind, tuple[int, int]] = {kind: (-SEVERITY[kind], _PRIORITY.index(kind)) for kind in _PRIORITY}


def _order(event: Event) -> tuple[int, int]:
    return _ORDER[event.kind]


def coalesce(events: list[Event], facts: RaceFacts | None, at: str, test: bool) -> Alert | None:
    if not events:
        return None
    ordered = tuple(sorted(events, key=_order))
    return Alert(events[0].feed, events[0].race_key, at, test, ordered, facts)
