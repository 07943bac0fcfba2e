"""Every threshold of the margin math pinned at its boundary: at, one below and one above.

Expected values are literals worked out by hand from the definition each one cites (a lead is
first minus second; Ala. Code § 17-16-20's "not more than one-half of one percent of the votes
cast for the office"; votes left = counted ÷ share − counted), never read back from the code.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from bot.core.margins import (
    EstimateMethod,
    TurnoutBaseline,
    VotesLeft,
    estimate_votes_left,
    expected_share,
    hurdle,
    recount_line,
    recount_position,
    standing,
    votes_outstanding,
)
from bot.core.model import Candidate, Level, Race, ReportingUnit
from tests.unit.core.helpers import county, race

HALF_PERCENT = Fraction(1, 200)

# --- who leads: a lead is first minus second, and any lead of one vote or more is a lead ------


def test_one_vote_lead_has_a_leader():
    st = standing(race({"a": 501, "b": 500}))
    assert st.leader is not None and st.leader.candidate_id == "a"
    assert st.runner_up is not None and st.runner_up.candidate_id == "b"
    assert st.lead_votes == 1 and not st.tied
    assert st.lead_share == Fraction(1, 1001)


def test_zero_vote_lead_is_a_tie_without_a_leader():
    st = standing(race({"a": 500, "b": 500}))
    assert st.leader is None and st.runner_up is None
    assert st.lead_votes == 0 and st.tied and st.lead_share == 0


def test_two_vote_lead_has_a_leader():
    st = standing(race({"a": 500, "b": 502}))
    assert (st.leader.candidate_id, st.runner_up.candidate_id, st.lead_votes) == ("b", "a", 2)


def test_tied_needs_votes_a_race_at_zero_is_not_tied():
    st = standing(race({}))
    assert st.total_votes == 0 and st.leader is None and not st.tied
    assert st.lead_votes == 0 and st.lead_share == 0 and st.other_votes == 0
    assert all(c.share == 0 for c in st.candidates)


def test_a_single_vote_is_a_lead_of_one_over_nobody():
    st = standing(race({"a": 1}))
    assert st.leader.candidate_id == "a" and st.runner_up.candidate_id == "b"
    assert (st.lead_votes, st.total_votes, st.tied) == (1, 1, False)


def test_one_named_candidate_does_not_crash_and_counts_every_vote():
    """A race with a single name on the ballot (and write-ins) is valid input, not an IndexError."""
    alone = (Candidate("a", "Ann Able", "Dem"), Candidate("w", "Write-ins", None, pseudo=True))
    st = standing(race({"a": 900, "w": 100}, candidates=alone))
    assert st.total_votes == 1_000 and st.runner_up is None
    assert [c.candidate_id for c in st.candidates] == ["a", "w"]
    assert [c.share for c in st.candidates] == [Fraction(9, 10), Fraction(1, 10)]


def test_no_named_candidate_does_not_crash():
    only_pseudo = (Candidate("y", "Yes", None, pseudo=True), Candidate("n", "No", None, pseudo=True))
    st = standing(race({"y": 3, "n": 2}, candidates=only_pseudo))
    assert st.leader is None and st.runner_up is None and st.total_votes == 5
    assert [c.candidate_id for c in st.candidates] == ["y", "n"]


def test_shares_are_of_every_vote_for_the_office_write_ins_included():
    st = standing(race({"a": 600, "b": 300, "w": 100}))
    assert [(c.candidate_id, c.votes, c.share) for c in st.candidates] == [
        ("a", 600, Fraction(3, 5)),
        ("b", 300, Fraction(3, 10)),
        ("w", 100, Fraction(1, 10)),
    ]
    assert st.lead_votes == 300 and st.lead_share == Fraction(3, 10)
    assert st.other_votes == 100  # everyone beyond the top two


def test_write_ins_never_lead_even_with_the_most_votes():
    st = standing(race({"a": 10, "b": 5, "w": 1_000}))
    assert st.leader.candidate_id == "a" and st.lead_votes == 5
    assert [c.candidate_id for c in st.candidates] == ["a", "b", "w"]  # pseudo ones last
    assert st.other_votes == 1_000


def test_named_candidates_tied_keep_ballot_order_and_pseudo_ones_sort_by_votes():
    cands = (
        Candidate("a", "A"),
        Candidate("b", "B"),
        Candidate("c", "C"),
        Candidate("x", "Other", pseudo=True),
        Candidate("w", "Write-ins", pseudo=True),
    )
    st = standing(race({"a": 5, "b": 7, "c": 5, "x": 1, "w": 2}, candidates=cands))
    assert [c.candidate_id for c in st.candidates] == ["b", "a", "c", "w", "x"]
    assert st.lead_votes == 2 and st.runner_up.candidate_id == "a"
    assert st.other_votes == 5 + 1 + 2


def test_winner_flags_and_names_come_from_the_race():
    st = standing(race({"a": 2, "b": 1}, winners=("b",)))
    by_id = {c.candidate_id: c for c in st.candidates}
    assert by_id["b"].winner and not by_id["a"].winner and not by_id["w"].winner
    assert (by_id["a"].name, by_id["a"].party, by_id["w"].pseudo) == ("Ann Able", "Dem", True)


def test_standing_of_a_county_row():
    r = race(counties=[county("x", {"a": 3, "b": 9}, reporting=2, total=5), county("y", {"a": 100})])
    st = standing(r, r.unit("x"))
    assert (st.leader.candidate_id, st.lead_votes, st.total_votes) == ("b", 6, 12)
    assert (st.precincts_reporting, st.precincts_total) == (2, 5)
    assert standing(r).leader.candidate_id == "a"  # the statewide row by default


def test_race_without_a_state_row_stands_at_zero():
    r = Race("AL", "1", "Senate", (Candidate("a", "A"), Candidate("b", "B")), ())
    st = standing(r)
    assert st.total_votes == 0 and st.leader is None and st.precincts_total is None and st.reporting_share is None


# --- how much is in --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pct, share",
    [
        (None, None),
        (float("nan"), None),
        (float("inf"), None),
        ("50", None),
        (0, Fraction(0)),
        (0.0, Fraction(0)),
        (50, Fraction(1, 2)),
        (99.5, Fraction(199, 200)),
        (100, Fraction(1)),
        (100.0, Fraction(1)),
    ],
)
def test_expected_share_reads_the_feed_percentage_exactly(pct, share):
    assert expected_share(pct) == share


def test_reporting_share_prefers_the_expected_vote_then_precincts():
    assert standing(race({"a": 1}, reporting=1, total=4)).reporting_share == Fraction(1, 4)
    assert standing(race({"a": 1}, reporting=1, total=4, eevp=60.0)).reporting_share == Fraction(3, 5)
    assert standing(race({"a": 1}, reporting=None, total=None)).reporting_share is None
    assert standing(race({"a": 1}, reporting=0, total=0)).reporting_share is None  # 0 precincts: unknown, not 0 ÷ 0
    assert standing(race({"a": 1}, reporting=None, total=4)).reporting_share == 0


def test_expected_vote_falls_back_from_the_state_row_to_the_race():
    assert standing(race({"a": 1}, expected_vote_pct=40.0)).expected_vote_pct == 40.0
    assert standing(race({"a": 1}, eevp=70.0, expected_vote_pct=40.0)).expected_vote_pct == 70.0
    assert standing(race({"a": 1}, eevp=0.0, expected_vote_pct=40.0)).expected_vote_pct == 0.0  # 0 is a value
    assert standing(race({"a": 1})).expected_vote_pct is None


# --- the recount line: margin ≤ 1/200 of all votes is inside ---------------------------------


def test_lead_exactly_on_the_half_percent_line_is_inside():
    pos = recount_line(1_000, 200_000, HALF_PERCENT)  # 1,000 ÷ 200,000 = 0.5 % exactly
    assert (pos.inside, pos.line_votes, pos.votes_to_line, pos.threshold) == (True, 1_000, 1, HALF_PERCENT)


def test_lead_one_vote_below_the_line_is_inside_two_from_leaving():
    pos = recount_line(999, 200_000, HALF_PERCENT)
    assert pos.inside and pos.votes_to_line == 2  # 1,001 clears it


def test_lead_one_vote_above_the_line_is_outside_by_one():
    pos = recount_line(1_001, 200_000, HALF_PERCENT)
    assert not pos.inside and pos.votes_to_line == 1


def test_recount_line_between_whole_votes():
    # 200,001 votes: the line is 1,000.005 votes, so 1,000 is inside and 1,001 outside
    inside = recount_line(1_000, 200_001, HALF_PERCENT)
    outside = recount_line(1_001, 200_001, HALF_PERCENT)
    assert inside.inside and inside.line_votes == Fraction(200_001, 200) and inside.votes_to_line == 1
    assert not outside.inside and outside.votes_to_line == 1
    assert recount_line(1_010, 200_001, HALF_PERCENT).votes_to_line == 10
    assert recount_line(990, 200_001, HALF_PERCENT).votes_to_line == 11


def test_tie_is_inside_and_no_votes_is_no_line():
    assert recount_line(0, 10, HALF_PERCENT).inside and recount_line(0, 10, HALF_PERCENT).votes_to_line == 1
    assert recount_line(0, 0, HALF_PERCENT) is None
    assert recount_position(standing(race({})), HALF_PERCENT) is None
    pos = recount_position(standing(race({"a": 99_000, "b": 98_000, "w": 3_000})), HALF_PERCENT)
    assert pos.inside and pos.line_votes == 1_000 and pos.votes_to_line == 1


# --- votes left --------------------------------------------------------------------------------


def test_every_precinct_in_leaves_zero_votes_outstanding():
    assert votes_outstanding(race({"a": 600, "b": 400}, reporting=100, total=100)) == 0
    assert votes_outstanding(race(counties=[county("x", {"a": 5}), county("y", {"b": 7})])) == 0


def test_one_precinct_out_leaves_that_precincts_share():
    # 99 of 100 precincts with 990 votes: 10 votes per precinct, one precinct out
    assert votes_outstanding(race({"a": 600, "b": 390}, reporting=99, total=100)) == 10


def test_expected_vote_share_gives_counted_over_share_minus_counted():
    assert votes_outstanding(race({"a": 600, "b": 400}, eevp=80.0)) == 250  # 1,000 ÷ 0.8 − 1,000
    assert votes_outstanding(race({"a": 600, "b": 400}, eevp=50.0)) == 1_000
    assert votes_outstanding(race({"a": 600, "b": 400}, eevp=40.0)) == 1_500


def test_one_hundred_percent_expected_is_zero_left():
    assert votes_outstanding(race({"a": 600, "b": 400}, reporting=10, total=100, eevp=100.0)) == 0


def test_expected_vote_of_the_race_is_used_when_the_row_has_none():
    assert votes_outstanding(race({"a": 600, "b": 400}, reporting=None, total=None, expected_vote_pct=80.0)) == 250


def test_zero_expected_share_is_no_estimate():
    assert votes_outstanding(race({"a": 600, "b": 400}, reporting=None, total=None, eevp=0.0)) is None


@pytest.mark.parametrize("reporting, total", [(None, None), (5, None), (None, 10)])
def test_no_expected_vote_and_no_precinct_pair_is_none_not_zero(reporting, total):
    r = race({"a": 600, "b": 400}, reporting=reporting, total=total)
    assert votes_outstanding(r) is None


def test_no_state_row_is_no_estimate():
    r = Race("AL", "1", "Senate", (Candidate("a", "A"),), (ReportingUnit("x", Level.COUNTY, "X", {"a": 1}, None, 1, 2),))
    assert votes_outstanding(r) is None


def test_counties_are_estimated_one_by_one():
    rows = [county("x", {"a": 300}, reporting=3, total=5), county("y", {"b": 50}, reporting=1, total=2)]
    # x: 100 per precinct × 2 out = 200; y: 50 × 1 = 50
    assert votes_outstanding(race(counties=rows)) == 250


# --- the hurdle: what the runner-up needs of the votes left ---------------------------------


def _st(a: int, b: int, w: int = 0):
    return standing(race({"a": a, "b": b, "w": w}))


def test_lead_equal_to_votes_left_is_not_out_of_reach():
    h = hurdle(_st(600, 500), 100)  # the runner-up ties by taking all 100
    assert not h.out_of_reach and h.share == 1 and h.outstanding == 100 and h.trailer.candidate_id == "b"


def test_lead_one_above_votes_left_is_out_of_reach():
    h = hurdle(_st(600, 500), 99)
    assert h.out_of_reach and h.share == Fraction(100, 99)


def test_lead_one_below_votes_left_is_within_reach():
    h = hurdle(_st(600, 500), 101)  # tie at (100 + 101) ÷ (2 × 101)
    assert not h.out_of_reach and h.share == Fraction(201, 202)


def test_nothing_left_with_a_lead_is_out_of_reach_with_no_share():
    h = hurdle(_st(600, 500), 0)
    assert h.out_of_reach and h.share is None and h.outstanding == 0 and h.trailer.candidate_id == "b"


def test_nothing_left_is_zero_even_when_the_estimate_is_negative():
    h = hurdle(_st(600, 500), -5)
    assert h.outstanding == 0 and h.share is None and h.out_of_reach


def test_one_vote_left_one_vote_lead():
    h = hurdle(_st(501, 500), 1)
    assert not h.out_of_reach and h.share == 1  # (1 + 1) ÷ 2


def test_no_hurdle_without_a_leader_or_an_estimate():
    assert hurdle(_st(500, 500), 100) is None  # a tie: nobody trails
    assert hurdle(_st(600, 500), None) is None
    assert hurdle(standing(race({})), 100) is None


def test_hurdle_with_others_at_the_switch_between_the_two_assumptions():
    # a 500, b 300, w 200: others hold r = 1/5; the leader's share 1 − s − r reaches 0 where
    # lead = (1 − r)·O, i.e. O = 250. Trailer needs s with 2·s·O = lead + (1 − r)·O.
    assert hurdle(_st(500, 300, 200), 250).share == Fraction(4, 5)  # both assumptions agree: 200 ÷ 250
    assert hurdle(_st(500, 300, 200), 251).share == Fraction(1002, 1255)  # (200 + 200.8) ÷ 502
    assert hurdle(_st(500, 300, 200), 249).share == Fraction(200, 249)  # leader gets 0: lead ÷ O
    assert hurdle(_st(500, 300, 200), 1_000).share == Fraction(1, 2)  # (200 + 800) ÷ 2,000


def test_hurdle_share_with_no_others_is_half_the_gap_over_half():
    assert hurdle(_st(550, 450), 1_000).share == Fraction(11, 20)  # (100 + 1,000) ÷ 2,000


def test_a_county_with_no_precincts_adds_nothing_left():
    rows = [county("x", {"a": 500}, reporting=5, total=10), county("z", {}, reporting=0, total=0)]
    assert votes_outstanding(race(counties=rows)) == 500  # x: 100 per precinct × 5 out; z has none to count


def test_a_county_in_with_no_votes_expects_none_from_its_precincts_out():
    rows = [county("x", {}, reporting=2, total=4), county("y", {"a": 1_000}, reporting=8, total=8)]
    assert votes_outstanding(race(counties=rows)) == 0  # x: 0 votes per precinct × 2 out


def test_a_county_not_in_borrows_a_statewide_rate_below_one_vote_per_precinct():
    rows = [county("x", {"a": 2}, reporting=5, total=10), county("y", {}, reporting=0, total=10)]
    # 2 votes over 5 precincts: x 0.4 × 5 = 2; y borrows 0.4 × 10 = 4
    assert votes_outstanding(race(counties=rows)) == 6


# --- how the estimate of the votes left was made (the method and the reason are said) ---------------


def test_exactly_100_percent_expected_is_complete_and_99_9_is_the_feeds_estimate():
    at = estimate_votes_left(race({"a": 600, "b": 400}, reporting=None, total=None, eevp=100.0))
    assert at == VotesLeft(0, EstimateMethod.COMPLETE, 0, 0, None)
    below = estimate_votes_left(race({"a": 600, "b": 400}, reporting=None, total=None, eevp=99.9))
    assert below.method is EstimateMethod.FEED and below.votes == 1  # 1,000 ÷ 0.999 − 1,000 = 1.001


def test_complete_keeps_the_ceiling_of_the_registered_voters():
    r = race({"a": 600, "b": 400}, reporting=100, total=100)
    r = replace(r, units=(replace(r.state_unit, registered_voters=5_000),))
    assert estimate_votes_left(r) == VotesLeft(0, EstimateMethod.COMPLETE, 0, 0, 5_000)


def test_no_statewide_row_is_said():
    r = Race("AL", "1", "Senate", (Candidate("a", "A"),), ())
    assert estimate_votes_left(r) == VotesLeft(None, EstimateMethod.NONE, reason="no statewide row")


@pytest.mark.parametrize("reporting, total", [(None, None), (5, None), (None, 10)])
def test_no_precinct_pair_says_the_feed_gives_neither(reporting, total):
    left = estimate_votes_left(race({"a": 600, "b": 400}, reporting=reporting, total=total))
    assert left.votes is None and left.method is EstimateMethod.NONE
    assert left.reason == "the feed gives neither an expected vote nor precinct counts"


def test_a_baseline_of_one_vote_caps_and_of_none_does_not():
    r = race({"a": 1}, reporting=1, total=2)
    assert estimate_votes_left(r, TurnoutBaseline("2016", 1, {})).ceiling == 1  # 1.5 × 1, whole votes
    assert estimate_votes_left(r, TurnoutBaseline("2016", 0, {})).ceiling is None


def test_towns_are_the_rows_to_estimate_from_not_their_precincts():
    towns = [ReportingUnit("t1", Level.TOWN, "Burlington", {"a": 500}, precincts_reporting=5, precincts_total=10)]
    precincts = [ReportingUnit("p1", Level.PRECINCT, "Ward 1", {"a": 500}, precincts_reporting=1, precincts_total=1)]
    state = ReportingUnit("VT", Level.STATE, "Vermont", {"a": 500}, precincts_reporting=5, precincts_total=10)
    r = Race("VT", "1", "Senate", (Candidate("a", "A"), Candidate("b", "B")), (state, *precincts, *towns))
    assert votes_outstanding(r) == 500  # 100 a precinct × 5 out in the town; its precinct rows are all in


def _with_voters(r: Race, voters: int) -> Race:
    return replace(r, units=(replace(r.state_unit, registered_voters=voters), *r.units[1:]))


def test_no_estimate_still_states_its_ceiling_and_why():
    neither = _with_voters(race({"a": 600, "b": 400}, reporting=None, total=None), 5_000)
    assert estimate_votes_left(neither) == VotesLeft(
        None, EstimateMethod.NONE, ceiling=5_000, reason="the feed gives neither an expected vote nor precinct counts"
    )
    early = _with_voters(race({"a": 600, "b": 400}, reporting=19, total=100), 5_000)  # under 20 % of precincts
    assert estimate_votes_left(early) == VotesLeft(
        None, EstimateMethod.NONE, ceiling=5_000, reason="fewer than 20 % of precincts in, no baseline election to go by"
    )
    at_20 = estimate_votes_left(_with_voters(race({"a": 600, "b": 400}, reporting=20, total=100), 5_000))
    assert at_20.method is EstimateMethod.PRECINCTS and at_20.votes == 4_000 and at_20.ceiling == 5_000  # 50 a precinct × 80


def test_contradicting_precincts_and_expected_vote_is_no_estimate():
    r = _with_voters(race({"a": 600, "b": 400}, reporting=100, total=100, eevp=0.5), 5_000)
    assert estimate_votes_left(r) == VotesLeft(
        None, EstimateMethod.NONE, ceiling=5_000, reason="the feed's expected vote contradicts its precinct counts"
    )


# --- votes left from a baseline election's turnout (the counties fully in set the ratio) -----------


def _counties(*rows: tuple[str, int, int, int]) -> Race:
    """(id, votes, precincts in, precincts) per county, each county's votes all for ``a``."""
    return race(counties=[county(cid, {"a": v}, reporting=rep, total=tot) for cid, v, rep, tot in rows])


