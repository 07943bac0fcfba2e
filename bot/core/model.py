"""The normalized results model every feed adapter produces and every rule reads.

The nouns follow the AP Elections API (snapshot → race → reporting unit → candidate votes)
because that is the vocabulary newsrooms already use. Everything is immutable: a snapshot is
a fact about one instant of the night, and the diff compares two of them. Votes are integers;
shares and margins are derived (see ``bot.core.margins``) and never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from bot.core.parties import normalize_party


class Level(StrEnum):
    """Reporting-unit levels. ``state`` is the statewide row; exactly one per race."""

    STATE = "state"
    COUNTY = "county"
    TOWN = "town"
    PRECINCT = "precinct"
    DISTRICT = "district"


_LEVEL_ORDER = [Level.STATE, Level.COUNTY, Level.TOWN, Level.DISTRICT, Level.PRECINCT]


class CallStatus(StrEnum):
    """What the feed says about the race call. Never inferred from the numbers."""

    NONE = "none"
    CALLED = "called"
    RUNOFF = "runoff"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A name on the ballot (or a pseudo-candidate such as write-ins, Yes/No, Uncommitted)."""

    id: str
    name: str
    party: str | None = None
    incumbent: bool = False
    #: write-ins, "Other", "Uncommitted": votes that count toward the office total but
    #: belong to no named candidate who can lead the race.
    pseudo: bool = False


@dataclass(frozen=True, slots=True)
class ReportingUnit:
    """One row of results: the state total, a county, a town or a precinct."""

    id: str
    level: Level
    name: str
    votes: Mapping[str, int]
    fips: str | None = None
    precincts_reporting: int | None = None
    precincts_total: int | None = None
    #: share of the expected vote counted, 0–100 as the AP publishes ``eevp``.
    expected_vote_pct: float | None = None
    last_updated: datetime | None = None
    #: registered voters where the feed gives them (Clarity ``totalVoters``): a ceiling for the
    #: expected vote (``bot.core.margins.estimate_votes_left``), never a share's denominator.
    registered_voters: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "votes", MappingProxyType(dict(self.votes)))

    @property
    def total_votes(self) -> int:
        return sum(self.votes.values())

    @property
    def fully_reporting(self) -> bool:
        return (
            self.precincts_total is not None
            and self.precincts_total > 0
            and self.precincts_reporting is not None
            and self.precincts_reporting >= self.precincts_total
        )

    def __hash__(self) -> int:  # MappingProxyType is unhashable; identity by content is enough
        return hash((self.id, self.level, tuple(sorted(self.votes.items())), self.precincts_reporting))


@dataclass(frozen=True, slots=True)
class Race:
    """A contest in one state. ``key`` (state postal + feed race id) is unique in a snapshot:
    AP race ids repeat across states (every presidential race is ``0``)."""

    state: str
    race_id: str
    office: str
    candidates: tuple[Candidate, ...]
    units: tuple[ReportingUnit, ...]
    office_id: str | None = None
    seat: str | None = None
    race_type: str = "General"
    #: general elections are what recount statutes such as Ala. Code § 17-16-20 cover.
    general: bool = True
    test: bool = False
    call_status: CallStatus = CallStatus.NONE
    #: candidate ids AP flagged ``X`` (winners) or ``R`` (advance to a runoff).
    winners: tuple[str, ...] = ()
    runoff: tuple[str, ...] = ()
    #: the feed's own words, kept verbatim for display and status-change alerts.
    race_call_status: str | None = None
    tabulation_status: str | None = None
    expected_vote_pct: float | None = None
    seats: int = 1
    national: bool = False
    last_updated: datetime | None = None
    #: AP's ``flippedSeat``: the call took the seat from the party that held it. ``None`` when
    #: the feed does not say (most feeds, and AP before v3); only the feed decides, never the bot.
    flipped_seat: bool | None = None
    #: the party whose primary (or caucus) this is, in the bot's spelling ('Dem', 'GOP'); ``None``
    #: for a general election. Labels say it: "Republican primary for President".
    party: str | None = None
    #: the county the feed covers, for a county's own results site or CSV ('Gwinnett'); ``None``
    #: when the feed covers the state. A county feed's totals are the county's, never the state's.
    county: str | None = None

    @property
    def key(self) -> str:
        return race_key(self.state, self.race_id)

    @property
    def uncontested(self) -> bool:
        """No more named candidates than seats (write-ins and the like aside), none included: an
        uncontested seat, or a roster not out yet. Nobody leads or trails such a race, so no
        margin, hurdle, recount or lead line is true of it."""
        return sum(1 for c in self.candidates if not c.pseudo) <= self.seats

    @property
    def state_unit(self) -> ReportingUnit | None:
        for unit in self.units:
            if unit.level is Level.STATE:
                return unit
        return None

    @property
    def subunits(self) -> tuple[ReportingUnit, ...]:
        return tuple(u for u in self.units if u.level is not Level.STATE)

    def unit(self, unit_id: str) -> ReportingUnit | None:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        return None

    def candidate(self, candidate_id: str) -> Candidate | None:
        for cand in self.candidates:
            if cand.id == candidate_id:
                return cand
        return None

    def with_state_total(self) -> Race:
        """Feeds that send only subunits (CSV, Clarity precinct sites) get a summed state row."""
        if self.state_unit is not None or not self.units:
            return self
        # Sum one level only (counties if the feed has them), or precincts would count twice.
        coarsest = min((u.level for u in self.units), key=_LEVEL_ORDER.index)
        rows = [u for u in self.units if u.level is coarsest]
        return replace(self, units=(sum_units(rows, self.state, _state_name(self.state)),) + self.units)


