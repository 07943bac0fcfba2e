"""A race's reporting units (state, district, county, town rows) and their vote counts."""

from __future__ import annotations

from typing import Any

from bot.codec.errors import LeftOut
from bot.core.model import Level, ReportingUnit, built_unit
from bot.core.states import state_name
from bot.feeds.ap.candidates import Roster
from bot.feeds.ap.readers import Malformed, fips_code, ident, instant, kind_of, percent, whole_number

#: New England reports by town (AP level ``subunit`` or ``township``), not by county.
NEW_ENGLAND = frozenset({"CT", "MA", "ME", "NH", "RI", "VT"})

_LEVELS_ANYWHERE = {"state": Level.STATE, "district": Level.DISTRICT, "fipscode": Level.COUNTY, "township": Level.TOWN}


def unit_rows(
    raw_units: list[Any], state: str, roster: Roster, key: str, left_out: list[LeftOut]
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
            unit = reporting_unit(raw_unit, state, roster)
        except Malformed as exc:
            if is_state:
                raise
            left_out.append(LeftOut("unit", f"{unit_label(raw_unit)} of race {key}", str(exc)))
            continue
        if unit is None:
            continue
        if unit.id in seen:
            if unit.level is Level.STATE:
                raise Malformed("more than one state-level reporting unit")
            left_out.append(LeftOut("unit", f"{unit.id[:40]} of race {key}", "its id repeats; the first row is used"))
            continue
        seen.add(unit.id)
        if unit.level is Level.STATE:
            state_row = raw_unit
            units.insert(0, unit)
        else:
            units.append(unit)
    return units, state_row


def unit_label(raw: Any) -> str:
    if isinstance(raw, dict):
        for key in ("reportingunitID", "fipsCode", "reportingunitName"):
            if isinstance(raw.get(key), str | int) and not isinstance(raw.get(key), bool):
                return str(raw[key])[:40]
    return "(unnamed)"


def reporting_unit(raw: Any, state: str, roster: Roster) -> ReportingUnit | None:
    """One reporting unit. The per-candidate loop is the hot path of a national night (tens of
    thousands of rows), so it does no more than a dict lookup and a type check per row."""
    if type(raw) is not dict:
        raise Malformed(f"a reporting unit is {kind_of(raw)}, not an object")
    level = unit_level(raw.get("level"), state)
    if level is None:  # e.g. a national roll-up row on presidential replies: not a row of this state
        return None
    raw_fips = raw.get("fipsCode")
    fips = fips_code(raw_fips) if raw_fips is not None else None
    if level is Level.STATE:
        unit_id = state
        name = raw.get("stateName") or state_name(state)
    else:
        raw_id = raw.get("reportingunitID") or raw_fips
        if raw_id is None:
            raise Malformed(f"a {raw.get('level')} unit has neither reportingunitID nor fipsCode")
        unit_id = ident(raw_id, "reportingunitID")
        name = raw.get("reportingunitName") or unit_id
    if type(name) is not str:
        raise Malformed(f"unit {unit_id}: name is {kind_of(name)}, not text")
    entries = raw.get("candidates")
    if entries is None:
        entries = ()
    elif type(entries) is not list:
        raise Malformed(f"unit {unit_id}: candidates is {kind_of(entries)}, not a list")
    by_key = roster.by_key
    votes: dict[str, int] = {}
    for entry in entries:
        key = entry.get("candidateID") if type(entry) is dict else None
        cid = by_key.get(key) if type(key) is str else None
        if cid is None:
            cid = roster.resolve(entry)
        count = entry.get("voteCount", 0)
        if type(count) is not int or count < 0:
            raise Malformed(f"unit {unit_id}: voteCount {str(count)[:20]!r} of candidate {cid} is not a whole number ≥ 0")
        if cid in votes:
            raise Malformed(f"unit {unit_id}: candidate {cid} appears twice")
        votes[cid] = count
    updated = raw.get("lastUpdated")
    return built_unit(  # votes is handed over: built here, referenced nowhere else
        unit_id,
        level,
        name,
        votes,
        fips,
        whole_number(raw.get("precinctsReporting"), "precinctsReporting"),
        whole_number(raw.get("precinctsTotal"), "precinctsTotal"),
        percent(raw.get("eevp"), "eevp"),
        instant(updated, "lastUpdated") if updated is not None else None,
    )


def unit_level(text: Any, state: str) -> Level | None:
    """``subunit`` is a county, except in New England where AP's subunits are towns."""
    if text == "subunit":
        return Level.TOWN if state in NEW_ENGLAND else Level.COUNTY
    if type(text) is not str:
        raise Malformed(f"level is {kind_of(text)}, not text")
    return _LEVELS_ANYWHERE.get(text.lower())
