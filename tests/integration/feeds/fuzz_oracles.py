"""Independent readings of feed payloads, for the fuzz tests to check the adapters against.

Each reading is written from the format as its publisher documents it (AP's ``voteCount`` per
candidate on the state-level reporting unit; Clarity's ``V`` list in summary.json and
``totalVotes`` per ``Choice`` in detail.xml; one CSV row per candidate and precinct with a
``votes`` cell), with the standard library only: ``json``, ``xml.etree``, ``csv``. It never
calls the adapter's helpers. A reading answers, per race key, the statewide total it finds, or
``UNREADABLE`` where the payload breaks the format's own rules (the adapter must then leave that
race out or refuse the reply), or ``UNSURE`` where the format leaves the reading open.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from hypothesis import currently_in_test_context, event

from bot.codec.errors import FeedError

UNREADABLE = "unreadable"
UNSURE = "unsure"


def is_count(value: Any) -> bool:
    """A JSON vote count: a whole number ≥ 0 (``true`` is not a number)."""
    return type(value) is int and value >= 0


def outcome(parse: Any) -> Any:
    """The adapter's answer: what it returns, or the FeedError it raises. Any other exception
    propagates and fails the test: the documented error is a FeedError, nothing else."""
    try:
        result = parse()
    except FeedError as exc:
        assert isinstance(exc.reason, str) and exc.reason.strip(), "a FeedError must say what was wrong"
        assert str(exc).strip()
        _count("FeedError")
        return exc
    _count("read")
    return result


def _count(outcome: str) -> None:
    """``--hypothesis-show-statistics`` shows how often the totals were checked."""
    if currently_in_test_context():
        event(outcome)


def check_races(
    races: Iterable[Any], reading: Mapping[str, Any], left_out: Iterable[Any] | None, must_keep: Iterable[str] = ()
) -> None:
    """Every race the adapter kept has the total the reading finds; a race the reading cannot
    read is not kept; races a mutation did not touch are kept; a readable race left out is
    named in ``left_out`` (when the adapter reports one)."""
    kept = {race.key: race for race in races}
    for key, race in kept.items():
        assert key in reading, f"race {key} is not in the payload"
        expected = reading[key]
        if expected == UNSURE:
            continue
        assert expected != UNREADABLE, f"race {key} breaks the format and was kept: {race.state_unit}"
        # a race listed with no figure at all has no rows yet, so no state row: nothing counted
        got = race.state_unit.total_votes if race.state_unit is not None else (0 if not race.units else None)
        assert got == expected, (key, race.state_unit, expected)
    for key in must_keep:
        if reading.get(key) not in (UNREADABLE, UNSURE):
            assert key in kept, f"race {key} was not touched by the fault and was lost"
    if left_out is not None:
        lost = [k for k, v in reading.items() if v not in (UNREADABLE, UNSURE) and k not in kept]
        assert not lost or list(left_out), f"races {lost} left out without a reason"


def _merge(reading: dict[str, Any], key: str, value: Any) -> None:
    """Two races under one key: which one the adapter keeps is its choice."""
    reading[key] = UNSURE if key in reading else value


# --- AP ------------------------------------------------------------------------------------------


def _ap_unit_total(unit: Any) -> Any:
    if not isinstance(unit, dict):
        return UNREADABLE
    entries = unit.get("candidates")
    if entries is None:
        return 0
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return UNREADABLE
    counts = [e.get("voteCount", 0) for e in entries]
    return sum(counts) if all(is_count(c) for c in counts) else UNREADABLE


def ap_reading(doc: Any) -> dict[str, Any]:
    """Race key → the sum of ``voteCount`` on the race's one state-level unit."""
    reading: dict[str, Any] = {}
    races = doc.get("races") if isinstance(doc, dict) else None
    if not isinstance(races, list):
        return reading
    for raw in races:
        if not isinstance(raw, dict):
            continue
        rid = raw.get("raceID")
        if not ((type(rid) is str and rid) or (type(rid) is int and rid >= 0)):
            continue  # no key: nothing can be checked, nothing may be kept under it
        units = raw.get("reportingUnits") or []
        postal = raw.get("statePostal")
        if postal is None and isinstance(
            units, list
        ):  # the race's state is its state row's (presidential replies add a US row)
            rows = [u for u in units if isinstance(u, dict) and u.get("statePostal") is not None]
            postal = next((u["statePostal"] for u in rows if u.get("level") == "state"), None) or next(
                (u["statePostal"] for u in rows), None
            )
        if not isinstance(postal, str):
            continue
        key = f"{postal.upper()}-{rid}"
        if not isinstance(units, list):
            _merge(reading, key, UNREADABLE)
            continue
        levels = [str(u.get("level")).lower() if isinstance(u, dict) else None for u in units]
        states = [u for u, level in zip(units, levels, strict=True) if level == "state"]
        if len(states) > 1 or not (len(postal) == 2 and postal.isascii() and postal.isalpha()):
            _merge(reading, key, UNREADABLE)
        elif len(states) == 1:
            _merge(reading, key, _ap_unit_total(states[0]))
        else:
            _merge(reading, key, UNSURE)  # no state row: a sum of subunits, whichever level
    return reading


