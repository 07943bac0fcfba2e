"""The project's own JSON feed format (``electionbot/1``), documented in docs/feed-format.md.

It is AP's tree with plain names, and it is also how the store persists snapshots and how the
Alabama scenario ships, so one parser and one writer serve the feed edge, the store and the
scenario builder. Validation is pydantic's: a payload either becomes a snapshot whole or is
refused with the path of the first bad field, and the last good snapshot stays.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

import msgspec
import orjson
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, ValidationError, field_validator

from bot.codec.errors import FeedError, LeftOut
from bot.codec.races import unique_races
from bot.core.invariants import race_problem, trendtable_problem
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot, TrendParty, TrendTable, race_key

FORMAT = "electionbot/1"

#: Types only: the values (lengths, counts ≥ 0, ids that match, one state row…) are checked by
#: ``bot.core.invariants`` on the model objects, the same functions every adapter runs, so what the
#: store writes and what it reads are held to one rule.
Votes = StrictInt


class _Strict(BaseModel):
    # defer_build: the validators are built at the first document read, not at import: a process
    # that only writes (a replay's first poll, ``--help``) does not pay for them (issue 13).
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class CandidateIn(_Strict):
    id: str
    name: str
    party: str | None = None
    incumbent: StrictBool = False
    pseudo: StrictBool = False


class UnitIn(_Strict):
    id: str
    level: Level
    name: str
    fips: str | None = None
    precincts_reporting: Votes | None = None
    precincts_total: Votes | None = None
    eevp: float | None = None
    last_updated: datetime | None = None
    #: registered voters where the source gives them: the expected vote's ceiling (bot.core.margins)
    registered_voters: Votes | None = None
    votes: dict[str, Votes]


class CallIn(_Strict):
    status: CallStatus = CallStatus.NONE
    winners: list[str] = []
    runoff: list[str] = []
    race_call_status: str | None = None


class RaceIn(_Strict):
    state: str
    id: str
    office: str
    office_id: str | None = None
    seat: str | None = None
    race_type: str = "General"
    general: StrictBool = True
    test: StrictBool | None = None
    call: CallIn = CallIn()
    tabulation_status: str | None = None
    eevp: float | None = None
    seats: StrictInt = 1
    national: StrictBool = False
    last_updated: datetime | None = None
    flipped_seat: StrictBool | None = None
    party: str | None = None  # a primary's party (see ``Race.party``)
    county: str | None = None  # a county feed's county (see ``Race.county``)
    #: none or one is a race too (uncontested, or a roster not published yet)
    candidates: list[CandidateIn] = []
    units: list[UnitIn] = []


class TrendPartyIn(_Strict):
    party: str
    won: Votes
    leading: Votes
    holdovers: Votes
    winning_trend: Votes | None = None
    current: Votes | None = None
    net_winners: StrictInt = 0
    net_leaders: StrictInt = 0


class TrendTableIn(_Strict):
    """A balance-of-power report (AP's trendtable) as the feed counted it."""

    office: str = ""
    office_type: str | None = None
    test: StrictBool = False
    timestamp: datetime | None = None
    parties: list[TrendPartyIn]


class SnapshotIn(_Strict):
    """The top level only: races and reports are read one by one, so one that cannot be read
    costs itself, not the document."""

    format: Literal["electionbot/1"]
    feed: str | None = None
    election_date: date | None = None
    generated_at: datetime
    test: StrictBool = False
    version: str | None = None
    meta: dict[str, str] = {}
    races: list[Any]
    balance: list[Any] = []

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


@dataclass(frozen=True, slots=True)
class Reading:
    """A document read: the snapshot of everything readable, and what was left out (and why)."""

    snapshot: Snapshot
    left_out: tuple[LeftOut, ...] = ()


def parse(data: bytes | str, feed: str) -> Snapshot:
    """Bytes of an ``electionbot/1`` document → a snapshot, or :class:`FeedError` for anything
    wrong in it: the strict reading, for documents we ship (scenarios) and tests."""
    reading = read(data, feed)
    if reading.left_out:
        first = reading.left_out[0]
        raise FeedError(f"invalid {FORMAT} document: {first.describe()} ({len(reading.left_out)} problem(s))", feed=feed)
    return reading.snapshot


def read(data: bytes | str, feed: str) -> Reading:
    """Bytes → every race and report that can be read; :class:`FeedError` only when the
    document as a whole cannot be (not JSON, not this format, no usable top level)."""
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
        raise FeedError(f"invalid {FORMAT} document at {_where(exc)} ({exc.error_count()} problem(s))", feed=feed) from None
    left_out: list[LeftOut] = []
    found = [
        race for index, raw in enumerate(snap.races) if (race := _read_race(raw, index, snap.test, left_out)) is not None
    ]
    races = {race.key: race for race in unique_races(found, left_out)}
    balance = []
    for index, raw in enumerate(snap.balance):
        table = _read_trendtable(raw, index, left_out)
        if table is not None:
            balance.append(table)
    snapshot = Snapshot(
        feed=feed,
        generated_at=snap.generated_at.astimezone(UTC),
        races=races,
        election_date=snap.election_date,
        test=snap.test,
        version=snap.version,
        meta=snap.meta,
        balance=tuple(balance),
    )
    return Reading(snapshot, tuple(left_out))


def _where(exc: ValidationError) -> str:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"])
    return f"{path or 'top level'}: {first['msg']}"


def _read_race(raw: Any, index: int, test: bool, left_out: list[LeftOut]) -> Race | None:
    ident, key = f"#{index + 1}", None
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and isinstance(raw.get("state"), str):
        ident = key = race_key(raw["state"], raw["id"])
    try:
        race = _race(RaceIn.model_validate(raw), test)
    except ValidationError as exc:
        left_out.append(LeftOut("race", ident[:80], _where(exc), key))
        return None
    except (ValueError, KeyError, OverflowError) as exc:  # a shape the types let through
        left_out.append(LeftOut("race", ident[:80], f"{type(exc).__name__}: {str(exc)[:80]}", key))
        return None
    problem = race_problem(race)
    if problem:
        left_out.append(LeftOut("race", race.key, problem, race.key))
        return None
    return race


def _read_trendtable(raw: Any, index: int, left_out: list[LeftOut]) -> TrendTable | None:
    try:
        table = _trendtable(TrendTableIn.model_validate(raw))
    except ValidationError as exc:
        left_out.append(LeftOut("report", f"balance #{index + 1}", _where(exc)))
        return None
    except (OverflowError, ValueError) as exc:
        left_out.append(LeftOut("report", f"balance #{index + 1}", str(exc)))
        return None
    problem = trendtable_problem(table)
    if problem:
        left_out.append(LeftOut("report", f"balance #{index + 1}", problem))
        return None
    return table


def _trendtable(t: TrendTableIn) -> TrendTable:
    return TrendTable(
        office=t.office,
        office_type=t.office_type,
        test=t.test,
        timestamp=t.timestamp.astimezone(UTC)
        if t.timestamp and t.timestamp.tzinfo
        else t.timestamp,  # naive: refused by the invariants
        parties=tuple(TrendParty(**p.model_dump()) for p in t.parties),
    )


def _race(r: RaceIn, test: bool) -> Race:
    """The model of a race document; a document without a state row gets one summed (a
    producer may send counties only), so a stored race, which always has one, reads back as is."""
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
        party=r.party,
        county=r.county,
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
                registered_voters=u.registered_voters or None,
            )
            for u in r.units
        ),
    ).with_state_total()