def _left(r: Race, by_unit: dict[str, int]) -> VotesLeft:
    return estimate_votes_left(r, TurnoutBaseline("2016", sum(by_unit.values()) * 10, by_unit))


def test_a_county_out_takes_the_turnout_ratio_of_the_counties_in():
    r = _counties(("x", 1_200, 10, 10), ("y", 0, 0, 10))  # x: 1,200 now on 1,000 then (1.2); y: 500 then
    left = _left(r, {"x": 1_000, "y": 500})
    assert (left.method, left.votes, left.low, left.high, left.counties_in) == (EstimateMethod.BASELINE, 600, 600, 600, 1)
    assert votes_outstanding(r, TurnoutBaseline("2016", 15_000, {"x": 1_000, "y": 500})) == 600
    assert votes_outstanding(r) == 1_200  # without the baseline: 120 votes a precinct × 10


def test_the_range_runs_from_the_lowest_to_the_highest_ratio():
    r = _counties(("x", 1_200, 10, 10), ("z", 800, 10, 10), ("y", 0, 0, 10))  # ratios 1.2 and 0.8, pooled 1
    left = _left(r, {"x": 1_000, "z": 1_000, "y": 500})
    assert (left.votes, left.low, left.high, left.counties_in) == (500, 400, 600, 2)


