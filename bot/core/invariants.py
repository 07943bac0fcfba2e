"""What every snapshot must satisfy, checked in one place.

Adapters check each race they build before returning it (a race that fails is left out, with
one log line), and the store's codec checks each race it reads with the same functions. So
whatever an adapter hands the poller is exactly what the store can write and read back: the
night a store refused its own snapshot ("List should have at least 1 item") came from two
validations that disagreed. Pure functions over the model; each answers the first problem as
a sentence a person can act on, or ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any, TypeGuard

from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot, TrendTable

#: Lengths the store's document promises (docs/feed-format.md): ids fit an index, names a line.
MAX_ID = 120
MAX_NAME = 300
MAX_PARTY = 60
MAX_OFFICE_TYPE = 10


def race_problem(race: Race) -> str | None:
    """Why this race cannot be kept, or ``None``. Zero or one candidate is a race (uncontested)."""
    if _plainly_sound_race(race):
        return None
    return _first_problem(race)


def _first_problem(race: Race) -> str | None:
    """Every check in turn, the first problem named (what :func:`race_problem` answers)."""
    problem = _race_fields(race)
    if problem:
        return problem
    ids: set[str] = set()
    for cand in race.candidates:
        problem = candidate_problem(cand)
        if problem:
            return problem
        if cand.id in ids:
            return f"candidate id {_short(cand.id)} repeats"
        ids.add(cand.id)
    unit_ids: set[str] = set()
    states = 0
    # subunits first: a summed state row would report a county's bad figure as its own
    for unit in sorted(race.units, key=lambda u: u.level is Level.STATE):
        problem = unit_problem(unit, ids)
        if problem:
            return problem
        if unit.id in unit_ids:
            return f"unit id {_short(unit.id)} repeats"
        unit_ids.add(unit.id)
        states += unit.level is Level.STATE
    if states > 1:
        return "more than one state-level unit"
    if race.units and states == 0:
        return "units but no state-level unit (the state total)"
    for flagged in (*race.winners, *race.runoff):
        if flagged not in ids:
            return f"the call names unknown candidate {_short(flagged)}"
    if race.call_status is CallStatus.CALLED and not race.winners:
        return "a called race names its winners"
    return None


def _race_fields(race: Race) -> str | None:
    if not (
        _is_text(race.state)
        and len(race.state) == 2
        and race.state.isascii()
        and race.state.isalpha()
        and race.state.isupper()
    ):
        return f"state {_short(race.state)} is not a two-letter postal code"
    name: str
    value: object
    for name, value in (("race id", race.race_id),):
        if not _is_ident(value):
            return f"{name} {_short(value)} is not an id of 1–{MAX_ID} characters"
    if not _is_name(race.office):
        return f"office {_short(race.office)} is not a name of 1–{MAX_NAME} characters"
    for name, value in (
        ("office_id", race.office_id),
        ("seat", race.seat),
        ("race_call_status", race.race_call_status),
        ("tabulation_status", race.tabulation_status),
        ("party", getattr(race, "party", None)),
        ("county", getattr(race, "county", None)),
    ):
        if value is not None and not _is_text(value):
            return f"{name} is not text"
    if not _is_text(race.race_type):
        return "race_type is not text"
    if type(race.general) is not bool or type(race.test) is not bool or type(race.national) is not bool:
        return "a flag (general, test, national) is not true/false"
    if race.flipped_seat is not None and type(race.flipped_seat) is not bool:
        return "flipped_seat is not true/false"
    if not isinstance(race.call_status, CallStatus):
        return "call status is not one of none, called, runoff"
    if type(race.seats) is not int or race.seats < 1:
        return f"seats {_short(race.seats)} is not a whole number ≥ 1"
    if not _is_percent(race.expected_vote_pct):
        return f"eevp {_short(race.expected_vote_pct)} is not a percentage 0–100"
    if not _is_moment(race.last_updated):
        return "last_updated is not a time with a zone"
    if not all(_is_ident(c) for c in (*race.winners, *race.runoff)):
        return "the call names a candidate id that is not an id"
    return None


def candidate_problem(cand: Candidate) -> str | None:
    if not _is_ident(cand.id):
        return f"candidate id {_short(cand.id)} is not an id of 1–{MAX_ID} characters"
    if not _is_name(cand.name):
        return f"candidate {_short(cand.id)}: name is not 1–{MAX_NAME} characters of text"
    if cand.party is not None and not (_is_text(cand.party) and len(cand.party) <= MAX_PARTY):
        return f"candidate {_short(cand.id)}: party is not text of at most {MAX_PARTY} characters"
    if type(cand.incumbent) is not bool or type(cand.pseudo) is not bool:
        return f"candidate {_short(cand.id)}: incumbent/pseudo is not true/false"
    return None


def unit_problem(unit: ReportingUnit, candidate_ids: Iterable[str]) -> str | None:
    """``candidate_ids``: the race's; a unit's votes may name only them."""
    known = candidate_ids if isinstance(candidate_ids, set | frozenset) else set(candidate_ids)
    if _plainly_sound(unit, known):
        return None
    if not _is_ident(unit.id):
        return f"unit id {_short(unit.id)} is not an id of 1–{MAX_ID} characters"
    where = f"unit {_short(unit.id)}"
    if not isinstance(unit.level, Level):
        return f"{where}: level is not one of {', '.join(level.value for level in Level)}"
    if not _is_name(unit.name):
        return f"{where}: name is not 1–{MAX_NAME} characters of text"
    if unit.fips is not None and not (
        _is_text(unit.fips) and len(unit.fips) == 5 and unit.fips.isascii() and unit.fips.isdigit()
    ):
        return f"{where}: fips {_short(unit.fips)} is not five digits"
    reporting, total = unit.precincts_reporting, unit.precincts_total
    if (reporting is None) != (total is None):
        return f"{where}: precincts reporting and precincts in total come together"
    if total is not None:
        if not (_is_count(reporting) and _is_count(total)):
            return f"{where}: precinct counts are not whole numbers ≥ 0"
        if reporting > total:  # type: ignore[operator]  # both are ints: _is_count checked them just above
            return f"{where}: more precincts reporting than precincts in total"
    if not _is_percent(unit.expected_vote_pct):
        return f"{where}: eevp {_short(unit.expected_vote_pct)} is not a percentage 0–100"
    registered = getattr(unit, "registered_voters", None)
    if registered is not None and not (_is_count(registered) and registered > 0):  # 0 means "not given": None
        return f"{where}: registered voters {_short(registered)} is not a whole number ≥ 1"
    if not _is_moment(unit.last_updated):
        return f"{where}: last_updated is not a time with a zone"
    for cid, n in unit.votes.items():
        if cid not in known:
            return f"{where}: votes for unknown candidate {_short(cid)}"
        if not _is_count(n):
            return f"{where}: votes {_short(n)} of candidate {_short(cid)} are not a whole number ≥ 0"
    return None


def _plainly_sound(unit: ReportingUnit, known: set[str] | frozenset[str]) -> bool:
    return _plainly_sound_fields(unit, known) and _plain_counts(unit.votes.values())


def _plain_counts(counts: Collection[Any]) -> bool:
    """Whole numbers ≥ 0 (checked once per race on the quick pass: a set and a ``min`` per unit
    were half of a unit's checks)."""
    return not counts or (set(map(type, counts)) == _INT_ONLY and min(counts) >= 0)


def _plainly_sound_fields(unit: ReportingUnit, known: set[str] | frozenset[str]) -> bool:
    """The checks of :func:`unit_problem` for the usual unit, inlined: a national reply has tens
    of thousands of units, and a predicate call per field was most of its parse time. ``True``
    only when every check below it passes (ASCII text without NUL is encodable text; a UTC time
    converts to UTC); anything else takes the full path, which names the problem."""
    uid, name, fips = unit.id, unit.name, unit.fips
    reporting, total, pct = unit.precincts_reporting, unit.precincts_total, unit.expected_vote_pct
    registered = getattr(unit, "registered_voters", None)
    return (
        type(uid) is str
        and 1 <= len(uid) <= MAX_ID
        and uid.isascii()
        and "\x00" not in uid
        and type(unit.level) is Level
        and type(name) is str
        and 1 <= len(name) <= MAX_NAME
        and name.isascii()
        and "\x00" not in name
        and not name.isspace()
        and (fips is None or (type(fips) is str and len(fips) == 5 and fips.isascii() and fips.isdigit()))
        and (
            (reporting is None and total is None)
            or (type(reporting) is int and type(total) is int and 0 <= reporting <= total)
        )
        and (pct is None or (type(pct) in (int, float) and 0 <= pct <= 100))
        and (registered is None or (type(registered) is int and registered >= 1))
        and (unit.last_updated is None or (type(unit.last_updated) is datetime and unit.last_updated.tzinfo is UTC))
        and known.issuperset(unit.votes)
    )


_INT_ONLY = {int}
_NUMBERS = (int, float)


def _plainly_sound_race(race: Race) -> bool:
    """Every check of :func:`_first_problem` for the usual race, as straight-line code: a national
    reply has 7,000 races, 18,000 candidates and 44,000 units, and this runs on each as the
    adapter hands it over and as the store reads it back; a predicate call per field was most
    of its parse time. ``True`` only when every check passes (ASCII text without NUL is
    encodable text; a UTC time converts to UTC); anything else, the merely unusual included
    (non-ASCII names), goes to the full checks, which name the problem or find none."""
    state, office, seats, pct, updated = race.state, race.office, race.seats, race.expected_vote_pct, race.last_updated
    if not (
        _plain_ident(race.race_id)
        and type(state) is str
        and len(state) == 2
        and state.isascii()
        and state.isalpha()
        and state.isupper()
        and _plain_name(office)
        and _plain_text(race.race_type)
        and (race.office_id is None or _plain_text(race.office_id))
        and (race.seat is None or _plain_text(race.seat))
        and (race.race_call_status is None or _plain_text(race.race_call_status))
        and (race.tabulation_status is None or _plain_text(race.tabulation_status))
        and (race.party is None or _plain_text(race.party))
        and (race.county is None or _plain_text(race.county))
        and type(race.general) is bool
        and type(race.test) is bool
        and type(race.national) is bool
        and (race.flipped_seat is None or type(race.flipped_seat) is bool)
        and type(race.call_status) is CallStatus
        and type(seats) is int
        and seats >= 1
        and (pct is None or (type(pct) in _NUMBERS and 0 <= pct <= 100))
        and (updated is None or (type(updated) is datetime and updated.tzinfo is UTC))
    ):
        return False
    known: set[str] = set()
    for cand in race.candidates:
        cid, name, party = cand.id, cand.name, cand.party
        if not (
            _plain_ident(cid)
            and _plain_name(name)
            and (party is None or (_plain_text(party) and len(party) <= MAX_PARTY))
            and type(cand.incumbent) is bool
            and type(cand.pseudo) is bool
            and cid not in known
        ):
            return False
        known.add(cid)
    for flagged in (*race.winners, *race.runoff):
        if type(flagged) is not str or flagged not in known:
            return False
    if race.call_status is CallStatus.CALLED and not race.winners:
        return False
    seen: set[str] = set()
    states = 0
    counts: list[Any] = []
    for unit in race.units:
        uid = unit.id
        if not (_plainly_sound_fields(unit, known) and uid not in seen):
            return False
        seen.add(uid)
        states += unit.level is Level.STATE
        counts += unit.votes.values()
    return (states == 1 or not race.units) and _plain_counts(counts)


def _plain_text(value: object) -> bool:
    return type(value) is str and value.isascii() and "\x00" not in value


def _plain_ident(value: object) -> bool:
    return type(value) is str and 1 <= len(value) <= MAX_ID and value.isascii() and "\x00" not in value


def _plain_name(value: object) -> bool:
    return (
        type(value) is str
        and 1 <= len(value) <= MAX_NAME
        and value.isascii()
        and "\x00" not in value
        and not value.isspace()
    )


def trendtable_problem(table: TrendTable) -> str | None:
    if not (_is_text(table.office) and len(table.office) <= MAX_NAME):
        return "trendtable office is not text of at most 300 characters"
    if table.office_type is not None and not (_is_text(table.office_type) and len(table.office_type) <= MAX_OFFICE_TYPE):
        return "trendtable office type is not short text"
    if type(table.test) is not bool or not _is_moment(table.timestamp):
        return "trendtable test flag or timestamp is unusable"
    if not table.parties:
        return "trendtable lists no party"
    seen: set[str] = set()
    for p in table.parties:
        if not (_is_text(p.party) and 1 <= len(p.party) <= MAX_PARTY) or p.party in seen:
            return f"trendtable party {_short(p.party)} is not a distinct name"
        seen.add(p.party)
        if not all(_is_count(n) for n in (p.won, p.leading, p.holdovers)):
            return f"trendtable party {_short(p.party)}: counts are not whole numbers ≥ 0"
        if not all(n is None or _is_count(n) for n in (p.winning_trend, p.current)):
            return f"trendtable party {_short(p.party)}: counts are not whole numbers ≥ 0"
        if type(p.net_winners) is not int or type(p.net_leaders) is not int:
            return f"trendtable party {_short(p.party)}: net changes are not whole numbers"
    return None


def snapshot_problem(snapshot: Snapshot) -> str | None:
    """The first problem of a whole snapshot (each race, each report, the top level), or ``None``:
    what the store will read back exactly."""
    if not _is_text(snapshot.feed) or not _is_moment(snapshot.generated_at) or snapshot.generated_at is None:
        return "feed name or generated_at is unusable"
    if snapshot.version is not None and not _is_text(snapshot.version):
        return "version is not text"
    if type(snapshot.test) is not bool:
        return "test is not true/false"
    if not all(_is_text(k) and _is_text(v) for k, v in snapshot.meta.items()):
        return "meta is not text to text"
    for key, race in snapshot.races.items():
        if key != race.key:
            return f"race {_short(race.key)} is filed under {_short(key)}"
        problem = race_problem(race)
        if problem:
            return f"race {race.key}: {problem}"
    for table in snapshot.balance:
        problem = trendtable_problem(table)
        if problem:
            return problem
    return None


# -- small predicates ---------------------------------------------------------------------------


def _is_text(value: object) -> TypeGuard[str]:
    """A ``str`` the store can write: UTF-8 encodable (a JSON ``\\ud800`` escape decodes to a lone
    surrogate, which cannot be) and without NUL (a JSON ``\\u0000`` decodes to one; PostgreSQL's
    text refuses it, and keys and feed text are stored outside JSON too)."""
    if type(value) is not str or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_ident(value: object) -> bool:
    return _is_text(value) and 1 <= len(value) <= MAX_ID


def _is_name(value: object) -> bool:
    return _is_text(value) and 1 <= len(value) <= MAX_NAME and bool(value.strip())


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0  # bool is not a count


def _is_percent(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, (int, float)) and type(value) in (int, float) and math.isfinite(value) and 0 <= value <= 100


def _is_moment(value: object) -> bool:
    """Aware, and writable as UTC (year 1 at +05:00 is not)."""
    if value is None:
        return True
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        return False
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _short(value: object) -> str:
    return repr(value)[:40]


__all__ = [
    "MAX_ID",
    "MAX_NAME",
    "MAX_PARTY",
    "candidate_problem",
    "race_problem",
    "snapshot_problem",
    "trendtable_problem",
    "unit_problem",
]
