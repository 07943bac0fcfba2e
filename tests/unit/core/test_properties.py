"""Property-based tests of the margin math and the rules engine over random races."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.events import EventKind
from bot.core.margins import hurdle, standing, votes_outstanding
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, sum_units
from bot.core.rules import RaceMemory, evaluate
from tests.unit.core.helpers import AT, RULES, SETTINGS

# PROPERTY_EXAMPLES lowers the drawn examples for `make mutate` (the @example cases always run)
PROPS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
STATUSES = st.sampled_from([None, "Too Close to Call", "Tabulation Paused", "Vote Certified", "Active Tabulation", "Called"])


@st.composite
def race_shapes(draw):
    """The fixed parts of a race: state, candidates, counties and their precinct totals."""
    n = draw(st.integers(2, 4))
    cands = [Candidate(f"c{i}", f"Cand {i}", "P") for i in range(n)]
    if draw(st.booleans()):
        cands.append(Candidate("wi", "Write-ins", None, pseudo=True))
    counties = draw(st.lists(st.integers(1, 30), min_size=1, max_size=5))
    return {
        "state": draw(st.sampled_from(["AL", "FL", "GA"])),
        "general": draw(st.booleans()),
        "seats": draw(st.sampled_from([1, 1, 1, 2])),
        "candidates": tuple(cands),
        "precincts": counties,
    }


@st.composite
def races_of(draw, shape):
    """One snapshot of a race of that shape: random votes, reporting, eevp and calls."""
    ids = [c.id for c in shape["candidates"]]
    small = draw(st.booleans())  # small counts make ties and exact lines likely
    top = 30 if small else 200_000
    close = draw(st.booleans())  # the top two within a vote or two per county: ties, recount lines
    rows = []
    for i, total in enumerate(shape["precincts"]):
        reporting = draw(st.integers(0, total))
        votes = {
            cid: draw(st.integers(0, top)) if reporting else 0 for cid in ids if draw(st.integers(0, 9))
        }  # sometimes absent
        if close and reporting:
            votes["c1"] = max(0, votes.get("c0", 0) + draw(st.integers(-1, 1)))
        rows.append(
            ReportingUnit(f"c{i}", Level.COUNTY, f"County {i}", votes, precincts_reporting=reporting, precincts_total=total)
        )
    state = sum_units(rows, shape["state"], "State")
    eevp = draw(st.none() | st.floats(0, 100, allow_nan=False))
    if eevp is not None:
        state = replace(state, expected_vote_pct=eevp)
    named = [c for c in ids if c != "wi"]
    winners = tuple(draw(st.lists(st.sampled_from(named), max_size=shape["seats"], unique=True)))
    runoff = () if winners else tuple(draw(st.sampled_from([(), (), tuple(named[:2])])))
    return Race(
        state=shape["state"],
        race_id="7",
        office="Office",
        candidates=shape["candidates"],
        units=(state, *rows),
        general=shape["general"],
        seats=shape["seats"],
        winners=winners,
        runoff=runoff,
        call_status=CallStatus.CALLED if winners else CallStatus.RUNOFF if runoff else CallStatus.NONE,
        race_call_status=draw(STATUSES),
        tabulation_status=draw(STATUSES),
    )


@st.composite
def race_pairs(draw):
    shape = draw(race_shapes())
    return draw(races_of(shape)), draw(races_of(shape))


def _history(first: Race) -> RaceMemory:
    return evaluate("p", None, first, RaceMemory(), SETTINGS, AT).memory


@PROPS
@given(race_pairs())
def test_same_race_twice_gives_nothing(pair):
    first, second = pair
    mem = _history(first)
    once = evaluate("p", first, second, mem, SETTINGS, AT)
    twice = evaluate("p", second, second, once.memory, SETTINGS, AT)
    assert twice.events == []
    assert twice.memory == once.memory


@PROPS
@given(race_pairs())
def test_lead_change_only_for_a_new_leader(pair):
    first, second = pair
    mem = _history(first)
    result = evaluate("p", first, second, mem, SETTINGS, AT)
    st_ = standing(second)
    for e in result.events:
        if e.kind is EventKind.LEAD_CHANGE:
            assert mem.announced_leader is not None
            assert e.details["leader"] != mem.announced_leader
            assert e.details["previous_leader"] == mem.announced_leader
            assert st_.leader is not None and e.details["leader"] == st_.leader.candidate_id
        if e.kind is EventKind.TAKES_LEAD:
            assert mem.announced_leader is None
    if result.memory.announced_leader is not None:
        assert result.memory.announced_leader in (mem.announced_leader, st_.leader.candidate_id if st_.leader else None)


def _inside(race: Race) -> bool | None:
    """Independently: is the margin of the top two named within the state's line?"""
    rule = RULES.get(race.state)
    if rule is None or race.seats != 1 or (rule.general_only and not race.general):
        return None
    votes = dict(race.state_unit.votes)
    total = sum(votes.values())
    if total == 0:
        return None
    named = sorted((votes.get(c.id, 0) for c in race.candidates if not c.pseudo), reverse=True)
    lead = named[0] - named[1]
    return lead * rule.threshold.denominator <= rule.threshold.numerator * total


