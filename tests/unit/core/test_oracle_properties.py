"""Properties of the margin math and the rules checked against independent oracles.

Each oracle is a plain recomputation from the vote counts written here (sorting, subtracting,
counting vote by vote), never a call into ``bot.core.margins``. The strategies put the boundaries
within reach (``st.one_of`` with the edge values: a lead of 0, 1 and 2, a lead equal to the
votes left ± 1, write-ins equal to the margin ± 1, a batch of 5,000 ± 1, exactly 50 % in), and
each case the issue names is an ``@example``, so it runs every time whatever Hypothesis draws.

``PROPERTY_EXAMPLES`` lowers the number of drawn examples (``make mutate`` uses it); the
``@example`` cases always run.
"""

from __future__ import annotations

import os
from fractions import Fraction

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.events import EventKind
from bot.core.margins import hurdle, recount_line, standing, votes_outstanding
from bot.core.model import Candidate
from bot.core.rules import RaceMemory, RuleSettings, evaluate
from tests.unit.core.helpers import AT, SETTINGS, county, race

PROPS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
CANDS = (Candidate("a", "A"), Candidate("b", "B"), Candidate("c", "C"), Candidate("w", "Write-ins", pseudo=True))
NAMED = ("a", "b", "c")

# --- strategies ---------------------------------------------------------------------------------

small_votes = st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 60), st.integers(0, 2_000_000))


@st.composite
def vote_maps(draw):
    """Votes for a, b, c and write-ins, with the top two often a vote or two apart."""
    votes = {cid: draw(small_votes) for cid in (*NAMED, "w") if draw(st.integers(0, 5))}  # sometimes absent
    if draw(st.booleans()):
        first, second = draw(st.permutations(NAMED))[:2]
        votes[second] = max(0, votes.get(first, 0) - draw(st.sampled_from([-2, -1, 0, 1, 2])))
    return votes


def named_order(votes: dict[str, int]) -> list[tuple[int, str]]:
    """Oracle: named candidates by votes, most first; equal votes in ballot order."""
    return sorted(((votes.get(c, 0), c) for c in NAMED), key=lambda t: (-t[0], NAMED.index(t[1])))


# --- standing ----------------------------------------------------------------------------------


@PROPS
@given(vote_maps())
@example({"a": 501, "b": 500})  # a one-vote lead has a leader
@example({"a": 500, "b": 500})  # a tie has none
@example({"a": 1})
@example({})
def test_leader_lead_and_others_follow_from_the_counts(votes):
    st_ = standing(race(votes, candidates=CANDS))
    (v1, c1), (v2, c2), (v3, _) = named_order(votes)
    total = sum(votes.values())
    assert st_.total_votes == total
    assert st_.lead_votes == v1 - v2
    if v1 > v2:
        assert (st_.leader.candidate_id, st_.runner_up.candidate_id) == (c1, c2)
        assert not st_.tied
    else:
        assert st_.leader is None and st_.runner_up is None
        assert st_.tied == (total > 0)
    assert st_.other_votes == v3 + votes.get("w", 0)
    assert st_.lead_share == (Fraction(v1 - v2, total) if total else 0)
    for c in st_.candidates:
        assert c.votes == votes.get(c.candidate_id, 0)
        assert c.share == (Fraction(c.votes, total) if total else 0)
    assert st_.candidates[-1].candidate_id == "w"  # write-ins after every name


# --- the recount line, counted vote by vote --------------------------------------------------


@PROPS
@given(
    st.integers(0, 3_000), st.integers(1, 200_000), st.sampled_from([Fraction(1, 200), Fraction(1, 400), Fraction(1, 100)])
)
@example(1_000, 200_000, Fraction(1, 200))  # exactly on the line: inside
@example(1_001, 200_000, Fraction(1, 200))  # one vote beyond
@example(999, 200_000, Fraction(1, 200))
@example(0, 1, Fraction(1, 200))
def test_recount_line_counted_vote_by_vote(lead, total, threshold):
    pos = recount_line(lead, total, threshold)
    inside = lead * threshold.denominator <= threshold.numerator * total  # "not more than"
    assert pos.inside is inside
    assert pos.line_votes == threshold * total
    steps, x = 0, lead
    if inside:  # how many more votes of lead until it is not "not more than" the line
        while x * threshold.denominator <= threshold.numerator * total:
            x, steps = x + 1, steps + 1
    else:  # how many fewer until it is
        while x * threshold.denominator > threshold.numerator * total:
            x, steps = x - 1, steps + 1
    assert pos.votes_to_line == steps >= 1