def to_document(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot → an ``electionbot/1`` document; ``parse(dumps(s))`` gives ``s`` back for every
    snapshot ``bot.core.invariants.snapshot_problem`` admits. ``meta`` and ``balance`` are written
    only when there is one, so documents of feeds without reports (the
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
    if snapshot.meta:
        doc["meta"] = dict(snapshot.meta)
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
            {
                "party": p.party,
                "won": p.won,
                "leading": p.leading,
                "holdovers": p.holdovers,
                "winning_trend": p.winning_trend,
                "current": p.current,
                "net_winners": p.net_winners,
                "net_leaders": p.net_leaders,
            }
            for p in t.parties
        ],
    }


def dumps(snapshot: Snapshot, *, indent: int | None = None) -> bytes:
    """The document as compact JSON (``indent``: spread over lines for people, by :mod:`json`)."""
    if indent is not None:
        return json.dumps(to_document(snapshot), indent=indent, ensure_ascii=False).encode("utf-8")
    return _encode(to_document(snapshot)).encode("utf-8")


def race_json(race: Race) -> str:
    """One race as it appears in :func:`dumps` (the store keeps it while the race is unchanged),
    byte for byte: the Structs of :func:`_race_out`, which msgspec encodes in C without a dict per
    unit (a national first poll's 7,000 races and 44,000 units took 66 ms as dicts and orjson,
    52 ms so). What msgspec refuses (a lone surrogate) goes the way of :func:`dumps`."""
    out = _race_out(race)
    try:
        return _encode_out(out).decode("utf-8")
    except (TypeError, ValueError, msgspec.EncodeError):  # UnicodeEncodeError is a ValueError
        return _encode(msgspec.to_builtins(out))