def _reporting(race: Race) -> Fraction | None:
    st_ = race.state_unit
    if st_.expected_vote_pct is not None:
        return Fraction(st_.expected_vote_pct) / 100
    return Fraction(st_.precincts_reporting, st_.precincts_total)


@PROPS
@given(race_pairs())
def test_recount_events_only_when_the_line_is_crossed(pair):
    first, second = pair
    mem = _history(first)
    result = evaluate("p", first, second, mem, SETTINGS, AT)
    got = {e.kind for e in result.events} & {EventKind.RECOUNT_ENTERED, EventKind.RECOUNT_LEFT}
    inside = _inside(second)
    rep = _reporting(second)
    expected = set()
    if (
        inside is True
        and not mem.in_recount_zone
        and abs(rep - Fraction(1, 2)) > Fraction(1, 10**5)
        and rep > Fraction(1, 2)
    ):
        expected.add(EventKind.RECOUNT_ENTERED)
    if inside is False and mem.in_recount_zone:
        expected.add(EventKind.RECOUNT_LEFT)
    if inside is True and not mem.in_recount_zone and abs(rep - Fraction(1, 2)) <= Fraction(1, 10**5):
        return  # eevp rounded to 1e-6 right at the gate: either is right
    if inside is True and not mem.in_recount_zone and rep < Fraction(1, 2):
        expected = set()
    assert got == expected
    for e in result.events:
        if e.kind in (EventKind.RECOUNT_ENTERED, EventKind.RECOUNT_LEFT):
            assert e.details["votes_to_line"] >= 1


@PROPS
@given(race_pairs(), st.data())
def test_hurdle_is_exact(pair, data):
    _, race = pair
    st_ = standing(race)
    estimate = votes_outstanding(race)
    assert estimate is None or estimate >= 0
    if st_.leader is None:  # a tie or no votes: nobody trails, whatever is left
        assert hurdle(st_, estimate) is None and hurdle(st_, 1) is None
    assume(st_.leader is not None)  # drawn again, not skipped: every kept example checks the hurdle
    lead = st_.lead_votes
    # the votes left: the estimate, or right at the lead (a lead equal to the votes left), or any
    o = data.draw(
        st.one_of(st.sampled_from([max(1, lead - 1), lead, lead + 1, estimate or 1]), st.integers(1, 10**6)), label="left"
    )
    h = hurdle(st_, o)
    assert h is not None and h.share is not None and h.outstanding == o
    s = h.share
    L, T = st_.leader.votes, st_.runner_up.votes
    r = Fraction(st_.other_votes, st_.total_votes)
    assert s > 0
    assert (s > 1) == h.out_of_reach == (o < L - T)

    def finals(share: Fraction) -> tuple[Fraction, Fraction]:
        """Trailer gets share·O, the others their current share (as far as it goes), the leader the rest."""
        others = min(r, 1 - share) if share <= 1 else Fraction(0)
        leader = max(Fraction(0), 1 - share - others)
        return T + share * o, L + leader * o

    trailer, leader = finals(s)
    assert trailer == leader  # a tie exactly at the hurdle
    if s <= 1 - r:  # the plain assumption holds: others keep their share, the leader gets the rest
        assert L + (1 - s - r) * o == T + s * o
    below = s - Fraction(1, 10**6)
    if below > 0:
        t2, l2 = finals(below)
        assert t2 < l2  # and not a vote less
    above = s + Fraction(1, 10**6)
    if above <= 1:
        t3, l3 = finals(above)
        assert t3 > l3  # overtakes beyond it


@PROPS
@given(race_pairs(), st.data())
def test_engine_never_raises_on_odd_data(pair, data):
    first, second = pair
    odd = data.draw(
        st.sampled_from(["none", "no_state", "nan", "no_precincts", "unknown_candidate", "mixed_levels", "zero_total"])
    )
    state, *rows = second.units
    if odd == "no_state":
        second = replace(second, units=tuple(rows))
    elif odd == "nan":
        second = replace(second, units=(replace(state, expected_vote_pct=math.nan), *rows))
    elif odd == "no_precincts":
        second = replace(
            second, units=(replace(state, precincts_total=None), *[replace(u, precincts_reporting=None) for u in rows])
        )
    elif odd == "unknown_candidate":
        second = replace(second, units=(replace(state, votes={**state.votes, "ghost": 5}), *rows))
    elif odd == "mixed_levels":
        second = replace(
            second,
            units=(
                state,
                *rows,
                ReportingUnit("p1", Level.PRECINCT, "P1", {"c0": 3}, precincts_reporting=1, precincts_total=1),
            ),
        )
    elif odd == "zero_total":
        second = replace(second, units=(replace(state, precincts_total=0, precincts_reporting=0), *rows))
    mem = _history(first)
    result = evaluate("p", first, second, mem, SETTINGS, AT)
    again = evaluate("p", second, second, result.memory, SETTINGS, AT)
    assert again.events == []
    out = votes_outstanding(second)
    assert out is None or out >= 0
