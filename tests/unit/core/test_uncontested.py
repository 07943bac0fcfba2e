"""Uncontested and empty races are races (issue 11): no candidate or one, write-ins or not, the
margin math, the rules and the renderers take them without an error and without a claim that only
a contest could support (a lead, a margin, a hurdle, the recount line)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.events import EventKind
from bot.core.margins import hurdle, standing
from bot.core.model import CallStatus, Candidate
from bot.core.rules import RaceMemory, evaluate, race_facts
from bot.render.answers import margin_lines
from bot.render.slack import race_card
from bot.render.text import lead_line, race_card_text, recount_text
from tests.unit.core.helpers import AT, SETTINGS, race

SOLE = (Candidate("a", "Tom Whatley", "GOP"), Candidate("w", "Write-ins", None, pseudo=True))
ROSTERS = {
    "no candidate": (),
    "write-ins only": (Candidate("w", "Write-ins", None, pseudo=True),),
    "one candidate": (Candidate("a", "Tom Whatley", "GOP"),),
    "one candidate and write-ins": SOLE,
}
CONTEST_ONLY = {
    EventKind.TAKES_LEAD,
    EventKind.LEAD_CHANGE,
    EventKind.RECOUNT_ENTERED,
    EventKind.RECOUNT_LEFT,
    EventKind.OUT_OF_REACH,
    EventKind.WRITE_INS_EXCEED_MARGIN,
}


def sole_race(roster, votes: dict[str, int], reporting: int = 40, **kw: object):
    return race(
        {cid: n for cid, n in votes.items() if any(c.id == cid for c in roster)},
        candidates=roster,
        reporting=reporting,
        **kw,
    )


@pytest.mark.parametrize("name", sorted(ROSTERS))
def test_standing_of_a_race_with_no_candidate_or_one_has_no_runner_up(name: str) -> None:
    r = sole_race(ROSTERS[name], {"a": 900, "w": 1000})
    st = standing(r)
    assert r.uncontested
    assert st.runner_up is None and hurdle(st, 500) is None


@pytest.mark.parametrize("name", sorted(ROSTERS))
def test_the_rules_say_nothing_a_contest_would_need_over_a_whole_night(name: str) -> None:
    """Alabama (a recount law), write-ins above the sole candidate's votes, the count moving:
    first votes, milestones and the feed's call are said; no lead, recount or reach line."""
    roster = ROSTERS[name]
    memory, previous, kinds = RaceMemory(), None, []
    for reporting, votes in (
        (0, {"a": 0, "w": 0}),
        (30, {"a": 300, "w": 400}),
        (80, {"a": 800, "w": 810}),
        (100, {"a": 1000, "w": 1001}),
    ):
        r = sole_race(roster, votes, reporting=reporting)
        if reporting == 100 and any(c.id == "a" for c in roster):
            r = replace(r, winners=("a",), call_status=CallStatus.CALLED)
        result = evaluate("f", previous, r, memory, SETTINGS, AT)
        kinds += [e.kind for e in result.events]
        memory, previous = result.memory, r
    assert not set(kinds) & CONTEST_ONLY
    assert (EventKind.RACE_CALLED in kinds) == any(c.id == "a" for c in roster)


def test_a_contested_race_still_gets_its_lead_line() -> None:
    """The control: the same night with a second candidate does announce a lead (the test above can fail)."""
    roster = (*SOLE[:1], Candidate("b", "Bob Baker", "Dem"), SOLE[1])
    r = race({"a": 300, "b": 200, "w": 5}, candidates=roster, reporting=30)
    assert not r.uncontested
    assert EventKind.TAKES_LEAD in [e.kind for e in evaluate("f", None, r, RaceMemory(), SETTINGS, AT).events]


@pytest.mark.parametrize("name", sorted(ROSTERS))
def test_answers_and_cards_say_uncontested_without_margin_hurdle_or_recount(name: str) -> None:
    r = sole_race(ROSTERS[name], {"a": 900, "w": 1000})
    facts = race_facts(r, SETTINGS, AT)
    assert facts.uncontested
    assert lead_line(facts).startswith("Uncontested · ")
    assert recount_text(facts) is None and margin_lines(r, SETTINGS) == []
    shown = race_card_text(facts) + str(race_card(facts))
    for never in ("leads by", "Tied", "recount", "catch up", "votes left"):
        assert never not in shown, never


def test_a_called_uncontested_race_names_the_winner() -> None:
    r = replace(sole_race(SOLE, {"a": 9000, "w": 12}, reporting=100), winners=("a",), call_status=CallStatus.CALLED)
    assert lead_line(race_facts(r, SETTINGS, AT)).startswith("Uncontested: Whatley wins (call from the feed) · ")


def test_two_seats_and_two_candidates_are_uncontested_three_are_not() -> None:
    two = (Candidate("a", "Ann Able"), Candidate("b", "Bob Baker"))
    assert race({"a": 5, "b": 4}, candidates=two, seats=2).uncontested
    assert not race({"a": 5, "b": 4, "c": 1}, candidates=(*two, Candidate("c", "Cy Cole")), seats=2).uncontested
    assert not race({"a": 5, "b": 4}, candidates=two).uncontested  # Yes and No of a measure are a contest
