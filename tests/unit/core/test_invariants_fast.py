"""``race_problem``'s quick pass over a usual race (``_plainly_sound_race``) never admits what the
full checks refuse: for a race with every kind of odd value in every field of the race, its units
and its candidates, one at a time, ``race_problem`` answers exactly what the full checks answer."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.core import invariants
from bot.core.invariants import MAX_ID, MAX_NAME, MAX_PARTY, race_problem
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit

AT = datetime(2026, 11, 4, 2, 30, tzinfo=UTC)

GOOD = Race(
    "AL",
    "1000",
    "U.S. Senate",
    (Candidate("a", "Doug Jones", "Dem", incumbent=True), Candidate("b", "Write-ins", None, pseudo=True)),
    (
        ReportingUnit("AL", Level.STATE, "Alabama", {"a": 10, "b": 8}, None, 1, 3, 41.0, AT),
        ReportingUnit("01001", Level.COUNTY, "Autauga", {"a": 10, "b": 8}, "01001", 1, 3, 40, AT, 5000),
    ),
    office_id="S",
    seat="Class II",
    call_status=CallStatus.CALLED,
    winners=("a",),
    race_call_status="Called",
    tabulation_status="Active Tabulation",
    expected_vote_pct=41.5,
    last_updated=AT,
    flipped_seat=False,
    party="Dem",
    county="Jefferson",
)


class Weird:
    """Neither text, number nor time; equal to nothing, hash by identity."""


ODD: tuple[Any, ...] = (
    None,
    "",
    "   ",
    "x" * (MAX_ID + 1),
    "x" * MAX_ID,
    "x" * (MAX_NAME + 1),
    "x" * (MAX_PARTY + 1),
    "a\x00b",
    "Senate \ud800",
    "Zoë Ñúñez",
    "al",
    "A1",
    "ALA",
    "AK",
    "a",
    "ghost",
    "01001",
    "1001",
    "0100A",
    "\uff10\uff11\uff10\uff10\uff11",  # five full-width digits: digits, not ASCII
    0,
    -1,
    1,
    2,
    2**70,
    1.5,
    50.0,
    100,
    100.5,
    -0.5,
    math.nan,
    math.inf,
    True,
    False,
    Level.STATE,
    Level.COUNTY,
    CallStatus.CALLED,
    CallStatus.NONE,
    "called",
    datetime(2026, 11, 4, 2, 30),
    datetime(2026, 11, 4, 2, 30, tzinfo=timezone(timedelta(hours=5))),
    datetime(2026, 11, 4, 2, 30, tzinfo=timezone(timedelta(0), "Z")),
    datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    (),
    ("a",),
    ("b", "a"),
    ("ghost",),
    ("a", "a"),
    (1,),
    ["a"],
    Weird(),
)

VOTES: tuple[Any, ...] = ({}, {"a": -1}, {"a": True}, {"a": 1.0}, {"ghost": 3}, {"a": 2**70}, {"a": 0, "b": 0}, {1: 2})


def _with_unit(race: Race, index: int, unit: ReportingUnit) -> Race:
    units = list(race.units)
    units[index] = unit
    return replace(race, units=tuple(units))


def _with_candidate(race: Race, index: int, cand: Candidate) -> Race:
    cands = list(race.candidates)
    cands[index] = cand
    return replace(race, candidates=tuple(cands))


def _set(obj: Any, name: str, value: Any) -> Any:
    """A copy of a frozen model object with one field set to anything (no constructor checks it)."""
    copy = replace(obj)
    object.__setattr__(copy, name, value)
    return copy


def variants() -> list[tuple[str, Race]]:
    out: list[tuple[str, Race]] = []
    for f in fields(Race):
        out += [(f"race.{f.name}={v!r:.30}", _set(GOOD, f.name, v)) for v in ODD]
    for index, unit in enumerate(GOOD.units):
        for f in fields(ReportingUnit):
            pool = VOTES if f.name == "votes" else ODD
            out += [(f"unit{index}.{f.name}={v!r:.30}", _with_unit(GOOD, index, _set(unit, f.name, v))) for v in pool]
    for index, cand in enumerate(GOOD.candidates):
        for f in fields(Candidate):
            out += [(f"cand{index}.{f.name}={v!r:.30}", _with_candidate(GOOD, index, _set(cand, f.name, v))) for v in ODD]
    shapes: dict[str, Callable[[Race], Race]] = {
        "no units": lambda r: replace(r, units=()),
        "no state row": lambda r: replace(r, units=r.units[1:]),
        "two state rows": lambda r: replace(r, units=(r.units[0], r.units[0])),
        "a county twice": lambda r: replace(r, units=(*r.units, r.units[1])),
        "no candidates, no votes": lambda r: replace(
            r, candidates=(), winners=(), call_status=CallStatus.NONE, units=(replace(r.units[0], votes={}),)
        ),
        "a candidate twice": lambda r: replace(r, candidates=(r.candidates[0], r.candidates[0])),
        "precinct counts on one unit only": lambda r: _with_unit(
            r, 1, replace(r.units[1], precincts_reporting=None, precincts_total=None)
        ),
        "no precinct counts anywhere": lambda r: replace(
            r, units=tuple(replace(u, precincts_reporting=None, precincts_total=None) for u in r.units)
        ),
        "no times anywhere": lambda r: replace(
            r, last_updated=None, units=tuple(replace(u, last_updated=None) for u in r.units)
        ),
    }
    out += [(name, change(GOOD)) for name, change in shapes.items()]
    return out


def outcome(check: Callable[[Race], str | None], race: Race) -> tuple[str, str | None]:
    try:
        return "answer", check(race)
    except Exception as exc:  # the full checks raise on some shapes (winners=None): the same must happen
        return "raises", type(exc).__name__


def test_the_good_race_takes_the_quick_pass() -> None:
    assert invariants._plainly_sound_race(GOOD) and race_problem(GOOD) is None


def test_race_problem_answers_what_the_full_checks_answer_for_every_odd_field() -> None:
    cases = variants()
    assert len(cases) > 2000
    quick = 0
    for where, race in cases:
        assert outcome(race_problem, race) == outcome(invariants._first_problem, race), where
        quick += outcome(invariants._plainly_sound_race, race) == ("answer", True)  # type: ignore[comparison-overlap]
    assert quick > 50  # the quick pass is taken (for the harmless variants), not just always refused


@pytest.mark.parametrize("name", ["no state row", "two state rows", "a county twice", "a candidate twice"])
def test_a_structural_problem_is_named(name: str) -> None:
    race = dict(variants())[name]
    assert race_problem(race) is not None
