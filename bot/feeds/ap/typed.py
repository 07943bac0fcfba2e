"""One race decoded into AP's typed shapes (:mod:`.shapes`) → :class:`Race`, for the plain case.

Why a second reader: the generic one (:mod:`.races`, :mod:`.units`) reads dicts of any shape and
names every problem it meets; most of its time on a national reply goes to checks a typed
decode has already made. This one reads a race whose fields msgspec accepted and builds exactly
the race the generic path would build from the same bytes. Whatever would make the generic path
leave something out or say something (a unit it cannot read, a repeated id, a roster entry
without a name, a polID shared by two candidates) raises :class:`NotPlain` instead, and the
caller reads that race with the generic path, which leaves out and says what it always did. So
the messages live in one place, and the two readers can only differ in speed
(tests/integration/feeds/test_ap_typed.py checks that they do not differ otherwise).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from bot.core.invariants import MAX_NAME, MAX_PARTY
from bot.core.model import CallStatus, Level, Race, ReportingUnit, built_race, built_unit
from bot.core.states import state_name
from bot.feeds.ap.candidates import IdCollision, Roster
from bot.feeds.ap.flags import is_general, primary_party, race_type
from bot.feeds.ap.readers import Malformed, fips_code, ident, instant
from bot.feeds.ap.shapes import ApCandidate, ApRace, ApUnit
from bot.feeds.ap.units import NEW_ENGLAND

_LEVELS = {"state": Level.STATE, "district": Level.DISTRICT, "fipscode": Level.COUNTY, "township": Level.TOWN}
_STATE = Level.STATE
#: a national reply repeats each county's FIPS code and a handful of times in every race: read once
_fips = lru_cache(maxsize=16384)(fips_code)


@lru_cache(maxsize=4096)
def _moment(text: str) -> datetime | None:
    return instant(text, "lastUpdated")


class NotPlain(Exception):
    """This race needs the generic reader (it has something to leave out or to say)."""


def typed_race(shape: ApRace) -> Race:
    """The race the generic reader builds from the same bytes, or :class:`NotPlain`."""
    return vouched_race(shape, plain_text=False)[0]


def vouched_race(shape: ApRace, plain_text: bool) -> tuple[Race, bool]:
    """:func:`typed_race`, and whether the race is one :func:`bot.core.invariants.race_problem`
    would pass, known from how it was read (``True`` only then; ``False`` says nothing).

    Why: the invariants' check was a fifth of a national reply's parse, and nearly all of it
    re-proves what msgspec's types and this reader's construction already hold (counts whole and
    ≥ 0, ids short and unique, votes only for the roster, calls naming it, one state row, times in
    UTC). ``plain_text`` is the caller's word that every string in the race's bytes is ASCII
    without escapes (so encodable, and without NUL); what is left to look at is the few lengths
    and blanks only the invariants bound (names, parties, precinct pairs), checked here as the
    race is built. tests/integration/feeds/test_ap_typed.py holds the two paths to one outcome
    over the odd shapes and the mutation corpus."""
    try:
        race, sound = _race(shape, plain_text)
    except (Malformed, IdCollision):
        raise NotPlain from None
    return race, sound


def says_test(shape: ApRace) -> bool:
    """:func:`bot.feeds.ap.flags.says_test` of the same race."""
    kind = shape.resultsType
    return shape.test is True or (kind is not None and kind.lower() in ("test", "t"))


def _race(shape: ApRace, plain_text: bool) -> tuple[Race, bool]:
    race_id = ident(shape.raceID, "raceID")
    raw_units = shape.reportingUnits or []
    state = _state(shape, raw_units)
    office_id = shape.officeID
    race_type_text = shape.raceType
    roster = Roster(office_id == "I" or "ballot" in (race_type_text or "").lower())
    if shape.candidates is not None:  # initialization (omitResults) payloads: the roster sits on the race
        for entry in shape.candidates:
            _resolve(roster, entry)
    units, state_row, sound = _units(raw_units, state, roster, plain_text)
    called = state_row.candidates if state_row is not None else shape.candidates
    winners: list[str] = []
    runoff: list[str] = []
    for entry in called or ():
        flag = entry.winner
        if flag == "X":
            winners.append(_resolve(roster, entry))
        elif flag == "R":
            runoff.append(_resolve(roster, entry))
    state_unit = units[0] if state_row is not None else None
    race_type_id = shape.raceTypeID
    eevp = shape.eevp
    updated = instant(shape.lastUpdated, "lastUpdated")
    party = shape.party
    results_type = shape.resultsType
    office = shape.officeName or office_id or f"Race {race_id}"
    # a summed state row (units but none at state level) is left to the invariants
    sound = sound and (state_row is not None or not units) and _sound_name(office) and _sound_roster(roster)
    race = built_race(
        state,
        race_id,
        office,
        tuple(roster.candidates),
        tuple(units),
        office_id,
        shape.seatName,
        race_type(race_type_text, race_type_id, party),
        is_general(race_type_id, race_type_text),
        shape.test is True or (results_type or "").lower() in ("test", "t"),
        CallStatus.CALLED if winners else CallStatus.RUNOFF if runoff else CallStatus.NONE,
        tuple(winners),
        tuple(runoff),
        shape.raceCallStatus,
        shape.tabulationStatus,
        eevp if eevp is not None else state_unit.expected_vote_pct if state_unit else None,
        shape.numWinners or 1,
        shape.national is True,
        updated or (state_unit.last_updated if state_unit else None),
        shape.flippedSeat,
        primary_party(party, race_type_id, race_type_text),
        None,
    ).with_state_total()
    return race, sound


def _sound_name(name: str) -> bool:
    """What the invariants ask of a name beyond plain text (it is never empty here)."""
    return len(name) <= MAX_NAME and not name.isspace()


def _sound_roster(roster: Roster) -> bool:
    return all(_sound_name(c.name) and (c.party is None or len(c.party) <= MAX_PARTY) for c in roster.candidates)


def _state(shape: ApRace, units: list[ApUnit]) -> str:
    postal = shape.statePostal
    if postal is None:
        postal = next((u.statePostal for u in units if u.level == "state" and u.statePostal is not None), None)
        if postal is None:
            postal = next((u.statePostal for u in units if u.statePostal is not None), None)
    if postal is None or not (len(postal) == 2 and postal.isascii() and postal.isalpha()):
        raise NotPlain
    return postal.upper()


def _resolve(roster: Roster, entry: ApCandidate) -> str:
    """The roster's id for an entry: a dict lookup for one already seen, else the roster's own
    :meth:`Roster.resolve` on the entry's fields (``.get`` of a missing field and of a ``null``
    one are the same to it)."""
    known = roster.by_key.get(entry.candidateID)
    if known is not None:
        return known
    return roster.resolve(
        {
            "candidateID": entry.candidateID,
            "polID": entry.polID,
            "polNum": entry.polNum,
            "first": entry.first,
            "last": entry.last,
            "party": entry.party,
            "incumbent": entry.incumbent,
        }
    )


def _units(
    raw_units: list[ApUnit], state: str, roster: Roster, sound: bool
) -> tuple[list[ReportingUnit], ApUnit | None, bool]:
    """:func:`bot.feeds.ap.units.unit_rows` for units that all read cleanly and whose ids do not
    repeat; ``sound`` stays true while every unit's name and precinct pair pass the invariants."""
    units: list[ReportingUnit] = []
    seen: set[str] = set()
    state_row: ApUnit | None = None
    town = Level.TOWN if state in NEW_ENGLAND else Level.COUNTY
    by_key = roster.by_key
    for raw in raw_units:
        text = raw.level
        if text == "subunit":
            level = town
        elif text is None:
            raise NotPlain
        else:
            found = _LEVELS.get(text.lower())
            if found is None:  # e.g. a national roll-up row on presidential replies: not a row of this state
                continue
            level = found
        raw_fips = raw.fipsCode
        fips = _fips(raw_fips) if raw_fips is not None else None
        if level is _STATE:
            unit_id = state
            name = raw.stateName or state_name(state)
        else:
            unit_id = ident(raw.reportingunitID or raw_fips, "reportingunitID")
            name = raw.reportingunitName or unit_id
        entries = raw.candidates or ()
        votes: dict[Any, int] = {by_key.get(entry.candidateID): entry.voteCount for entry in entries}
        if None in votes:  # a candidate first seen on this row: resolve each in order, as the generic path does
            votes = {_resolve(roster, entry): entry.voteCount for entry in entries}
        if len(votes) != len(entries) or unit_id in seen:  # a candidate twice on a row, a unit id twice
            raise NotPlain
        seen.add(unit_id)
        updated = raw.lastUpdated
        reporting, total = raw.precinctsReporting, raw.precinctsTotal
        if sound and not (
            _sound_name(name)
            and (
                (reporting is None and total is None) or (reporting is not None and total is not None and reporting <= total)
            )
        ):
            sound = False
        unit = built_unit(
            unit_id,
            level,
            name,
            votes,
            fips,
            reporting,
            total,
            raw.eevp,
            _moment(updated) if updated is not None else None,
            None,
        )
        if level is _STATE:
            state_row = raw
            units.insert(0, unit)
        else:
            units.append(unit)
    return units, state_row, sound
