"""/results with context, through Bolt's WSGI handler with signed requests: the swing line of
the state card, ``/results alabama swing``, a county's swing and ``/results balance senate``."""

from __future__ import annotations

import csv
from fractions import Fraction

from bot.rehearsal.scenarios import SCENARIO_DIR
from tests.integration.commands.conftest import CALL, HALF, LAST, texts

SHIPPED = SCENARIO_DIR / "20171212_al_senate_special" / "baseline-2016-president.csv"


def _margin(dem: int, gop: int, total: int) -> Fraction:
    return Fraction(dem - gop, total)


def test_state_card_states_the_swing_at_the_end(context_bot, night):
    said = texts(context_bot(night[LAST]).answer("alabama"))
    assert (
        "Since 2016, in all 67 counties: R+27.6 then, D+1.5 now, a swing of 29.2 points towards the Democrats; all 67 counties moved towards the Democrats"
        in said
    )
    assert "Indication, not a projection" not in said  # everything is in: no indication needed


def test_state_card_mid_count_compares_like_for_like_and_marks_the_indication(context_bot, night):
    said = texts(context_bot(night[HALF]).answer("alabama"))
    assert "Since 2016, in the 67 counties reporting:" in said
    assert "Indication, not a projection:" in said and "on 2016 turnout the state would not flip" in said


def test_swing_list_orders_the_counties_by_swing_with_figures_computed_by_hand(context_bot, night):
    message = context_bot(night[LAST]).answer("alabama swing")
    said = texts(message)
    with SHIPPED.open(encoding="utf-8") as fh:
        then = {r["fips"]: r for r in csv.DictReader(line for line in fh if not line.startswith("#"))}
    race = night[LAST].races["AL-1000"]
    swings = []
    for unit in race.units:
        if unit.level.value != "county":
            continue
        b = then[unit.fips]
        now = _margin(unit.votes["jones"], unit.votes["moore"], sum(unit.votes.values()))
        swings.append((now - _margin(int(b["dem_votes"]), int(b["gop_votes"]), int(b["total_votes"])), unit.name))
    swings.sort(key=lambda t: (-t[0], t[1]))
    section_text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    listed = [line[2:].split(" ", 1)[0] for line in section_text.splitlines() if line.startswith("• ")]
    # names with a space ("St. Clair") are cut at the first word on both sides
    assert listed == [name.split(" ", 1)[0] for _, name in swings]
    assert "• Jefferson 30.7 D (D+7.2 → D+37.9)" in said
    assert "Alabama U.S. Senate: swing since 2016 by county" in said


def test_swing_of_a_county_mid_count_says_so_far(context_bot, night):
    said = texts(context_bot(night[HALF]).answer("alabama jefferson"))
    assert "Jefferson County: Jones by " in said and "towards the Democrats from 2016 (so far)" in said


def test_balance_before_and_after_the_call(context_bot, night):
    before = texts(context_bot(night[HALF]).answer("balance senate"))
    assert "*Senate*: Republicans 51, Democrats 48, 1 undecided · majority 51" in before
    assert "Alabama U.S. Senate: not called (held by the Republicans)" in before
    after = texts(context_bot(night[CALL]).answer("balance senate"))
    assert "*Senate*: Republicans 51, Democrats 49 (Jones gain) · majority 51" in after
    assert "Alabama U.S. Senate: called for Jones (Dem); held by the Republicans" in after


def test_without_context_swing_and_balance_say_why(make_bot, night):
    bot = make_bot(night[LAST])
    assert "No swing for Alabama: no baseline election is configured for it." in texts(bot.answer("alabama swing"))
    assert "no seats are configured" in texts(bot.answer("balance"))
    assert "Since 2016" not in texts(bot.answer("alabama"))


def test_swing_without_a_state_asks_which(context_bot, night):
    said = texts(context_bot(night[LAST]).answer("swing alabma"))
    assert "Did you mean *Alabama*?" in said and "/results swing alabama" in said


def test_balance_of_an_unconfigured_chamber(context_bot, night):
    said = texts(context_bot(night[LAST]).answer("balance house"))
    assert "No House seats are configured; configured: senate." in said