# --- the hurdle --------------------------------------------------------------------------------


@st.composite
def hurdle_cases(draw):
    """Leader, trailer, others and the votes left; the votes left often right at the lead."""
    trailer = draw(st.integers(0, 5_000))
    lead = draw(st.one_of(st.sampled_from([1, 2]), st.integers(1, 5_000)))
    others = draw(st.one_of(st.just(0), st.integers(0, 5_000)))
    left = draw(st.one_of(st.sampled_from([lead - 1, lead, lead + 1, 0, 1]), st.integers(0, 20_000)))
    return trailer + lead, trailer, others, max(0, left)


@PROPS
@given(hurdle_cases())
@example((600, 500, 0, 100))  # a lead equal to the votes left: a tie is still possible
@example((600, 500, 0, 99))  # one vote more than is left: out of reach
@example((600, 500, 0, 0))  # nothing left
@example((500, 300, 200, 250))  # the switch between the two assumptions
def test_hurdle_is_the_smallest_share_that_ties(case):
    """With L, T and others R counted and O left: the trailer needs s·O with T + s·O equal to the
    leader's final count, the others keeping their share R ÷ (L + T + R) of O as far as it goes."""
    lead_votes, trail_votes, other_votes, left = case
    st_ = standing(race({"a": lead_votes, "b": trail_votes, "w": other_votes}, candidates=CANDS))
    h = hurdle(st_, left)
    lead = lead_votes - trail_votes
    assert h.trailer.candidate_id == "b" and h.outstanding == left
    assert h.out_of_reach is (lead > left)  # even every vote left would leave the trailer behind
    if left == 0:
        assert h.share is None
        return
    r = Fraction(other_votes, lead_votes + trail_votes + other_votes)

    def final_gap(s: Fraction) -> Fraction:
        """Leader's final minus trailer's final when the trailer takes s of the votes left."""
        others = min(r, 1 - s)
        leader = max(Fraction(0), 1 - s - others)
        return (lead_votes + leader * left) - (trail_votes + s * left)

    s = h.share
    assert final_gap(s) == 0  # a tie exactly at the hurdle
    assert final_gap(s - Fraction(1, 10**9)) > 0  # and a hair less does not
    assert (s > 1) is h.out_of_reach


def test_no_hurdle_in_a_tie_or_without_an_estimate():
    assert hurdle(standing(race({"a": 5, "b": 5})), 100) is None
    assert hurdle(standing(race({"a": 6, "b": 5})), None) is None


# --- votes left ---------------------------------------------------------------------------------


@PROPS
@given(st.integers(0, 2_000_000), st.integers(1, 99))
@example(1_000, 80)
@example(1_000, 50)
@example(1, 99)
def test_votes_left_from_the_expected_vote_is_the_nearest_vote(counted, pct):
    left = votes_outstanding(race({"a": counted}, reporting=None, total=None, eevp=float(pct)))
    exact = Fraction(counted * 100, pct) - counted  # counted ÷ share − counted
    assert abs(left - exact) <= Fraction(1, 2)


@PROPS
@given(st.lists(st.tuples(st.integers(0, 50_000), st.integers(1, 40)), min_size=1, max_size=6))
def test_every_precinct_in_leaves_nothing(rows):
    r = race(counties=[county(f"x{i}", {"a": v}, reporting=p, total=p) for i, (v, p) in enumerate(rows)])
    assert votes_outstanding(r) == 0


# --- the rules from an empty memory ----------------------------------------------------------


@st.composite
def write_in_cases(draw):
    lead = draw(st.integers(0, 3_000))
    trailer = draw(st.integers(0, 3_000))
    w = draw(st.one_of(st.sampled_from([max(0, lead - 1), lead, lead + 1]), st.integers(0, 6_000)))
    reporting = draw(st.one_of(st.sampled_from([49, 50, 51]), st.integers(0, 100)))
    return trailer + lead, trailer, w, reporting


