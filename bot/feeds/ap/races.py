"""One AP race → :class:`Race`; a race that cannot be read costs that race only."""

from __future__ import annotations

from typing import Any

from bot.codec.errors import LeftOut
from bot.core.model import CallStatus, Race, race_key
from bot.feeds.ap.candidates import IdCollision, Roster, calls
from bot.feeds.ap.flags import is_general, is_test, primary_party, race_type
from bot.feeds.ap.readers import Malformed, boolean, flipped, ident, instant, kind_of, optional_text, percent, seat_count
from bot.feeds.ap.units import unit_rows


def race_in_context(raw: Any, index: int, left_out: list[LeftOut]) -> Race | None:
    """One race, or ``None`` with the reason in ``left_out``: one odd race costs that race."""
    parts: list[LeftOut] = []
    try:
        try:
            race = parse_race(raw, by_candidate_id=False, left_out=parts)
        except IdCollision:
            parts.clear()
            race = parse_race(raw, by_candidate_id=True, left_out=parts)
    except Malformed as exc:
        left_out.append(LeftOut("race", *_where(raw, index, str(exc))))
        return None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:  # a shape no check foresaw
        left_out.append(LeftOut("race", *_where(raw, index, f"{type(exc).__name__}: {str(exc)[:80]}")))
        return None
    left_out.extend(parts)
    return race


def _where(raw: Any, index: int, reason: str) -> tuple[str, str, str | None]:
    """Where a race that cannot be read sits, the reason and its key when one can be told (worked
    out only for such a race: most of a national reply reads cleanly)."""
    where, key = f"#{index + 1}", None
    if isinstance(raw, dict) and isinstance(raw.get("raceID"), str | int) and not isinstance(raw.get("raceID"), bool):
        where = f"{raw.get('raceID')!s:.40}"
        postal = _postal_hint(raw)
        if postal is not None:
            where = key = race_key(postal, str(raw["raceID"]))
    return where, reason, key


def _postal_hint(raw: dict[str, Any]) -> str | None:
    """The race's state as far as it can be told, to name a race that cannot be read (and keep
    its last good version)."""
    units = raw.get("reportingUnits")
    found = [
        raw.get("statePostal"),
        *(u.get("statePostal") for u in (units if isinstance(units, list) else ()) if isinstance(u, dict)),
    ]
    return next((p.upper() for p in found if isinstance(p, str) and len(p) == 2 and p.isascii() and p.isalpha()), None)


def parse_race(raw: Any, by_candidate_id: bool, left_out: list[LeftOut]) -> Race:
    if not isinstance(raw, dict):
        raise Malformed(f"a race is {kind_of(raw)}, not an object")
    race_id = ident(raw.get("raceID"), "raceID")
    raw_units = raw.get("reportingUnits")
    if raw_units is None:
        raw_units = []
    if not isinstance(raw_units, list):
        raise Malformed(f"reportingUnits is {kind_of(raw_units)}, not a list")
    state = _race_state(raw, raw_units)
    office_id = optional_text(raw.get("officeID"), "officeID")
    race_type_text = optional_text(raw.get("raceType"), "raceType")
    roster = Roster(by_candidate_id or office_id == "I" or "ballot" in (race_type_text or "").lower())

    roster_raw = raw.get("candidates")
    if roster_raw is not None:  # initialization (omitResults) payloads: the roster sits on the race
        if not isinstance(roster_raw, list):
            raise Malformed(f"candidates is {kind_of(roster_raw)}, not a list")
        for entry in roster_raw:
            try:
                roster.resolve(entry)
            except Malformed as exc:  # one roster entry costs that candidate
                left_out.append(LeftOut("candidate", f"in race {race_key(state, race_id)}", str(exc)))

    units, state_row = unit_rows(raw_units, state, roster, race_key(state, race_id), left_out)
    # AP repeats the winner flag on county rows: the call is read from the state row only (or
    # from the race's own roster when there are no rows yet).
    called = state_row.get("candidates") if state_row is not None else roster_raw
    winners, runoff = calls(called or [], roster)
    state_unit = units[0] if state_row is not None else None
    race_type_id = optional_text(raw.get("raceTypeID"), "raceTypeID")
    eevp = percent(raw.get("eevp"), "eevp")
    return Race(
        state=state,
        race_id=race_id,
        office=optional_text(raw.get("officeName"), "officeName") or office_id or f"Race {race_id}",
        candidates=tuple(roster.candidates),
        units=tuple(units),
        office_id=office_id,
        seat=optional_text(raw.get("seatName"), "seatName"),
        race_type=race_type(race_type_text, race_type_id, optional_text(raw.get("party"), "party")),
        general=is_general(race_type_id, race_type_text),
        test=is_test(raw),
        call_status=CallStatus.CALLED if winners else CallStatus.RUNOFF if runoff else CallStatus.NONE,
        winners=winners,
        runoff=runoff,
        race_call_status=optional_text(raw.get("raceCallStatus"), "raceCallStatus"),
        tabulation_status=optional_text(raw.get("tabulationStatus"), "tabulationStatus"),
        expected_vote_pct=eevp if eevp is not None else state_unit.expected_vote_pct if state_unit else None,
        seats=seat_count(raw.get("numWinners")),
        national=boolean(raw.get("national"), "national"),
        last_updated=instant(raw.get("lastUpdated"), "lastUpdated") or (state_unit.last_updated if state_unit else None),
        flipped_seat=flipped(raw.get("flippedSeat")),
        party=primary_party(optional_text(raw.get("party"), "party"), race_type_id, race_type_text),
    ).with_state_total()


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
        raise Malformed("no statePostal on the race or its reporting units")
    if not (isinstance(postal, str) and len(postal) == 2 and postal.isascii() and postal.isalpha()):
        raise Malformed(f"statePostal {str(postal)[:20]!r} is not a two-letter code")
    return postal.upper()