# --- Clarity ------------------------------------------------------------------------------------


def _clarity_key(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def summary_reading(doc: Any, state: str) -> dict[str, Any]:
    """Race key → the sum of the contest's ``V`` (one count per choice in ``CH``)."""
    reading: dict[str, Any] = {}
    if not isinstance(doc, list):
        return reading
    for raw in doc:
        if not isinstance(raw, dict) or (key := _clarity_key(raw.get("K"))) is None:
            continue
        names, votes, parties = raw.get("CH"), raw.get("V"), raw.get("P")
        ok = (
            isinstance(names, list)
            and all(isinstance(n, str) for n in names)
            and isinstance(votes, list)
            and all(is_count(v) for v in votes)
            and len(votes) == len(names)
            and (parties is None or (isinstance(parties, list) and len(parties) == len(names)))
            and isinstance(raw.get("C"), str)
            and raw["C"].strip() != ""
        )
        _merge(reading, f"{state}-{key}", sum(votes) if ok else UNREADABLE)
    return reading


def _whole(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if re.fullmatch(r"[0-9]{1,15}", text) else None


def detail_reading(data: bytes, state: str) -> dict[str, Any]:
    """Race key → the sum over choices of ``totalVotes`` (else of its vote types' ``votes``)."""
    root = ET.fromstring(data)
    reading: dict[str, Any] = {}
    for contest in root.findall("Contest"):
        key = _clarity_key(contest.get("key"))
        if key is None:
            continue
        total: Any = 0
        for choice in contest.findall("Choice"):
            given = choice.get("totalVotes")
            if given is not None:
                n = _whole(given)
            else:
                parts = [_whole(v.get("votes", "0")) for v in choice.findall("VoteType")]
                n = None if None in parts else sum(p for p in parts if p is not None)
            if n is None:
                total = UNREADABLE
                break
            total += n
        _merge(reading, f"{state}-{key}", total)
    return reading


# --- CSV -------------------------------------------------------------------------------------------

#: turnout lines, over/under votes and straight-party tallies share the columns but are no
#: candidate's votes (the Secretary of State's office total counts candidates and write-ins only)
_NOT_VOTES = (
    "registeredvoters",
    "ballotscast",
    "blankballots",
    "straightparty",
    "overvote",
    "undervote",
    "totalvotes",
    "timescounted",
)


def _slug(office: str, district: str) -> str:
    """The race of a CSV row: its office and district ('UNITED STATES SENATOR' → 'united-states-senator')."""
    # an office of punctuation alone has no words to name it by: its race is "-"
    return re.sub(r"[\W_]+", "-", f"{office} {district}".lower()).strip("-") or "-"


def csv_reading(text: str, state: str) -> dict[str, Any] | None:
    """Race key → the sum of its candidates' votes, or ``None`` when the header lacks a required
    column. A race with a row that breaks the format (an empty candidate or county, a vote cell
    that is not a whole number ≥ 0) is ``UNREADABLE``; a row with no office belongs to no race."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return None
    header = [h.strip().lower() for h in rows[0]]
    if not all(name in header for name in ("county", "office", "candidate", "votes")):
        return None
    col = {
        name: header.index(name)
        for name in ("county", "office", "candidate", "votes", "precinct", "district")
        if name in header
    }

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    reading: dict[str, Any] = {}
    for row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        office, candidate = cell(row, "office"), cell(row, "candidate")
        if not office:
            continue
        key = f"{state}-{_slug(office, cell(row, 'district'))}"
        if not candidate:
            reading[key] = UNREADABLE
            continue
        if any(re.sub(r"[\W_]+", "", t.lower()).startswith(_NOT_VOTES) for t in (office, candidate)):
            continue
        votes, n = cell(row, "votes"), 0
        if votes:
            try:
                value = float(votes)
            except ValueError:
                value = -1.0
            if not (value >= 0 and value.is_integer() and value < 1e12):
                reading[key] = UNREADABLE
                continue
            n = int(value)
        if not cell(row, "county"):
            reading[key] = UNREADABLE
            continue
        if reading.get(key) != UNREADABLE:
            reading[key] = reading.get(key, 0) + n
    return reading


def settings_reading(doc: Any) -> bool | str:
    """Clarity's ``settings.electiondetails.istestmode``: True/False, ``UNREADABLE`` for a value
    that is no yes/no at all, ``UNSURE`` for the yes/no words sites write in other ways."""
    if not isinstance(doc, dict):
        return UNREADABLE
    settings = doc.get("settings") or {}
    details = settings.get("electiondetails") if isinstance(settings, dict) else None
    if details is None:
        return False
    if not isinstance(details, dict):
        return UNREADABLE
    value = details.get("istestmode")
    if value is None or isinstance(value, bool):
        return bool(value)
    if type(value) is int and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word == "true" else False if word == "false" else UNSURE
    return UNREADABLE