def test_a_county_without_a_baseline_from_exactly_20_percent_in_extrapolates_itself():
    r = _counties(("x", 1_200, 10, 10), ("z", 800, 10, 10), ("y", 0, 0, 10), ("w", 100, 2, 10))
    left = _left(r, {"x": 1_000, "z": 1_000, "y": 500})
    assert (left.votes, left.low, left.high) == (900, 800, 1_000)  # w: 100 ÷ 0.2 − 100 = 400 on each


def test_a_county_without_a_baseline_and_no_votes_takes_the_votes_per_precinct_of_those_in():
    r = _counties(("x", 1_200, 10, 10), ("z", 800, 10, 10), ("w", 0, 2, 10))
    assert _left(r, {"x": 1_000, "z": 1_000}).votes == 1_000  # 2,000 over 20 precincts × w's 10
    one = _counties(("x", 1_200, 10, 10), ("z", 800, 10, 10), ("w", 1, 2, 10))
    assert _left(one, {"x": 1_000, "z": 1_000}).votes == 4  # one vote at 20 %: 1 ÷ 0.2 − 1


def test_a_county_without_a_baseline_already_past_the_votes_per_precinct_expects_none_more():
    r = _counties(("x", 1_200, 10, 10), ("z", 800, 10, 10), ("w", 1_500, 1, 10))  # 10 % in: 100 × 10 < 1,500
    assert _left(r, {"x": 1_000, "z": 1_000}).votes == 0