def _encode(value: Any) -> str:
    """Compact JSON, UTF-8 unescaped. orjson writes a national snapshot's 7,000 races in a fifth of
    the standard library's time (issue 13); what it refuses (an integer past 64 bits, a lone
    surrogate) is written by :mod:`json` with the same separators. Both are read by any JSON
    parser, and documents stored by earlier releases (``", "`` and ``": "``) read as before."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def document_text(snapshot: Snapshot, races: Sequence[str], *, races_apart: bool = False) -> str:
    """``dumps(snapshot).decode()`` to the byte, with each race's JSON given (``race_json`` of
    each race in ``snapshot.races`` order): a national snapshot re-encodes only what changed.
    ``races_apart``: the races are stored elsewhere (one row each); the document says so and
    :func:`with_races` puts them back."""
    doc = to_document(replace(snapshot, races={}))
    del doc["races"]
    tail = {k: doc.pop(k) for k in ("meta", "balance") if k in doc}
    text = _encode(doc)[:-1] + ',"races":[' + ",".join(races) + "]"
    if races_apart:
        text += "," + _APART
    for key, value in tail.items():
        text += f",{_encode(key)}:{_encode(value)}"
    return text + "}"


#: An unescaped quote cannot occur inside a JSON string, so these marks can only be keys of the
#: top level (races are not in a document written apart): finding them needs no decoding. The
#: spaced ones are how releases before the compact writer stored them.
_APART = '"races_apart":true'
_NO_RACES = '"races":[]'
_APART_SPACED = '"races_apart": true'
_NO_RACES_SPACED = '"races": []'


def races_apart(document: str) -> bool:
    return _APART in document or _APART_SPACED in document


def with_races(document: str, races: Sequence[str]) -> str:
    """A document written with ``races_apart`` and its races' JSON, in order → the whole document."""
    mark = _NO_RACES if _NO_RACES in document else _NO_RACES_SPACED
    return document.replace(mark, '"races":[' + ",".join(races) + "]", 1)


def _race_doc(r: Race) -> dict[str, Any]:
    """A race as the document holds it, as plain dicts and lists (``to_document``): the Structs
    of :func:`_race_out` turned into builtins in C, so the format is written down once."""
    doc: dict[str, Any] = msgspec.to_builtins(_race_out(r))
    return doc


class _UnitOut(msgspec.Struct, omit_defaults=True, gc=False):
    """A unit of the document: the optional keys left out when unset (their default); the
    precinct pair and ``votes`` are ``UNSET`` when not given (never a value, so a ``None`` or a
    ``{}`` given is written)."""

    id: str
    level: str
    name: str
    fips: str | None = None
    precincts_reporting: int | None | msgspec.UnsetType = msgspec.UNSET
    precincts_total: int | msgspec.UnsetType = msgspec.UNSET
    eevp: float | None = None
    last_updated: str | None = None
    registered_voters: int | None = None
    votes: dict[str, int] | msgspec.UnsetType = msgspec.UNSET


class _CandidateOut(msgspec.Struct, gc=False):
    id: str
    name: str
    party: str | None
    incumbent: bool
    pseudo: bool


class _CallOut(msgspec.Struct, gc=False):
    status: str
    winners: list[str]  # lists, as the document's dicts have always held them (``to_builtins`` keeps a tuple)
    runoff: list[str]
    race_call_status: str | None


class _RaceOut(msgspec.Struct, omit_defaults=True, gc=False):
    """A race of the document, keys in the order the format has always had: every key always,
    but ``flipped_seat``, ``party`` and ``county``, written only when the feed says them, so
    documents without them stay what they were (their default is "not said")."""

    state: str
    id: str
    office: str
    office_id: str | None
    seat: str | None
    race_type: str
    general: bool
    test: bool
    call: _CallOut
    tabulation_status: str | None
    eevp: float | None
    seats: int
    national: bool
    last_updated: str | None
    flipped_seat: bool | None = None
    party: str | None = None
    county: str | None = None
    candidates: list[_CandidateOut] | msgspec.UnsetType = msgspec.UNSET
    units: list[_UnitOut] | msgspec.UnsetType = msgspec.UNSET


_encode_out = msgspec.json.Encoder().encode


def _race_out(r: Race) -> _RaceOut:
    """The race as the document's Structs (tests/unit/test_native_compact.py holds their text to
    the format as it was written by hand before). Written for speed: a national first poll
    builds 7,000 races and 44,000 units here, so an enum's text is read from ``_value_``."""
    return _RaceOut(
        r.state,
        r.race_id,
        r.office,
        r.office_id,
        r.seat,
        r.race_type,
        r.general,
        r.test,
        _CallOut(r.call_status._value_, list(r.winners), list(r.runoff), r.race_call_status),
        r.tabulation_status,
        r.expected_vote_pct,
        r.seats,
        r.national,
        _iso(r.last_updated) if r.last_updated else None,
        r.flipped_seat,
        r.party,
        r.county,
        [_CandidateOut(c.id, c.name, c.party, c.incumbent, c.pseudo) for c in r.candidates],
        [
            _UnitOut(
                u.id,
                u.level._value_,
                u.name,
                u.fips or None,
                u.precincts_reporting if u.precincts_total is not None else msgspec.UNSET,
                u.precincts_total if u.precincts_total is not None else msgspec.UNSET,
                u.expected_vote_pct,
                _iso(u.last_updated) if u.last_updated is not None else None,
                u.registered_voters or None,
                u.votes.copy(),  # type: ignore[attr-defined]  # a MappingProxyType (ReportingUnit.__post_init__)
            )
            for u in r.units
        ],
    )


@functools.lru_cache(maxsize=4096)
def _iso(moment: datetime) -> str:
    """Cached: a national snapshot's 50,000 reporting units share a few thousand update times.
    Equal instants are equal keys whatever their zone, and the text is the UTC one."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