@dataclass(frozen=True, slots=True)
class TrendParty:
    """One party's row of a balance-of-power report (AP's ``trendtable``)."""

    party: str  # 'Dem', 'GOP', 'Others' as the report titles them (normalized)
    won: int
    leading: int
    holdovers: int
    winning_trend: int | None
    current: int | None
    net_winners: int
    net_leaders: int

    @property
    def seats(self) -> int:
        """Won + holdovers: seats settled."""
        return self.won + self.holdovers


@dataclass(frozen=True, slots=True)
class TrendTable:
    """A chamber's balance of power as the feed counts it (AP's ``trendtable`` report). It lives
    in the model, not in ``bot.core.balance``, because snapshots carry it: the store keeps what AP
    said at that instant, and ``/results balance`` reads it back without asking AP again."""

    office: str
    office_type: str | None
    test: bool
    timestamp: datetime | None
    parties: tuple[TrendParty, ...]

    def party(self, name: str) -> TrendParty | None:
        key = normalize_party(name)
        return next((p for p in self.parties if p.party == key), None)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every race of one feed at one instant. ``test`` marks AP/Clarity test data: it is never
    mixed with live data (see ``bot.app.poller``)."""

    feed: str
    generated_at: datetime
    races: Mapping[str, Race]
    election_date: date | None = None
    test: bool = False
    #: the feed's own version marker (Clarity version, AP nextrequest cursor) for the record.
    version: str | None = None
    meta: Mapping[str, str] = field(default_factory=dict)
    #: balance-of-power reports read with the races (AP trendtables), one per chamber at most.
    balance: tuple[TrendTable, ...] = ()

    def __post_init__(self) -> None:
        if self.generated_at.tzinfo is None:
            raise ValueError("snapshot timestamps must be timezone-aware")
        object.__setattr__(self, "races", MappingProxyType(dict(self.races)))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @classmethod
    def of(cls, feed: str, generated_at: datetime, races: Iterable[Race], **kw: object) -> Snapshot:
        return cls(feed=feed, generated_at=generated_at, races={r.key: r for r in races}, **kw)  # type: ignore[arg-type]  # kw passes the dataclass's own keyword fields through

    def __hash__(self) -> int:
        return hash((self.feed, self.generated_at, tuple(self.races)))


# -- Built by the ten thousand ---------------------------------------------------------------------
#
# A national AP reply builds 44,000 reporting units, 18,000 candidates and 7,000 races per poll.
# A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__`` (its
# own ``__setattr__`` refuses), which was most of the ~5 µs a ``ReportingUnit`` cost. The
# functions below build the very same objects about four times faster: the fields are set on an
# instance of a plain twin class with the same slots (a slot store is one bytecode), whose class
# is then set to the model's own. CPython allows that between classes of the same layout, and
# checks it: a twin whose slots differ from the class's fields fails at the first call, loudly
# (tests/unit/core/test_model_builders.py builds each both ways and compares).


def _fields_of(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class _CandidateTwin:
    __slots__ = _fields_of(Candidate)

    def __init__(self, id: str, name: str, party: str | None, incumbent: bool, pseudo: bool) -> None:
        self.id = id
        self.name = name
        self.party = party
        self.incumbent = incumbent
        self.pseudo = pseudo
        self.__class__ = Candidate  # type: ignore[assignment]  # same slots: see above


class _UnitTwin:
    __slots__ = _fields_of(ReportingUnit)

    def __init__(
        self,
        id: str,
        level: Level,
        name: str,
        votes: dict[str, int],
        fips: str | None,
        precincts_reporting: int | None,
        precincts_total: int | None,
        expected_vote_pct: float | None,
        last_updated: datetime | None,
        registered_voters: int | None,
    ) -> None:
        self.id = id
        self.level = level
        self.name = name
        self.votes = MappingProxyType(votes)
        self.fips = fips
        self.precincts_reporting = precincts_reporting
        self.precincts_total = precincts_total
        self.expected_vote_pct = expected_vote_pct
        self.last_updated = last_updated
        self.registered_voters = registered_voters
        self.__class__ = ReportingUnit  # type: ignore[assignment]  # same slots: see above


class _RaceTwin:
    __slots__ = _fields_of(Race)

    def __init__(
        self,
        state: str,
        race_id: str,
        office: str,
        candidates: tuple[Candidate, ...],
        units: tuple[ReportingUnit, ...],
        office_id: str | None,
        seat: str | None,
        race_type: str,
        general: bool,
        test: bool,
        call_status: CallStatus,
        winners: tuple[str, ...],
        runoff: tuple[str, ...],
        race_call_status: str | None,
        tabulation_status: str | None,
        expected_vote_pct: float | None,
        seats: int,
        national: bool,
        last_updated: datetime | None,
        flipped_seat: bool | None,
        party: str | None,
        county: str | None,
    ) -> None:
        self.state = state
        self.race_id = race_id
        self.office = office
        self.candidates = candidates
        self.units = units
        self.office_id = office_id
        self.seat = seat
        self.race_type = race_type
        self.general = general
        self.test = test
        self.call_status = call_status
        self.winners = winners
        self.runoff = runoff
        self.race_call_status = race_call_status
        self.tabulation_status = tabulation_status
        self.expected_vote_pct = expected_vote_pct
        self.seats = seats
        self.national = national
        self.last_updated = last_updated
        self.flipped_seat = flipped_seat
        self.party = party
        self.county = county
        self.__class__ = Race  # type: ignore[assignment]  # same slots: see above


def built_candidate(id: str, name: str, party: str | None, incumbent: bool, pseudo: bool) -> Candidate:
    """``Candidate(id, name, party, incumbent, pseudo)``, built faster (see above)."""
    return _CandidateTwin(id, name, party, incumbent, pseudo)  # type: ignore[return-value]  # its class is Candidate now


def built_unit(
    id: str,
    level: Level,
    name: str,
    votes: dict[str, int],
    fips: str | None = None,
    precincts_reporting: int | None = None,
    precincts_total: int | None = None,
    expected_vote_pct: float | None = None,
    last_updated: datetime | None = None,
    registered_voters: int | None = None,
) -> ReportingUnit:
    """``ReportingUnit(...)`` with the same arguments, built faster (see above). ``votes`` is
    taken over, not copied: the caller hands over a dict it built and keeps no reference to."""
    return _UnitTwin(  # type: ignore[return-value]  # its class is ReportingUnit now
        id,
        level,
        name,
        votes,
        fips,
        precincts_reporting,
        precincts_total,
        expected_vote_pct,
        last_updated,
        registered_voters,
    )


def built_race(
    state: str,
    race_id: str,
    office: str,
    candidates: tuple[Candidate, ...],
    units: tuple[ReportingUnit, ...],
    office_id: str | None,
    seat: str | None,
    race_type: str,
    general: bool,
    test: bool,
    call_status: CallStatus,
    winners: tuple[str, ...],
    runoff: tuple[str, ...],
    race_call_status: str | None,
    tabulation_status: str | None,
    expected_vote_pct: float | None,
    seats: int,
    national: bool,
    last_updated: datetime | None,
    flipped_seat: bool | None,
    party: str | None,
    county: str | None = None,
) -> Race:
    """``Race(...)`` with every field given in order, built faster (see above)."""
    return _RaceTwin(  # type: ignore[return-value]  # its class is Race now
        state,
        race_id,
        office,
        candidates,
        units,
        office_id,
        seat,
        race_type,
        general,
        test,
        call_status,
        winners,
        runoff,
        race_call_status,
        tabulation_status,
        expected_vote_pct,
        seats,
        national,
        last_updated,
        flipped_seat,
        party,
        county,
    )


def race_key(state: str, race_id: str) -> str:
    return f"{state.upper()}-{race_id}"


def sum_units(units: Iterable[ReportingUnit], unit_id: str, name: str, level: Level = Level.STATE) -> ReportingUnit:
    """Roll units up (towns to counties, counties to the state) without losing precinct counts."""
    votes: dict[str, int] = {}
    reporting = total = 0
    have_precincts = True
    latest: datetime | None = None
    for unit in units:
        for cid, n in unit.votes.items():
            votes[cid] = votes.get(cid, 0) + n
        if unit.precincts_total is None or unit.precincts_reporting is None:
            have_precincts = False
        else:
            reporting += unit.precincts_reporting
            total += unit.precincts_total
        if unit.last_updated is not None and (latest is None or unit.last_updated > latest):
            latest = unit.last_updated
    return ReportingUnit(
        id=unit_id,
        level=level,
        name=name,
        votes=votes,
        precincts_reporting=reporting if have_precincts else None,
        precincts_total=total if have_precincts else None,
        last_updated=latest,
    )


def _state_name(postal: str) -> str:
    from bot.core.states import state_name  # the model stays importable without ``us`` loaded eagerly

    return state_name(postal)