def test_a_baseline_of_one_vote_is_a_baseline():
    r = _counties(("x", 2, 10, 10), ("y", 0, 0, 10))
    left = _left(r, {"x": 1, "y": 100})  # x doubled its one vote: y's 100 come at 2
    assert (left.method, left.votes) == (EstimateMethod.BASELINE, 200)
    out_one = _left(_counties(("x", 2_000, 10, 10), ("y", 0, 0, 10)), {"x": 1_000, "y": 1})
    assert out_one.votes == 2  # y's single baseline vote at the ratio 2


def test_counties_in_without_a_baseline_vote_set_no_ratio():
    r = _counties(("x", 1_200, 10, 10), ("u", 50, 10, 10), ("v", 70, 10, 10), ("y", 0, 0, 10))
    left = _left(r, {"x": 1_000, "v": 0, "y": 500})  # u has no row, v a row of zero votes
    assert (left.method, left.votes, left.counties_in) == (EstimateMethod.BASELINE, 600, 1)


def test_a_county_of_zero_precincts_is_no_baseline_estimate():
    r = _counties(("x", 1_200, 10, 10), ("y", 0, 0, 0))
    left = _left(r, {"x": 1_000, "y": 500})
    assert left.method is not EstimateMethod.BASELINE


# --- more edges the mutation run found unpinned -----------------------------------------------------


