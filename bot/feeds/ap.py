"""``kind = "ap"``: the AP Elections API (v2 JSON, with the v3 fields) → snapshots.

AP's reply is a tree (races → reportingUnits → candidates) whose quirks decide most of this
module (see ../shared/docs/feeds.md §1): race ids repeat across states, so a race is keyed by state postal
+ ``raceID``; the call is the ``winner`` flag on the *state* row (AP repeats it on county rows);
FIPS codes lose their leading zero; New England reports by town; initialization payloads carry
the roster on the race and no units; and after the first full request AP wants us to follow
``nextrequest``, whose replies hold only the races that changed.

:func:`parse_ap` is pure (bytes → :class:`ApReply`); :class:`ApFeed` owns the request sequence:
the cursor, the delta merge, ``isTruncated`` follow-ups, the API key header and the quota 403,
and the ``trendtable`` reports (balance of power) read after the races on every poll.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from bot.codec.errors import FeedConfigError, FeedError, LeftOut, redact_url
from bot.codec.races import unique_races
from bot.core.balance import trendtable_chamber
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot, TrendTable, race_key
from bot.core.offices import party_code
from bot.core.states import state_name
from bot.feeds.ap_trendtable import parse_trendtable
from bot.feeds.common import is_pseudo_name, load_json, refuse_error_page
from bot.feeds.gc_pause import gc_paused
from bot.feeds.http import FeedHttp, Fetched, is_local
from bot.feeds.naming import named
from bot.feeds.source import FeedSource, FeedSpec, Recorder, admissible, register, with_last_good

log = logging.getLogger(__name__)

#: New England reports by town (AP level ``subunit`` or ``township``), not by county.
NEW_ENGLAND = frozenset({"CT", "MA", "ME", "NH", "RI", "VT"})

#: AP raceTypeIDs of general elections (general, special general, general runoff, special general
#: runoff, nonpartisan and its special): the elections recount statutes such as Ala. Code
#: § 17-16-20 are written for. Party primaries and caucuses (D, R, E, S) are not.
GENERAL_RACE_TYPES = frozenset({"G", "W", "H", "SGR", "L", "T"})
PRIMARY_RACE_TYPES = frozenset({"D", "R", "E", "S"})
_RACE_TYPE_NAMES = {
    "G": "General",
    "W": "Special General",
    "H": "General Runoff",
    "SGR": "Special General Runoff",
    "L": "Nonpartisan",
    "T": "Special Nonpartisan",
    "D": "Primary",
    "R": "Primary",
    "E": "Caucus",
    "S": "Caucus",
}

#: AP follows ``isTruncated`` with another request at once; a bound keeps a confused server
#: from holding the poll forever (what is left is fetched on the next poll).
MAX_TRUNCATED_FOLLOWS = 20
DEFAULT_QUOTA_WAIT_SECONDS = 7.0
DEFAULT_KEY_ENV = "AP_API_KEY"

_LEVELS_ANYWHERE = {"state": Level.STATE, "district": Level.DISTRICT, "fipscode": Level.COUNTY, "township": Level.TOWN}


class _Malformed(Exception):
    """A shape problem inside the reply; becomes a located :class:`FeedError` at the edge."""


class _NotResults(_Malformed):
    """A well-formed AP document of another kind (landing list, trendtable report…)."""


class _IdCollision(Exception):
    """Two candidates of one race would share a polID/polNum id: fall back to candidateID."""


@dataclass(frozen=True, slots=True)
class ApReply:
    """One AP reply, parsed. ``races`` holds only the changed races on a ``nextrequest`` reply."""

    races: tuple[Race, ...]
    nextrequest: str | None
    is_truncated: bool
    timestamp: datetime | None
    election_date: date | None
    test: bool
    #: races, units and roster entries that could not be read (the rest of the reply is used)
    left_out: tuple[LeftOut, ...] = ()


# -- parsing ------------------------------------------------------------------------------------


def parse_ap(data: bytes, feed: str) -> ApReply:
    """Bytes of an AP elections reply → :class:`ApReply`, or :class:`FeedError`.

    AP's other documents (the ``/v2/elections`` landing list, ``trendtable``, ``delSum`` and
    ``delSuper`` reports) are refused with a message saying which document it is: a feed URL
    pointing at one of them is a configuration mistake, not an empty election.
    """
    with gc_paused():  # a national reply is millions of acyclic objects (bot/feeds/gc_pause.py)
        return _parse_ap(data, feed)


def _parse_ap(data: bytes, feed: str) -> ApReply:
    doc = load_json(data, feed, "the AP reply")
    try:
        return _reply(doc)
    except _NotResults as exc:
        raise FeedError(str(exc), feed=feed) from None
    except _Malformed as exc:
        raise FeedError(f"malformed AP reply: {exc}", feed=feed) from None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:  # a shape no check foresaw
        raise FeedError(f"malformed AP reply ({type(exc).__name__}: {exc})", feed=feed) from None


def _reply(doc: Any) -> ApReply:
    if not isinstance(doc, dict):
        raise _Malformed(f"expected a JSON object at the top level, got {_kind(doc)}")
    if "races" not in doc:
        raise _NotResults(_not_a_results_reply(doc))
    raw_races = doc["races"]
    if not isinstance(raw_races, list):
        raise _Malformed(f"'races' is {_kind(raw_races)}, not a list")
    found: list[Race] = []
    left_out: list[LeftOut] = []
    for index, raw in enumerate(raw_races):
        race = _race_in_context(raw, index, left_out)
        if race is not None:
            found.append(race)
    races = {race.key: race for race in unique_races(found, left_out)}
    # Test data never passes for live: a reply is test data when any race says so (one left out
    # too), and then a race that does not say (AP leaves the flag off some uncontested races) is
    # test data as well.
    test = any(race.test for race in races.values()) or any(_says_test(raw) for raw in raw_races)
    kept = admissible((replace(race, test=True) if test and not race.test else race for race in races.values()), left_out)
    nextrequest = _optional_text(doc.get("nextrequest"), "nextrequest")
    truncated = doc.get("isTruncated", False)
    if truncated is None:
        truncated = False
    if not isinstance(truncated, bool):
        raise _Malformed(f"isTruncated is {_kind(truncated)}, not true/false")
    return ApReply(
        races=tuple(kept),
        nextrequest=nextrequest or None,
        is_truncated=truncated,
        timestamp=_moment(doc.get("timestamp"), "timestamp"),
        election_date=_election_date(doc.get("electionDate")),
        test=test,
        left_out=tuple(left_out),
    )


def _not_a_results_reply(doc: dict[str, Any]) -> str:
    if "elections" in doc:
        return "this is AP's landing document (a list of election dates), not a results reply: point the feed at /v2/elections/YYYY-MM-DD"
    for report in ("trendtable", "delSum", "delSuper"):
        if report in doc:
            return f"this is an AP {report} report, not an elections results reply"
    keys = ", ".join(sorted(str(k) for k in doc)[:8]) or "none"
    return f"no 'races' list (top-level keys: {keys[:200]})"


def _race_in_context(raw: Any, index: int, left_out: list[LeftOut]) -> Race | None:
    """One race, or ``None`` with the reason in ``left_out``: one odd race costs that race."""
    where, key = f"#{index + 1}", None
    if isinstance(raw, dict) and isinstance(raw.get("raceID"), str | int) and not isinstance(raw.get("raceID"), bool):
        where = f"{raw.get('raceID')!s:.40}"
        postal = _postal_hint(raw)
        if postal is not None:
            where = key = race_key(postal, str(raw["raceID"]))
    parts: list[LeftOut] = []
    try:
        try:
            race = _race(raw, by_candidate_id=False, left_out=parts)
        except _IdCollision:
            parts.clear()
            race = _race(raw, by_candidate_id=True, left_out=parts)
    except _Malformed as exc:
        left_out.append(LeftOut("race", where, str(exc), key))
        return None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:  # a shape no check foresaw
        left_out.append(LeftOut("race", where, f"{type(exc).__name__}: {str(exc)[:80]}", key))
        return None
    left_out.extend(parts)
    return race


def _postal_hint(raw: dict[str, Any]) -> str | None:
    """The race's state as far as it can be told, to name a race that cannot be read (and keep
    its last good version)."""
    units = raw.get("reportingUnits")
    found = [
        raw.get("statePostal"),
        *(u.get("statePostal") for u in (units if isinstance(units, list) else ()) if isinstance(u, dict)),
    ]
    return next((p.upper() for p in found if isinstance(p, str) and len(p) == 2 and p.isascii() and p.isalpha()), None)


def _race(raw: Any, by_candidate_id: bool, left_out: list[LeftOut]) -> Race:
    if not isinstance(raw, dict):
        raise _Malformed(f"a race is {_kind(raw)}, not an object")
    race_id = _ident(raw.get("raceID"), "raceID")
    raw_units = raw.get("reportingUnits")
    if raw_units is None:
        raw_units = []
    if not isinstance(raw_units, list):
        raise _Malformed(f"reportingUnits is {_kind(raw_units)}, not a list")
    state = _race_state(raw, raw_units)
    office_id = _optional_text(raw.get("officeID"), "officeID")
    race_type_text = _optional_text(raw.get("raceType"), "raceType")
    roster = _Roster(by_candidate_id or office_id == "I" or "ballot" in (race_type_text or "").lower())

    roster_raw = raw.get("candidates")
    if roster_raw is not None:  # initialization (omitResults) payloads: the roster sits on the race
        if not isinstance(roster_raw, list):
            raise _Malformed(f"candidates is {_kind(roster_raw)}, not a list")
        for entry in roster_raw:
            try:
                roster.resolve(entry)
            except _Malformed as exc:  # one roster entry costs that candidate
                left_out.append(LeftOut("candidate", f"in race {race_key(state, race_id)}", str(exc)))

    units, state_row = _rows(raw_units, state, roster, race_key(state, race_id), left_out)
    # AP repeats the winner flag on county rows: the call is read from the state row only (or
    # from the race's own roster when there are no rows yet).
    called = state_row.get("candidates") if state_row is not None else roster_raw
    winners, runoff = _calls(called or [], roster)
    state_unit = units[0] if state_row is not None else None
    race_type_id = _optional_text(raw.get("raceTypeID"), "raceTypeID")
    eevp = _percent(raw.get("eevp"), "eevp")
    return Race(
        state=state,
        race_id=race_id,
        office=_optional_text(raw.get("officeName"), "officeName") or office_id or f"Race {race_id}",
        candidates=tuple(roster.candidates),
        units=tuple(units),
        office_id=office_id,
        seat=_optional_text(raw.get("seatName"), "seatName"),
        race_type=_race_type(race_type_text, race_type_id, _optional_text(raw.get("party"), "party")),
        general=_is_general(race_type_id, race_type_text),
        test=_is_test(raw),
        call_status=CallStatus.CALLED if winners else CallStatus.RUNOFF if runoff else CallStatus.NONE,
        winners=winners,
        runoff=runoff,
        race_call_status=_optional_text(raw.get("raceCallStatus"), "raceCallStatus"),
        tabulation_status=_optional_text(raw.get("tabulationStatus"), "tabulationStatus"),
        expected_vote_pct=eevp if eevp is not None else state_unit.expected_vote_pct if state_unit else None,
        seats=_seats(raw.get("numWinners")),
        national=_flag(raw.get("national"), "national"),
        last_updated=_moment(raw.get("lastUpdated"), "lastUpdated") or (state_unit.last_updated if state_unit else None),
        flipped_seat=_flipped(raw.get("flippedSeat")),
        party=_primary_party(_optional_text(raw.get("party"), "party"), race_type_id, race_type_text),
    ).with_state_total()


def _rows(
    raw_units: list[Any], state: str, roster: _Roster, key: str, left_out: list[LeftOut]
) -> tuple[list[ReportingUnit], dict[str, Any] | None]:
    """The race's reporting units, the state row first, and the raw state row (for the calls).
    A county or town row that cannot be read is left out; the state row carries the totals and
    the call, so a state row that cannot be read makes the race unreadable."""
    units: list[ReportingUnit] = []
    seen: set[str] = set()
    state_row: dict[str, Any] | None = None
    for raw_unit in raw_units:
        # the state row says so, or has neither id a county or town row carries
        is_state = isinstance(raw_unit, dict) and (
            raw_unit.get("level") == "state" or not (raw_unit.get("reportingunitID") or raw_unit.get("fipsCode"))
        )
        try:
            unit = _unit(raw_unit, state, roster)
        except _Malformed as exc:
            if is_state:
                raise
            left_out.append(LeftOut("unit", f"{_unit_label(raw_unit)} of race {key}", str(exc)))
            continue
        if unit is None:
            continue
        if unit.id in seen:
            if unit.level is Level.STATE:
                raise _Malformed("more than one state-level reporting unit")
            left_out.append(LeftOut("unit", f"{unit.id[:40]} of race {key}", "its id repeats; the first row is used"))
            continue
        seen.add(unit.id)
        if unit.level is Level.STATE:
            state_row = raw_unit
            units.insert(0, unit)
        else:
            units.append(unit)
    return units, state_row


def _unit_label(raw: Any) -> str:
    if isinstance(raw, dict):
        for key in ("reportingunitID", "fipsCode", "reportingunitName"):
            if isinstance(raw.get(key), str | int) and not isinstance(raw.get(key), bool):
                return str(raw[key])[:40]
    return "(unnamed)"


def _race_state(raw: dict[str, Any], raw_units: list[Any]) -> str:
    """``statePostal`` sits on the race in initialization payloads, otherwise on the units."""
    postal = raw.get("statePostal")
    if postal is None:
        for unit in raw_units:
            if isinstance(unit, dict) and unit.get("level") == "state" and unit.get("statePostal") is not None:
                postal = unit["statePostal"]
                break
        else:
            postal = next(
                (u.get("statePostal") for u in raw_units if isinstance(u, dict) and u.get("statePostal") is not None), None
            )
    if postal is None:
        raise _Malformed("no statePostal on the race or its reporting units")
    if not (isinstance(postal, str) and len(postal) == 2 and postal.isascii() and postal.isalpha()):
        raise _Malformed(f"statePostal {str(postal)[:20]!r} is not a two-letter code")
    return postal.upper()


class _Roster:
    """The candidates of one race in order of first sight, and AP's per-race keys for them.

    Units are matched on ``candidateID`` (AP's id *within the race*); the id we publish is
    ``polID`` (stable across races) else ``polNum``, as elex does, except on ballot measures,
    whose Yes/No carry generic polIDs (2 and 3 on every measure): they use ``candidateID``.
    The synthetic sample has ``polID`` "0" everywhere, so "0" counts as absent.
    """

    __slots__ = ("by_candidate_id", "by_key", "candidates", "_ids")

    def __init__(self, by_candidate_id: bool):
        self.by_candidate_id = by_candidate_id
        self.by_key: dict[Any, str] = {}
        self.candidates: list[Candidate] = []
        self._ids: set[str] = set()

    def resolve(self, entry: Any) -> str:
        if not isinstance(entry, dict):
            raise _Malformed(f"a candidate entry is {_kind(entry)}, not an object")
        candidate_id = _optional_ident(entry.get("candidateID"), "candidateID")
        pol_id = _optional_ident(entry.get("polID"), "polID")
        pol_num = _optional_ident(entry.get("polNum"), "polNum")
        if pol_id == "0":
            pol_id = None
        key: Any = candidate_id if candidate_id is not None else ("pol", pol_id, pol_num)
        known = self.by_key.get(key)
        if known is not None:
            return known
        our_id = candidate_id if self.by_candidate_id else pol_id or pol_num or candidate_id
        if our_id is None:
            raise _Malformed("a candidate has none of candidateID, polID, polNum")
        if our_id in self._ids:
            if self.by_candidate_id:
                raise _Malformed(f"candidate id {our_id!r} repeats")
            raise _IdCollision(our_id)
        self._ids.add(our_id)
        self.by_key[key] = our_id
        self.candidates.append(_candidate(our_id, entry))
        return our_id


def _candidate(our_id: str, entry: dict[str, Any]) -> Candidate:
    first = _optional_text(entry.get("first"), "first")
    last = _optional_text(entry.get("last"), "last")
    if not last and not first:
        raise _Malformed(f"candidate {our_id} has no name")
    name = f"{first} {last}" if first and last else (last or first or "")
    return Candidate(
        id=our_id,
        name=name,
        party=_optional_text(entry.get("party"), "party"),
        incumbent=_flag(entry.get("incumbent"), "incumbent"),
        pseudo=not first and is_pseudo_name(name),
    )


def _unit(raw: Any, state: str, roster: _Roster) -> ReportingUnit | None:
    """One reporting unit. The per-candidate loop is the hot path of a national night (tens of
    thousands of rows), so it does no more than a dict lookup and a type check per row."""
    if type(raw) is not dict:
        raise _Malformed(f"a reporting unit is {_kind(raw)}, not an object")
    level = _level(raw.get("level"), state)
    if level is None:  # e.g. a national roll-up row on presidential replies: not a row of this state
        return None
    raw_fips = raw.get("fipsCode")
    fips = _fips(raw_fips) if raw_fips is not None else None
    if level is Level.STATE:
        unit_id = state
        name = raw.get("stateName") or state_name(state)
    else:
        unit_id = raw.get("reportingunitID") or raw_fips
        if unit_id is None:
            raise _Malformed(f"a {raw.get('level')} unit has neither reportingunitID nor fipsCode")
        unit_id = _ident(unit_id, "reportingunitID")
        name = raw.get("reportingunitName") or unit_id
    if type(name) is not str:
        raise _Malformed(f"unit {unit_id}: name is {_kind(name)}, not text")
    entries = raw.get("candidates")
    if entries is None:
        entries = ()
    elif type(entries) is not list:
        raise _Malformed(f"unit {unit_id}: candidates is {_kind(entries)}, not a list")
    by_key = roster.by_key
    votes: dict[str, int] = {}
    for entry in entries:
        key = entry.get("candidateID") if type(entry) is dict else None
        cid = by_key.get(key) if type(key) is str else None
        if cid is None:
            cid = roster.resolve(entry)
        count = entry.get("voteCount", 0)
        if type(count) is not int or count < 0:
            raise _Malformed(f"unit {unit_id}: voteCount {str(count)[:20]!r} of candidate {cid} is not a whole number ≥ 0")
        if cid in votes:
            raise _Malformed(f"unit {unit_id}: candidate {cid} appears twice")
        votes[cid] = count
    updated = raw.get("lastUpdated")
    return ReportingUnit(
        id=unit_id,
        level=level,
        name=name,
        votes=votes,
        fips=fips,
        precincts_reporting=_count(raw.get("precinctsReporting"), "precinctsReporting"),
        precincts_total=_count(raw.get("precinctsTotal"), "precinctsTotal"),
        expected_vote_pct=_percent(raw.get("eevp"), "eevp"),
        last_updated=_moment(updated, "lastUpdated") if updated is not None else None,
    )


def _level(text: Any, state: str) -> Level | None:
    """``subunit`` is a county, except in New England where AP's subunits are towns."""
    if text == "subunit":
        return Level.TOWN if state in NEW_ENGLAND else Level.COUNTY
    if type(text) is not str:
        raise _Malformed(f"level is {_kind(text)}, not text")
    return _LEVELS_ANYWHERE.get(text.lower())


def _calls(entries: list[Any], roster: _Roster) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``X`` is a declared winner, ``R`` advances to a runoff; any other value (the 2016 MA
    sample has ``N``) is not a call. Calls are never inferred from the numbers."""
    winners: list[str] = []
    runoff: list[str] = []
    for entry in entries:
        flag = entry.get("winner") if isinstance(entry, dict) else None
        if flag == "X":
            winners.append(roster.resolve(entry))
        elif flag == "R":
            runoff.append(roster.resolve(entry))
    return tuple(winners), tuple(runoff)


def _race_type(text: str | None, type_id: str | None, party: str | None) -> str:
    label = text or _RACE_TYPE_NAMES.get(type_id or "", "General")
    # MA 2016 has two races for "President" on one date: the party tells them apart.
    if party and party.lower() not in label.lower():
        return f"{party} {label}"
    return label


def _primary_party(party: str | None, type_id: str | None, text: str | None) -> str | None:
    """Whose primary or caucus: AP puts the party on the race (``party``: "Dem", "GOP"); a general
    election's race has none worth a label."""
    if not party or not party.strip() or _is_general(type_id, text):
        return None
    return party_code(party)


def _is_general(type_id: str | None, text: str | None) -> bool:
    if type_id in GENERAL_RACE_TYPES:
        return True
    if type_id in PRIMARY_RACE_TYPES:
        return False
    words = (text or "").lower()
    return not ("primary" in words or "caucus" in words)


def _says_test(raw: Any) -> bool:
    """Whether a race, readable or not, says it is test data (either spelling of the flag)."""
    if not isinstance(raw, dict):
        return False
    kind = raw.get("resultsType")
    return raw.get("test") is True or (isinstance(kind, str) and kind.lower() in ("test", "t"))


def _is_test(raw: dict[str, Any]) -> bool:
    """v2 marks test data with ``test: true``; v3 with ``resultsType: "test"`` (or "t")."""
    flag = _flag(raw.get("test"), "test")
    results_type = _optional_text(raw.get("resultsType"), "resultsType")
    return flag or (results_type or "").lower() in ("test", "t")


# -- small typed readers --------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def _ident(value: Any, field: str) -> str:
    if type(value) is str and value and len(value) <= 120:
        return value
    if type(value) is int and value >= 0:  # AP sends digits as strings; a number is the same id
        return str(value)
    raise _Malformed(f"{field} {str(value)[:30]!r} is not an id")


def _optional_ident(value: Any, field: str) -> str | None:
    return None if value is None or value == "" else _ident(value, field)


def _optional_text(value: Any, field: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _Malformed(f"{field} is {_kind(value)}, not text")


def _flag(value: Any, field: str) -> bool:
    if value is None:
        return False
    if type(value) is bool:
        return value
    raise _Malformed(f"{field} is {_kind(value)}, not true/false")


def _flipped(value: Any) -> bool | None:
    """AP's v3 ``flippedSeat`` (a boolean). It only adds context to a call, so a value of another
    type is read as "not said" (and logged) rather than refusing every race of the poll."""
    if value is None or type(value) is bool:
        return value
    log.debug("flippedSeat %s ignored: not true/false", str(value)[:20])
    return None


def _count(value: Any, field: str) -> int | None:
    if value is None or (type(value) is int and value >= 0):
        return value
    raise _Malformed(f"{field} {str(value)[:20]!r} is not a whole number ≥ 0")


def _seats(value: Any) -> int:
    if value is None:
        return 1
    if type(value) is int and value >= 1:
        return value
    raise _Malformed(f"numWinners {str(value)[:20]!r} is not a whole number ≥ 1")


def _percent(value: Any, field: str) -> float | None:
    """``eevp`` is 0–100 as AP publishes it (AP's own example shows 84), not a fraction."""
    if value is None:
        return None
    if type(value) in (int, float) and 0 <= value <= 100:
        return float(value)
    raise _Malformed(f"{field} {str(value)[:20]!r} is not a percentage 0–100")


def _fips(value: Any) -> str | None:
    """The 2015 CO sample has 67 four-digit codes ("8001"): FIPS are left-padded to five digits."""
    if value == "":
        return None
    if type(value) is str and 0 < len(value) <= 5 and value.isascii() and value.isdigit():
        return value.zfill(5)
    raise _Malformed(f"fipsCode {str(value)[:20]!r} is not up to five digits")


def _moment(value: Any, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise _Malformed(f"{field} is {_kind(value)}, not a time")
    try:
        return _parse_moment(value)
    except (ValueError, OverflowError):
        raise _Malformed(f"{field} {value[:40]!r} is not a usable ISO-8601 time") from None


@lru_cache(maxsize=4096)
def _parse_moment(text: str) -> datetime:
    """AP times are UTC with or without milliseconds; thousands of units share a handful of
    values, hence the cache."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _election_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise _Malformed(f"electionDate is {_kind(value)}, not a date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Malformed(f"electionDate {value[:20]!r} is not YYYY-MM-DD") from None


# -- polling ------------------------------------------------------------------------------------


def is_mirror(url: str) -> bool:
    """A ``file:`` URL with a query is the API mirrored to disk (a recording staged by ``python -m
    bot replay --via disk``): it is asked exactly as the API is, ``nextrequest`` included. A
    plain saved reply (a path, or a file URL without a query) is always a full reply."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "file" and bool(parts.query)


def with_json_format(url: str) -> str:
    """AP answers XML unless asked for JSON; an explicit ``format`` in the URL is left alone."""
    if is_local(url) and not is_mirror(url):
        return url
    parts = urlsplit(url)
    if any(key.lower() == "format" for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    query = f"{parts.query}&format=json" if parts.query else "format=json"
    return urlunsplit(parts._replace(query=query))


@register
class ApFeed(FeedSource):
    """Polls as AP asks: one full request, then always the newest ``nextrequest``.

    Options: ``api_key_env`` (the environment variable holding the key, default ``AP_API_KEY``;
    the key travels in the ``x-api-key`` header only), ``quota_wait_seconds`` (default 7:
    AP's advice for a per-minute quota 403 is to wait 5–10 s and retry) and ``trendtables``
    (URLs or paths of AP ``trendtable`` reports, read with every poll into ``Snapshot.balance``).
    """

    kind = "ap"

    def __init__(self, spec: FeedSpec, http: FeedHttp, recorder: Recorder | None = None):
        super().__init__(spec, http, recorder)
        self._full_url = with_json_format(spec.url)
        self._local = is_local(spec.url) and not is_mirror(spec.url)  # a saved reply: always a full reply
        self._next: str | None = None
        self.sleep: Callable[[float], None] = time.sleep
        self._reports = report_urls(spec)
        self._tables: dict[str, TrendTable] = {}  # by report URL: the last good table read
        self._report_problems: dict[str, str] = {}  # by report URL: the read problem last logged
        self._mixed: set[str] = set()  # report URLs left out for their test flag (logged once)

    def cursor(self) -> Mapping[str, str]:
        return self.url_cursor("nextrequest", self._next)

    def restore(self, cursor: Mapping[str, str]) -> None:
        self._next = self.restored_cursor(cursor, "nextrequest") or self._next

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        return self._with_balance(self._poll_races(previous), previous)

    def _poll_races(self, previous: Snapshot | None) -> Snapshot | None:
        if self._next is not None and previous is not None:
            try:
                return self._sequence(self._next, previous)
            except _LiveTestSwitch:
                # AP zeroes test data before the live night: nothing of the old chain carries over.
                log.warning("feed %r: test/live flag changed; starting again with a full request", self.spec.name)
        try:
            return self._sequence(None, previous)
        except _LiveTestSwitch:
            raise FeedError(
                "the replies mix test and live races (test data is never mixed with live data)",
                feed=self.spec.name,
                url=self.spec.url,
            ) from None

    def _sequence(self, cursor: str | None, previous: Snapshot | None) -> Snapshot | None:
        """One full request (``cursor`` None) or one delta, plus the ``isTruncated`` follow-ups,
        merged into one snapshot. The cursor moves only when the whole sequence worked."""
        delta = cursor is not None
        url = cursor or self._full_url
        races: dict[str, Race] = dict(previous.races) if delta and previous is not None else {}
        changed = not delta
        # Test and live data never mix: a delta must match the snapshot it extends, and the
        # replies of one sequence must match each other.
        test = previous.test if delta and previous is not None else None
        last: ApReply | None = None
        left_out: list[LeftOut] = []
        for _ in range(MAX_TRUNCATED_FOLLOWS):
            reply = self._request(url, have_previous=previous is not None)
            if reply is None:  # 304: the same reply as last time
                break
            if reply.races:
                if test is not None and reply.test != test:
                    raise _LiveTestSwitch
                test = reply.test
            for race in reply.races:
                races[race.key] = race  # present = replaced whole; absent = unchanged
            left_out += reply.left_out
            changed = changed or bool(reply.races)
            last = reply
            if not reply.nextrequest or self._local:
                break
            url = self._follow(reply.nextrequest)
            if not reply.is_truncated:
                break
            delta = True  # what follows a truncated reply is more of it
        else:
            log.warning(
                "feed %r: still truncated after %d follow-ups; the rest comes next poll",
                self.spec.name,
                MAX_TRUNCATED_FOLLOWS,
            )
        if last is None:
            return None
        next_url = url if last.nextrequest and not self._local else None
        if not changed:
            self._next = next_url
            return None
        snapshot = Snapshot.of(
            self.spec.name,
            last.timestamp or datetime.now(UTC),
            with_last_good(races.values(), left_out, previous, bool(test)),
            election_date=last.election_date or (previous.election_date if previous else None),
            test=bool(test),
            version=next_url,
        )
        self._next = next_url
        return snapshot

    def _request(self, url: str, have_previous: bool) -> ApReply | None:
        fetched = self._fetch_within_quota(url, have_previous)
        if fetched.not_modified:
            return None
        try:
            refuse_error_page(fetched, self.spec.name, "AP JSON")
            reply = parse_ap(fetched.body, self.spec.name)
        except FeedError as exc:
            self.http.forget(url)  # a bad body must not be cached as seen
            raise exc.located(self.spec.name, url) from None
        self.report_left_out(fetched.body, reply.left_out)
        # AP tells a special election by its raceType ("Special General"), not by the office's name
        return replace(
            reply, races=tuple(named(race, self.names, special="special" in race.race_type.lower()) for race in reply.races)
        )

    def _fetch_within_quota(self, url: str, have_previous: bool) -> Fetched:
        """A per-minute quota 403 is waited out once (AP: wait 5–10 s, then retry)."""
        wait = float(self.spec.options.get("quota_wait_seconds", DEFAULT_QUOTA_WAIT_SECONDS))
        try:
            return self._fetch_with_key(url, have_previous)
        except FeedError as exc:
            if exc.status != 403:
                raise
        log.info("feed %r: AP quota exceeded (403); retrying in %g s", self.spec.name, wait)
        self.sleep(wait)
        try:
            return self._fetch_with_key(url, have_previous)
        except FeedError as exc:
            if exc.status != 403:
                raise
            raise FeedError(
                f"AP quota still exceeded after waiting {wait:g} s",
                feed=self.spec.name,
                url=url,
                retry_after=wait,
                status=403,
            ) from None

    def _fetch_with_key(self, url: str, have_previous: bool) -> Fetched:
        """The key travels in the ``x-api-key`` header only, never in a URL or a log line."""
        env = str(self.spec.options.get("api_key_env") or DEFAULT_KEY_ENV)
        key = os.environ.get(env)
        headers = {"Accept": "application/json", **({"x-api-key": key} if key else {})}
        try:
            return self.fetch_conditionally(url, have_previous, headers=headers)
        except FeedConfigError:
            state = "it is set" if key else "it is not set"
            raise FeedConfigError(
                f"AP refused the API key (HTTP 401): check ${env} ({state})", feed=self.spec.name, url=url, status=401
            ) from None

    def _follow(self, nextrequest: str) -> str:
        """AP's ``nextrequest`` is followed verbatim (path and query, never rebuilt) on the
        configured origin: the API key goes only where the config says, and v2 replies name
        ``http://`` even when asked over https."""
        parts = urlsplit(nextrequest)
        if not parts.path:
            raise FeedError(f"nextrequest {nextrequest[:80]!r} has no path", feed=self.spec.name, url=self.spec.url)
        base = urlsplit(self._full_url)
        if is_mirror(self._full_url):
            # The mirror's root is where the configured path begins: nextrequest names the same
            # endpoint (its path) with another query.
            if not base.path.endswith(parts.path):
                raise FeedError(
                    f"nextrequest path {parts.path[:60]!r} is not under the mirrored API",
                    feed=self.spec.name,
                    url=self.spec.url,
                )
            root = base.path[: len(base.path) - len(parts.path)]
            return urlunsplit((base.scheme, base.netloc, root + parts.path, parts.query, ""))
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    # -- trendtable reports -----------------------------------------------------------------

    def _with_balance(self, snapshot: Snapshot | None, previous: Snapshot | None) -> Snapshot | None:
        """The reports ride on the snapshot. A report that changed while the races did not still
        makes a new snapshot (the previous races, their instant kept), or the store would never
        hold it and ``/results balance`` would not see it."""
        base = snapshot or previous
        if not self._reports or base is None:
            return snapshot
        balance = self._balance(base, previous)
        if snapshot is None and previous is not None and balance == previous.balance:
            return None
        return replace(base, balance=balance)

    def _balance(self, snapshot: Snapshot, previous: Snapshot | None) -> tuple[TrendTable, ...]:
        for url in self._reports:
            self._read_report(url)
        tables = [(url, self._tables[url]) for url in self._reports if url in self._tables]
        kept = tuple(table for url, table in tables if self._same_data(url, table, snapshot))
        if len(tables) < len(self._reports) and previous is not None:
            kept += tuple(t for t in carried_over(previous.balance, kept) if t.test == snapshot.test)
        return kept

    def _read_report(self, url: str) -> None:
        """One report, conditionally. A 304 keeps the table read before; a report that cannot be
        fetched or read keeps it too, with one log line: the balance of power is context, and
        must never cost the night a poll of its races."""
        try:
            fetched = self._fetch_with_key(url, have_previous=url in self._tables)
            if fetched.not_modified:
                return
            refuse_error_page(fetched, self.spec.name, "an AP trendtable report")
            table = parse_trendtable(fetched.body)
        except FeedError as exc:
            self._report_failed(url, exc.reason)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # TrendtableError, or a shape no check foresaw
            self._report_failed(url, str(exc))
        else:
            self._tables[url] = table
            self._report_problems.pop(url, None)

    def _report_failed(self, url: str, reason: str) -> None:
        """Logged once, not on every poll while the same problem lasts (a good read clears it)."""
        self.http.forget(url)  # a bad body must not be cached as seen
        kept = "keeping the last good table" if url in self._tables else "no table from it yet"
        message = f"trendtable report {redact_url(url)} not read ({reason}); {kept}"
        if self._report_problems.get(url) != message:
            self._report_problems[url] = message
            log.warning("feed %r: %s", self.spec.name, message)

    def _same_data(self, url: str, table: TrendTable, snapshot: Snapshot) -> bool:
        """Test and live data never mix: a test report is left out of a live snapshot (said once
        while it lasts, however often the report is fetched again)."""
        if table.test == snapshot.test:
            self._mixed.discard(url)
            return True
        if url not in self._mixed:
            self._mixed.add(url)
            flags = ("test", "live") if table.test else ("live", "test")
            log.warning(
                "feed %r: trendtable report %s is %s data and the races are %s; left out",
                self.spec.name,
                redact_url(url),
                *flags,
            )
        return False


def report_urls(spec: FeedSpec) -> tuple[str, ...]:
    """``options.trendtables``: one URL or path, or a list of them. A malformed option stops the
    feed at start; it is a typo, and polling would not fix it."""
    raw = spec.options.get("trendtables") or ()
    urls = [raw] if isinstance(raw, str) else raw
    if not isinstance(urls, list | tuple) or not all(isinstance(u, str) and u.strip() for u in urls):
        raise FeedConfigError(
            "options.trendtables should be a list of AP trendtable report URLs or file paths", feed=spec.name
        )
    return tuple(dict.fromkeys(with_json_format(u.strip()) for u in urls))


def carried_over(stored: tuple[TrendTable, ...], read: tuple[TrendTable, ...]) -> tuple[TrendTable, ...]:
    """The stored tables of chambers no report has been read for yet in this process (a restart
    while AP's report endpoint is failing): the last good table outlives a restart as it
    outlives a bad poll."""
    have = {_chamber_key(t) for t in read}
    return tuple(t for t in stored if _chamber_key(t) not in have)


def _chamber_key(table: TrendTable) -> str:
    return trendtable_chamber(table) or table.office


class _LiveTestSwitch(Exception):
    """The feed switched between test and live data: a delta cannot be merged across that."""
