"""The context thresholds pinned at their boundary: the flip indication's 0.5-point hysteresis
and its ten counties, a swing of exactly zero, a chamber's majority, a seats file that fills its
chamber exactly, a baseline row whose two parties exactly make its total. Expected values are
literals from the definitions in docs/context.md and the docstrings, not from the code.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from fractions import Fraction

import pytest

from bot.app.context_files import load_seats_config
from bot.core.balance import Chamber, SeatsConfigError, seats_config_from_dict
from bot.core.context import ContextSettings, flip_crossed, flip_state
from bot.core.model import Candidate, Level, Race, ReportingUnit
from bot.core.rules import RaceMemory, RuleSettings, evaluate
from bot.core.swing import Baseline, BaselineCounty, FlipIndication, UnitSwing, parse_baseline_csv
from bot.render.swing import margin_text, swing_text

HALF_POINT = Fraction(1, 200)
TINY = Fraction(1, 10**6)


def fi(then: Fraction, indicated: Fraction) -> FlipIndication:
    return FlipIndication("2016", then, indicated, indicated - then, 10, 57)


# --- the flip indication: announced 0.5 points past zero, withdrawn 0.5 points back ------------


@pytest.mark.parametrize(
    "indicated, expected",
    [(HALF_POINT - TINY, None), (HALF_POINT, True), (HALF_POINT + TINY, True), (Fraction(0), None), (-HALF_POINT, None)],
)
def test_a_flip_is_indicated_from_exactly_half_a_point_past_zero(indicated, expected):
    # Alabama 2016 was R+27.7: a Democratic margin of 0.5 points would flip it
    assert flip_crossed(fi(Fraction(-277, 1000), indicated), False, HALF_POINT) is expected


@pytest.mark.parametrize(
    "indicated, expected",
    [(-HALF_POINT + TINY, None), (-HALF_POINT, False), (-HALF_POINT - TINY, False), (Fraction(0), None), (HALF_POINT, None)],
)
def test_an_indication_is_withdrawn_from_exactly_half_a_point_back(indicated, expected):
    assert flip_crossed(fi(Fraction(-277, 1000), indicated), True, HALF_POINT) is expected


def test_a_flip_from_a_democratic_baseline_mirrors_it():
    assert flip_crossed(fi(Fraction(1, 10), -HALF_POINT), False, HALF_POINT) is True
    assert flip_crossed(fi(Fraction(1, 10), -HALF_POINT + TINY), False, HALF_POINT) is None
    assert flip_crossed(fi(Fraction(1, 10), HALF_POINT), True, HALF_POINT) is False


def test_an_even_baseline_has_no_side_to_flip_from():
    assert flip_crossed(fi(Fraction(0), Fraction(1, 10)), False, HALF_POINT) is None
    assert flip_crossed(fi(Fraction(0), Fraction(-1, 10)), True, HALF_POINT) is None


def _county(i: int, dem: int, gop: int, reporting: int = 1) -> ReportingUnit:
    return ReportingUnit(
        f"0100{i}",
        Level.COUNTY,
        f"County {i}",
        {"d": dem, "r": gop},
        fips=f"0100{i}",
        precincts_reporting=reporting,
        precincts_total=1,
    )


def _flip_race(swung: int, dem: int = 60, gop: int = 40) -> tuple[Race, ContextSettings]:
    """A baseline of 12 counties at R+20 (40–60), ``swung`` of them now in at D+20 (60–40)."""
    baseline = Baseline(
        {f"0100{i}": BaselineCounty(f"0100{i}", f"County {i}", 40, 60, 100) for i in range(12)}, label="2016"
    )
    rows = [_county(i, dem, gop) for i in range(swung)] + [_county(i, 0, 0, reporting=0) for i in range(swung, 12)]
    state = ReportingUnit(
        "AL", Level.STATE, "Alabama", {"d": dem * swung, "r": gop * swung}, precincts_reporting=swung, precincts_total=12
    )
    race = Race("AL", "1", "U.S. Senate", (Candidate("d", "Dee", "Dem"), Candidate("r", "Rex", "GOP")), (state, *rows))
    return race, ContextSettings(baselines={"AL": baseline})


@pytest.mark.parametrize("swung, indicated", [(9, False), (10, True), (11, True)])
def test_the_flip_indication_waits_for_exactly_ten_counties(swung, indicated):
    race, ctx = _flip_race(swung)
    found = flip_state(race, ctx)
    assert (found is not None) is indicated
    if indicated:
        # every county swung 40 points towards the Democrats: R+20 becomes D+20 everywhere
        assert (found.counties_swung, found.counties_assumed) == (swung, 12 - swung)
        assert found.average_swing == Fraction(2, 5) and found.margin_indicated == Fraction(1, 5) and found.flips


def test_no_flip_indication_once_every_county_is_in_or_the_race_is_called():
    race, ctx = _flip_race(12)
    assert flip_state(race, ctx) is None
    race, ctx = _flip_race(11)
    assert flip_state(replace(race, winners=("d",)), ctx) is None


# --- swing words -----------------------------------------------------------------------------


def _swing(now: Fraction, then: Fraction) -> UnitSwing:
    return UnitSwing("x", "X", "01001", now, then, 100, 100, True, "fips")


def test_a_swing_of_exactly_zero_goes_nowhere():
    assert _swing(Fraction(1, 10), Fraction(1, 10)).towards is None
    assert _swing(Fraction(1, 10) + TINY, Fraction(1, 10)).towards == "Dem"
    assert _swing(Fraction(1, 10) - TINY, Fraction(1, 10)).towards == "GOP"


def test_margin_and_swing_words_at_zero():
    assert margin_text(Fraction(0)) == "even"
    assert margin_text(Fraction(1, 1000)) == "D+0.1" and margin_text(Fraction(-1, 1000)) == "R+0.1"
    assert swing_text(Fraction(0), "2016") == "no change from 2016"
    assert swing_text(Fraction(1, 1000), "2016") == "a swing of 0.1 points towards the Democrats from 2016"
    assert swing_text(Fraction(-1, 1000), "2016") == "a swing of 0.1 points towards the Republicans from 2016"
    # 0.049 points rounds to 0.0: said as no change, not as a swing of 0.0 points
    assert swing_text(Fraction(49, 100_000), "2016") == "no change from 2016"


# --- chambers and seats ------------------------------------------------------------------------


@pytest.mark.parametrize("size, majority", [(100, 51), (101, 51), (99, 50), (1, 1), (None, None)])
def test_a_majority_is_more_than_half_the_seats(size, majority):
    assert Chamber("senate", "Senate", {}, size=size).majority == majority


def _seats(size: object, not_up: dict | None = None) -> dict:
    return {
        "chambers": {"senate": {"not_up": not_up if not_up is not None else {"Dem": 1, "GOP": 1}, "size": size}},
        "seats": {"AL-S": {"holder": "GOP", "chamber": "senate"}},
    }


def test_a_chamber_filled_exactly_by_its_seats_is_valid_and_one_more_is_not():
    assert seats_config_from_dict(_seats(3)).chambers["senate"].majority == 2  # 2 not up + 1 on the ballot = 3
    assert seats_config_from_dict(_seats(4)).chambers["senate"].size == 4
    with pytest.raises(SeatsConfigError, match="3 seats .* exceed size 2"):
        seats_config_from_dict(_seats(2))


@pytest.mark.parametrize("size", [0, -1, True, "100"])
def test_a_chamber_size_must_be_a_positive_integer(size):
    with pytest.raises(SeatsConfigError, match="size: expected a positive integer"):
        seats_config_from_dict(_seats(size))


def test_zero_seats_not_up_is_valid_and_minus_one_is_not():
    assert dict(seats_config_from_dict(_seats(None, {"Dem": 0, "GOP": 0})).chambers["senate"].not_up) == {"Dem": 0, "GOP": 0}
    with pytest.raises(SeatsConfigError, match="non-negative integer"):
        seats_config_from_dict(_seats(None, {"Dem": -1}))


# --- a baseline row whose two parties make its total ----------------------------------------------

HEADER = "fips,county,dem_votes,gop_votes,total_votes\n"


def test_two_parties_equal_to_the_total_is_quiet_and_one_more_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="bot.core.swing"):
        b = parse_baseline_csv(HEADER + "01001,Autauga,40,60,100\n", "2016")
    assert b.counties["01001"].margin == Fraction(-1, 5) and not caplog.records
    with caplog.at_level(logging.INFO, logger="bot.core.swing"):
        parse_baseline_csv(HEADER + "01001,Autauga,41,60,100\n", "2016")
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and "exceed total_votes (100)" in record.getMessage()


def test_a_county_with_no_baseline_votes_has_no_margin():
    assert BaselineCounty("01001", "A", 0, 0, 0).margin is None
    assert BaselineCounty("01001", "A", 0, 0, 1).margin == 0


# --- context in the rules' county events and calls -------------------------------------------------

SWING_FACTS = {"baseline": "2016", "dem": "d", "gop": "r", "then_dem": 40, "then_gop": 60, "then_total": 100}


def _evaluate(before: Race | None, after: Race, ctx: ContextSettings, mem=None):
    return evaluate("t", before, after, mem or RaceMemory(), RuleSettings(context=ctx), None)


def _one_county(dem: int, gop: int, reporting: int) -> Race:
    row = ReportingUnit(
        "01000",
        Level.COUNTY,
        "County 0",
        {"d": dem, "r": gop},
        fips="01000",
        precincts_reporting=reporting,
        precincts_total=2,
    )
    state = ReportingUnit(
        "AL", Level.STATE, "Alabama", {"d": dem, "r": gop}, precincts_reporting=reporting, precincts_total=2
    )
    return Race("AL", "1", "U.S. Senate", (Candidate("d", "Dee", "Dem"), Candidate("r", "Rex", "GOP")), (state, row))


def test_a_county_batch_carries_the_baseline_it_swings_from():
    _, ctx = _flip_race(0)
    res = _evaluate(_one_county(1_000, 1_000, 1), _one_county(4_000, 3_000, 1), ctx)
    (batch,) = [e for e in res.events if e.kind.value == "county_batch"]
    assert batch.details["added"] == 5_000 and batch.details["swing"] == SWING_FACTS


def test_a_county_completing_with_a_batch_states_its_swing_on_the_complete_line_only():
    _, ctx = _flip_race(0)
    res = _evaluate(_one_county(1_000, 1_000, 1), _one_county(4_000, 3_000, 2), ctx)
    got = {e.kind.value: e.details for e in res.events if e.kind.value in ("county_batch", "county_complete")}
    assert got["county_batch"]["swing"] is None and got["county_batch"]["added"] == 5_000
    assert got["county_complete"]["swing"] == SWING_FACTS


def test_the_balance_of_power_line_has_the_key_of_its_call():
    ctx = ContextSettings(seats=load_seats_config())
    base = replace(_one_county(100, 90, 2), office_id="S")
    called = _evaluate(base, replace(base, winners=("d",)), ctx)
    assert [e.key for e in called.events if e.kind.value == "balance_of_power"] == ["t/AL-1/balance_of_power/1"]
    assert [e.key for e in called.events if e.kind.value == "seat_gain"] == ["t/AL-1/seat_gain/1"]
    uncalled = _evaluate(replace(base, winners=("d",)), base, ctx, called.memory)
    assert [e.key for e in uncalled.events if e.kind.value == "balance_of_power"] == ["t/AL-1/balance_of_power/2"]


def test_the_flip_indication_and_its_withdrawal_have_keys_of_their_own():
    flipped, ctx = _flip_race(10)
    back, _ = _flip_race(10, dem=40, gop=60)  # the same counties now as in 2016: no swing, R+20
    on = _evaluate(None, flipped, ctx)
    off = _evaluate(flipped, back, ctx, on.memory)
    assert [e.key for e in on.events if e.kind.value == "flip_indication"] == ["t/AL-1/flip_indication/1/on"]
    assert [e.key for e in off.events if e.kind.value == "flip_indication"] == ["t/AL-1/flip_indication/1/off"]
    assert on.memory.flip_indicated is True and off.memory.flip_indicated is False