def test_a_lone_candidate_leads_nobody_by_every_vote_and_write_ins_are_the_others():
    alone = (Candidate("a", "Ann Able", "Dem"), Candidate("w", "Write-ins", None, pseudo=True))
    st = standing(race({"a": 900, "w": 100}, candidates=alone))
    assert (st.race_key, st.lead_votes, st.other_votes) == ("AL-1", 900, 100)


def test_no_named_candidate_has_no_lead_and_every_vote_is_other():
    only_pseudo = (Candidate("y", "Yes", None, pseudo=True), Candidate("n", "No", None, pseudo=True))
    st = standing(race({"y": 3, "n": 2}, candidates=only_pseudo))
    assert (st.lead_votes, st.other_votes, st.lead_share) == (0, 5, 0)


def test_expected_share_keeps_the_feeds_decimals():
    assert expected_share(84.37) == Fraction(8_437, 10_000)
    assert expected_share(12.345678) == Fraction(12_345_678, 10**8)


def test_exactly_100_percent_expected_keeps_the_ceiling():
    r = _with_voters(race({"a": 600, "b": 400}, reporting=None, total=None, eevp=100.0), 5_000)
    assert estimate_votes_left(r) == VotesLeft(0, EstimateMethod.COMPLETE, 0, 0, 5_000)


def test_no_votes_at_all_in_the_counties_in_expects_none_in_the_counties_out():
    rows = [county("x", {}, reporting=5, total=10), county("y", {}, reporting=0, total=10)]
    assert votes_outstanding(race(counties=rows)) == 0
