"""The project's own JSON feed format (``electionbot/1``), documented in docs/feed-format.md.

It is AP's tree with plain names, and it is also how the store persists snapshots and how the
Alabama scenario ships, so one parser and one writer serve the feed edge, the store and the
scenario builder. Validation is pydantic's: a payload either becomes a snapshot whole or is
refused with the path of the first bad field, and the last good snapshot stays.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator, model_validator

from bot.feeds.errors import FeedError
from bot.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot, TrendParty, TrendTable

FORMAT = "electionbot/1"

Votes = Annotated[StrictInt, Field(ge=0)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
Ident = Annotated[str, Field(min_length=1, max_length=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CandidateIn(_Strict):
    id: Ident
    name: Name
    party: Annotated[str, Field(max_length=60)] | None = None
    incumbent: StrictBool = False
    pseudo: StrictBool = False


class UnitIn(_Strict):
    id: Ident
    level: Level
    name: Name
    fips: Annotated[str, Field(pattern=r"^\d{5}$")] | None = None
    precincts_reporting: Votes | None = None
    precincts_total: Votes | None = None
    eevp: Annotated[float, Field(ge=0, le=100)] | None = None
    last_updated: datetime | None = None
    votes: dict[Ident, Votes]

    @model_validator(mode="after")
    def _precincts(self) -> UnitIn:
        if (self.precincts_reporting is None) != (self.precincts_total is None):
            raise ValueError("precincts_reporting and precincts_total come together")
        if self.precincts_total is not None and self.precincts_reporting > self.precincts_total:  # type: ignore[operator]
            raise ValueError("more precincts reporting than precincts in total")
        return self


class CallIn(_Strict):
    status: CallStatus = CallStatus.NONE
    winners: list[Ident] = []
    runoff: list[Ident] = []
    race_call_status: str | None = None


class RaceIn(_Strict):
    state: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]
    id: Ident
    office: Name
    office_id: str | None = None
    seat: str | None = None
    race_type: str = "General"
    general: StrictBool = True
    test: StrictBool | None = None
    call: CallIn = CallIn()
    tabulation_status: str | None = None
    eevp: Annotated[float, Field(ge=0, le=100)] | None = None
    seats: Annotated[StrictInt, Field(ge=1)] = 1
    national: StrictBool = False
    last_updated: datetime | None = None
    flipped_seat: StrictBool | None = None
    candidates: Annotated[list[CandidateIn], Field(min_length=1)]
    units: list[UnitIn] = []

    @model_validator(mode="after")
    def _consistent(self) -> RaceIn:
        ids = {c.id for c in self.candidates}
        if len(ids) != len(self.candidates):
            raise ValueError("candidate ids repeat")
        for unit in self.units:
            unknown = set(unit.votes) - ids
            if unknown:
                raise ValueError(f"unit {unit.id!r} has votes for unknown candidates {sorted(unknown)}")
        if len({u.id for u in self.units}) != len(self.units):
            raise ValueError("unit ids repeat")
        if sum(1 for u in self.units if u.level is Level.STATE) > 1:
            raise ValueError("more than one state-level unit")
        for flagged in (*self.call.winners, *self.call.runoff):
            if flagged not in ids:
                raise ValueError(f"call names unknown candidate {flagged!r}")
        if self.call.status is CallStatus.CALLED and not self.call.winners:
            raise ValueError("a called race names its winners")
        return self


class TrendPartyIn(_Strict):
    party: Annotated[str, Field(min_length=1, max_length=60)]
    won: Votes
    leading: Votes
    holdovers: Votes
    winning_trend: Votes | None = None
    current: Votes | None = None
    net_winners: StrictInt = 0
    net_leaders: StrictInt = 0


class TrendTableIn(_Strict):
    """A balance-of-power report (AP's trendtable) as the feed counted it."""

    office: Annotated[str, Field(max_length=300)] = ""
    office_type: Annotated[str, Field(max_length=10)] | None = None
    test: StrictBool = False
    timestamp: datetime | None = None
    parties: Annotated[list[TrendPartyIn], Field(min_length=1)]

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _zoned(value, "timestamp") if value is not None else None

    @model_validator(mode="after")
    def _distinct(self) -> TrendTableIn:
        if len({p.party for p in self.parties}) != len(self.parties):
            raise ValueError("a party is listed twice")
        return self


class SnapshotIn(_Strict):
    format: Literal["electionbot/1"]
    feed: str | None = None
    election_date: date | None = None
    generated_at: datetime
    test: StrictBool = False
    version: str | None = None
    races: list[RaceIn]
    balance: list[TrendTableIn] = []

    @field_validator("generated_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _zoned(value, "generated_at")


def _zoned(value: datetime, name: str) -> datetime:
    """Instants compared across feeds and machines must carry a zone: a naive one would be read
    as the machine's local time."""
    if value.tzinfo is None:
        raise ValueError(f"{name} needs a time zone (use Z for UTC)")
    return value


def parse(data: bytes | str, feed: str) -> Snapshot:
    """Bytes of an ``electionbot/1`` document → a snapshot, or :class:`FeedError`."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not valid JSON ({exc})", feed=feed) from exc
    except RecursionError as exc:
        raise FeedError("JSON nested too deeply", feed=feed) from exc
    if not isinstance(doc, dict):
        raise FeedError("expected a JSON object at the top level", feed=feed)
    if doc.get("format") != FORMAT:
        raise FeedError(f"not an {FORMAT} document (format = {str(doc.get('format'))[:40]!r})", feed=feed)
    try:
        snap = SnapshotIn.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise FeedError(f"invalid {FORMAT} document at {path or 'top level'}: {first['msg']} ({exc.error_count()} problem(s))", feed=feed) from None
    keys = [f"{r.state.upper()}-{r.id}" for r in snap.races]
    if len(set(keys)) != len(keys):
        raise FeedError("two races share a state and race id", feed=feed)
    return Snapshot.of(
        feed,
        snap.generated_at.astimezone(UTC),
        (_race(r, snap.test) for r in snap.races),
        election_date=snap.election_date,
        test=snap.test,
        version=snap.version,
        balance=tuple(_trendtable(t) for t in snap.balance),
    )


def _trendtable(t: TrendTableIn) -> TrendTable:
    return TrendTable(
        office=t.office,
        office_type=t.office_type,
        test=t.test,
        timestamp=t.timestamp.astimezone(UTC) if t.timestamp else None,
        parties=tuple(TrendParty(**p.model_dump()) for p in t.parties),
    )


def _race(r: RaceIn, test: bool) -> Race:
    return Race(
        state=r.state.upper(),
        race_id=r.id,
        office=r.office,
        office_id=r.office_id,
        seat=r.seat,
        race_type=r.race_type,
        general=r.general,
        test=test if r.test is None else r.test,
        call_status=r.call.status,
        winners=tuple(r.call.winners),
        runoff=tuple(r.call.runoff),
        race_call_status=r.call.race_call_status,
        tabulation_status=r.tabulation_status,
        expected_vote_pct=r.eevp,
        seats=r.seats,
        national=r.national,
        last_updated=r.last_updated,
        flipped_seat=r.flipped_seat,
        candidates=tuple(Candidate(c.id, c.name, c.party, c.incumbent, c.pseudo) for c in r.candidates),
        units=tuple(
            ReportingUnit(
                id=u.id,
                level=u.level,
                name=u.name,
                votes=u.votes,
                fips=u.fips,
                precincts_reporting=u.precincts_reporting,
                precincts_total=u.precincts_total,
                expected_vote_pct=u.eevp,
                last_updated=u.last_updated,
            )
            for u in r.units
        ),
    ).with_state_total()


def to_document(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot → an ``electionbot/1`` document; ``parse(dumps(s))`` gives ``s`` back.
    ``balance`` is written only when there is one, so documents of feeds without reports (the
    scenarios, every stored night so far) stay byte for byte what they were."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "feed": snapshot.feed,
        "election_date": snapshot.election_date.isoformat() if snapshot.election_date else None,
        "generated_at": _iso(snapshot.generated_at),
        "test": snapshot.test,
        "version": snapshot.version,
        "races": [_race_doc(r) for r in snapshot.races.values()],
    }
    if snapshot.balance:
        doc["balance"] = [_trendtable_doc(t) for t in snapshot.balance]
    return doc


def _trendtable_doc(t: TrendTable) -> dict[str, Any]:
    return {
        "office": t.office,
        "office_type": t.office_type,
        "test": t.test,
        "timestamp": _iso(t.timestamp) if t.timestamp else None,
        "parties": [
            {"party": p.party, "won": p.won, "leading": p.leading, "holdovers": p.holdovers, "winning_trend": p.winning_trend,
             "current": p.current, "net_winners": p.net_winners, "net_leaders": p.net_leaders}
            for p in t.parties
        ],
    }


def dumps(snapshot: Snapshot, *, indent: int | None = None) -> bytes:
    return json.dumps(to_document(snapshot), indent=indent, ensure_ascii=False).encode("utf-8")


def _race_doc(r: Race) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "state": r.state,
        "id": r.race_id,
        "office": r.office,
        "office_id": r.office_id,
        "seat": r.seat,
        "race_type": r.race_type,
        "general": r.general,
        "test": r.test,
        "call": {
            "status": r.call_status.value,
            "winners": list(r.winners),
            "runoff": list(r.runoff),
            "race_call_status": r.race_call_status,
        },
        "tabulation_status": r.tabulation_status,
        "eevp": r.expected_vote_pct,
        "seats": r.seats,
        "national": r.national,
        "last_updated": _iso(r.last_updated) if r.last_updated else None,
        # only when the feed says, so documents without it stay what they were (see to_document)
        **({"flipped_seat": r.flipped_seat} if r.flipped_seat is not None else {}),
        "candidates": [
            {"id": c.id, "name": c.name, "party": c.party, "incumbent": c.incumbent, "pseudo": c.pseudo} for c in r.candidates
        ],
        "units": [_unit_doc(u) for u in r.units],
    }
    return doc


def _unit_doc(u: ReportingUnit) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": u.id, "level": u.level.value, "name": u.name}
    if u.fips:
        doc["fips"] = u.fips
    if u.precincts_total is not None:
        doc["precincts_reporting"] = u.precincts_reporting
        doc["precincts_total"] = u.precincts_total
    if u.expected_vote_pct is not None:
        doc["eevp"] = u.expected_vote_pct
    if u.last_updated is not None:
        doc["last_updated"] = _iso(u.last_updated)
    doc["votes"] = dict(u.votes)
    return doc


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