@PROPS
@given(write_in_cases())
@example((600, 500, 100, 100))  # write-ins equal to the margin: not more than it
@example((600, 500, 101, 100))
@example((600, 500, 101, 50))  # from exactly half the count in
@example((600, 500, 101, 49))
def test_write_ins_alert_when_more_write_ins_than_the_lead(case):
    a, b, w, reporting = case
    res = evaluate("t", None, race({"a": a, "b": b, "w": w}, reporting=reporting), RaceMemory(), SETTINGS, AT)
    expected = a + b + w > 0 and w > a - b and reporting * 2 >= 100
    assert (EventKind.WRITE_INS_EXCEED_MARGIN in {e.kind for e in res.events}) is expected


@st.composite
def reach_cases(draw):
    """1,000 votes counted at 80 % of the expected vote: 250 left. The lead around 250."""
    lead = draw(st.one_of(st.sampled_from([248, 249, 250, 251, 252]), st.integers(0, 1_000)))
    lead -= lead % 2  # a + b = 1,000 makes every lead even
    return 500 + lead // 2, 500 - lead // 2, draw(st.booleans())


@PROPS
@given(reach_cases())
@example((625, 375, False))  # lead 250 = votes left: not out of reach
@example((626, 374, False))  # lead 252 > 250
@example((626, 374, True))  # called: never said
def test_out_of_reach_when_the_lead_exceeds_every_vote_left(case):
    a, b, called = case
    r = race({"a": a, "b": b}, reporting=None, total=None, eevp=80.0, winners=("a",) if called else ())
    res = evaluate("t", None, r, RaceMemory(), SETTINGS, AT)
    assert (EventKind.OUT_OF_REACH in {e.kind for e in res.events}) is (a - b > 250 and not called)


@PROPS
@given(st.one_of(st.sampled_from([24, 25, 26, 49, 50, 51, 74, 75, 89, 90, 99, 100]), st.integers(0, 100)))
@example(50)  # exactly 50 % in gives the 50 milestone
def test_the_milestone_said_is_the_highest_one_reached(reporting):
    res = evaluate("t", None, race({"a": 2, "b": 1}, reporting=reporting, total=100), RaceMemory(), SETTINGS, AT)
    said = [e.details["percent"] for e in res.events if e.kind is EventKind.MILESTONE]
    reached = [m for m in (25, 50, 75, 90) if reporting >= m]
    assert said == ([max(reached)] if reached and reporting < 100 else [])
    assert res.memory.milestones == tuple(reached)
    assert (EventKind.ALL_REPORTING in {e.kind for e in res.events}) is (reporting == 100)


@st.composite
def county_moves(draw):
    before = {c: draw(st.integers(0, 20_000)) for c in ("a", "b")}
    delta = {
        c: draw(st.one_of(st.sampled_from([-1, 0, 1, 2_500, 2_499, 2_501, 5_000]), st.integers(-100, 6_000)))
        for c in ("a", "b")
    }
    after = {c: max(0, before[c] + delta[c]) for c in before}
    return before, after


@PROPS
@given(county_moves())
@example(({"a": 1_000, "b": 1_000}, {"a": 6_000, "b": 1_000}))  # a batch of exactly 5,000 votes
@example(({"a": 1_000, "b": 1_000}, {"a": 5_999, "b": 1_000}))
@example(({"a": 500, "b": 400}, {"a": 499, "b": 400}))  # a one-vote correction
@example(({"a": 500, "b": 400}, {"a": 499, "b": 5_401}))  # a correction beside a big batch is still a correction
def test_county_batches_and_corrections_follow_the_deltas(move):
    before, after = move
    old = race(counties=[county("x", before)])
    new = race(counties=[county("x", after)])
    res = evaluate("t", old, new, RaceMemory(), RuleSettings(), AT)
    kinds = [e.kind for e in res.events]
    down = any(after[c] < before[c] for c in before)
    added = sum(after.values()) - sum(before.values())
    assert (EventKind.CORRECTION in kinds) is down
    assert (EventKind.COUNTY_BATCH in kinds) is (not down and added >= 5_000)
