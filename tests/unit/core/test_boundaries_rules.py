"""Every threshold of the alert rules pinned at its boundary: at, one below and one above.

The expected values are literals from the rule's own definition (the settings' documented
defaults: half the count in for recount and write-in alerts, a lead held two polls or 1,000
votes, milestones at 25/50/75/90 %, county batches from 5,000 votes; Ala. Code § 17-16-20 for
the recount line; "write-ins exceed the margin" is strictly more write-ins than the lead).
"""

from __future__ import annotations

from dataclasses import fields, replace
from fractions import Fraction

import pytest

from bot.core.events import EventKind
from bot.core.model import Candidate, Race
from bot.core.rules import (
    NO_MEMORY,
    NOTABLE_STATUSES,
    RaceMemory,
    RecountRule,
    RuleSettings,
    applicable_recount_rule,
    evaluate,
    is_blank,
    race_facts,
)
from bot.render.text import event_line
from tests.unit.core.helpers import AT, SETTINGS, county, race, run


def _one(r, mem: RaceMemory | None = None, prev=None, settings: RuleSettings = SETTINGS):
    return evaluate("t", prev, r, mem or RaceMemory(), settings, AT)


def _kinds(result) -> list[str]:
    return [e.kind.value for e in result.events]


def _of(events, kind: EventKind) -> list:
    return [e for _, e in events if e.kind is kind]


# --- first votes ------------------------------------------------------------------------------


def test_zero_votes_gives_no_first_votes_and_one_vote_does():
    assert _one(race({}, reporting=0)).events == []
    res = _one(race({"b": 1}))
    assert _kinds(res)[:2] == ["first_votes", "takes_lead"]
    assert res.memory.had_votes and res.memory.announced_leader == "b"
    assert [e.key for e in res.events][:2] == ["t/AL-1/first_votes", "t/AL-1/takes_lead"]


def test_first_votes_only_once():
    events, mem = run([race({"a": 1}), race({"a": 2, "b": 1})])
    assert [i for i, e in events if e.kind is EventKind.FIRST_VOTES] == [0]


def test_a_tie_takes_no_lead_and_a_one_vote_lead_takes_it():
    assert "takes_lead" not in _kinds(_one(race({"a": 7, "b": 7})))
    res = _one(race({"a": 7, "b": 8}))
    take = [e for e in res.events if e.kind is EventKind.TAKES_LEAD]
    assert [e.details["leader"] for e in take] == ["b"]


# --- lead changes: held two polls, or a lead of at least 1,000 votes --------------------------


def test_new_leader_for_one_poll_is_not_announced_and_for_two_polls_is():
    seq = [race({"a": 100, "b": 90}), race({"a": 100, "b": 101}), race({"a": 100, "b": 102})]
    events, mem = run(seq)
    assert [
        (i, e.details["leader"], e.details["previous_leader"]) for i, e in events if e.kind is EventKind.LEAD_CHANGE
    ] == [(2, "b", "a")]
    assert _of(events, EventKind.LEAD_CHANGE)[0].key == "t/AL-1/lead_change/1"
    assert mem.lead_changes == 1 and mem.pending_leader is None and mem.pending_polls == 0


def test_lead_of_999_votes_waits_and_1000_is_announced_at_once():
    start = race({"a": 5_000, "b": 4_000})
    events, _ = run([start, race({"a": 5_000, "b": 5_999})])
    assert _of(events, EventKind.LEAD_CHANGE) == []
    events, _ = run([start, race({"a": 5_000, "b": 6_000})])
    assert [e.details["leader"] for e in _of(events, EventKind.LEAD_CHANGE)] == ["b"]
    events, _ = run([start, race({"a": 5_000, "b": 6_001})])
    assert len(_of(events, EventKind.LEAD_CHANGE)) == 1


def test_lead_change_waits_for_the_minimum_reporting_share():
    settings = replace(SETTINGS, lead_min_reporting=Fraction(1, 2))
    start = race({"a": 5_000, "b": 4_000}, reporting=10)
    for reporting, announced in ((49, False), (50, True), (51, True)):
        events, _ = run([start, race({"a": 5_000, "b": 7_000}, reporting=reporting)], settings=settings)
        assert bool(_of(events, EventKind.LEAD_CHANGE)) is announced, reporting


def test_polls_without_new_numbers_do_not_count_but_new_precincts_do():
    a = race({"a": 100, "b": 90}, reporting=10)
    b1 = race({"a": 100, "b": 101}, reporting=10)
    events, mem = run([a, b1])
    assert mem.pending_leader == "b" and mem.pending_polls == 1
    same = evaluate("t", b1, b1, mem, SETTINGS, AT)
    assert same.events == [] and same.memory.pending_polls == 1
    more_precincts = replace(b1, units=(replace(b1.units[0], precincts_reporting=11),))
    moved = evaluate("t", b1, more_precincts, mem, SETTINGS, AT)
    assert [e.kind for e in moved.events] == [EventKind.LEAD_CHANGE]


def test_a_second_lead_change_has_its_own_key():
    seq = [race({"a": 100, "b": 0}), race({"a": 100, "b": 1_100}), race({"a": 2_200, "b": 1_100})]
    events, mem = run(seq)
    assert [e.key for e in _of(events, EventKind.LEAD_CHANGE)] == ["t/AL-1/lead_change/1", "t/AL-1/lead_change/2"]
    assert mem.announced_leader == "a" and mem.lead_changes == 2


def test_the_leader_back_clears_a_pending_challenger():
    seq = [race({"a": 100, "b": 90}), race({"a": 100, "b": 101}), race({"a": 120, "b": 101})]
    events, mem = run(seq)
    assert _of(events, EventKind.LEAD_CHANGE) == [] and mem.pending_leader is None and mem.pending_polls == 0


# --- the recount zone: inside from half the count in --------------------------------------------


@pytest.mark.parametrize("reporting, entered", [(49, False), (50, True), (51, True)])
def test_recount_zone_waits_for_exactly_half_the_count(reporting, entered):
    res = _one(race({"a": 1_000, "b": 999}, reporting=reporting, total=100))
    assert ("recount_entered" in _kinds(res)) is entered
    assert res.memory.in_recount_zone is entered


def test_recount_zone_entered_at_the_line_and_not_one_vote_beyond():
    at_line = _one(race({"a": 99_000, "b": 98_000, "w": 3_000}))  # 1,000 of 200,000
    ev = [e for e in at_line.events if e.kind is EventKind.RECOUNT_ENTERED]
    assert len(ev) == 1 and ev[0].key == "t/AL-1/recount_entered/1"
    assert ev[0].details == {
        "votes_to_line": 1,
        "line_votes": "1000/1",
        "lead_votes": 1_000,
        "leader": "a",
        "citation": "Ala. Code § 17-16-20",
        "general_only": True,
        "waivable": True,
    }
    beyond = _one(race({"a": 99_001, "b": 97_999, "w": 3_000}))  # 1,002 of 200,000
    assert "recount_entered" not in _kinds(beyond) and not beyond.memory.in_recount_zone


def test_recount_zone_left_one_vote_beyond_the_line():
    inside = race({"a": 99_000, "b": 98_000, "w": 3_000})
    beyond = race({"a": 99_001, "b": 97_999, "w": 3_000})  # line 1,000: lead 1,002 is 2 beyond
    events, mem = run([inside, beyond])
    left = _of(events, EventKind.RECOUNT_LEFT)
    assert [(e.key, e.details["votes_to_line"], e.details["lead_votes"]) for e in left] == [
        ("t/AL-1/recount_left/1", 2, 1_002)
    ]
    assert mem.in_recount_zone is False and mem.recount_passes == 1


def test_staying_inside_says_nothing_more():
    events, mem = run([race({"a": 1_000, "b": 999}), race({"a": 1_001, "b": 1_000})])
    assert len(_of(events, EventKind.RECOUNT_ENTERED)) == 1 and _of(events, EventKind.RECOUNT_LEFT) == []
    assert mem.in_recount_zone and mem.recount_passes == 1


def test_a_tie_is_in_the_recount_zone_with_no_leader():
    ev = next(e for e in _one(race({"a": 10, "b": 10})).events if e.kind is EventKind.RECOUNT_ENTERED)
    assert ev.details["leader"] is None and ev.details["lead_votes"] == 0 and ev.details["votes_to_line"] == 1


def test_recount_gate_without_reporting_figures():
    # a feed with no reporting figures at all is not gated; zero precincts is not "no figures"
    assert "recount_entered" in _kinds(_one(race({"a": 10, "b": 10}, reporting=None, total=None)))
    assert "recount_entered" not in _kinds(_one(race({"a": 10, "b": 10}, reporting=0, total=0)))
    assert "recount_entered" not in _kinds(_one(race({"a": 10, "b": 10}, reporting=None, total=None, eevp=float("nan"))))


def test_recount_rule_applies_to_single_seat_general_races_of_listed_states():
    assert applicable_recount_rule(race({"a": 1}, state="al"), SETTINGS).citation == "Ala. Code § 17-16-20"
    assert applicable_recount_rule(race({"a": 1}, seats=2), SETTINGS) is None
    assert applicable_recount_rule(race({"a": 1}, seats=0), SETTINGS) is None
    assert applicable_recount_rule(race({"a": 1}, general=False), SETTINGS) is None
    assert applicable_recount_rule(race({"a": 1}, general=False, state="FL"), SETTINGS).citation == "Fla. Stat. § 102.141(7)"
    assert applicable_recount_rule(race({"a": 1}, state="GA"), SETTINGS) is None


def test_facts_carry_the_threshold_and_citation_of_the_rule():
    facts = race_facts(race({"a": 600, "b": 400}, eevp=80.0), SETTINGS, AT)
    assert (facts.recount_threshold, facts.recount_citation, facts.outstanding) == ("1/200", "Ala. Code § 17-16-20", 250)
    assert facts.updated_at == AT.isoformat() and facts.leader_id == "a" and facts.lead_votes == 200
    assert race_facts(race({"a": 1}, state="GA"), SETTINGS).recount_threshold is None


# --- write-ins: strictly more unresolved write-ins than the lead --------------------------------


@pytest.mark.parametrize("write_ins, exceeds", [(99, False), (100, False), (101, True)])
def test_write_ins_equal_to_the_margin_do_not_exceed_it(write_ins, exceeds):
    res = _one(race({"a": 600, "b": 500, "w": write_ins}))
    got = [e for e in res.events if e.kind is EventKind.WRITE_INS_EXCEED_MARGIN]
    assert bool(got) is exceeds and res.memory.write_ins_exceed is exceeds
    if exceeds:
        assert (
            got[0].details == {"unresolved_votes": 101, "lead_votes": 100}
            and got[0].key == "t/AL-1/write_ins_exceed_margin/1"
        )


def test_write_ins_wait_for_half_the_count():
    assert "write_ins_exceed_margin" not in _kinds(_one(race({"a": 600, "b": 500, "w": 101}, reporting=49)))
    assert "write_ins_exceed_margin" in _kinds(_one(race({"a": 600, "b": 500, "w": 101}, reporting=50)))


def test_write_ins_second_crossing_after_a_reset_is_announced_again():
    over, under = race({"a": 600, "b": 500, "w": 101}), race({"a": 700, "b": 500, "w": 101})
    events, mem = run([over, over, under, over])
    got = _of(events, EventKind.WRITE_INS_EXCEED_MARGIN)
    assert [e.key for e in got] == ["t/AL-1/write_ins_exceed_margin/1", "t/AL-1/write_ins_exceed_margin/2"]
    assert [i for i, e in events if e.kind is EventKind.WRITE_INS_EXCEED_MARGIN] == [0, 3]
    assert mem.write_ins_exceed and mem.write_ins_passes == 2
    _, after_reset = run([over, under])
    assert after_reset.write_ins_exceed is False and after_reset.write_ins_passes == 1


def test_write_ins_reset_when_every_vote_is_taken_back():
    """A count corrected to nothing has no write-ins over any margin: the flag resets, and the next
    crossing is announced again (the rules skip most work for a race with no votes, not this)."""
    over, empty = race({"a": 600, "b": 500, "w": 101}), race({"a": 0, "b": 0, "w": 0})
    events, mem = run([over, empty, over])
    got = _of(events, EventKind.WRITE_INS_EXCEED_MARGIN)
    assert [e.key for e in got] == ["t/AL-1/write_ins_exceed_margin/1", "t/AL-1/write_ins_exceed_margin/2"]
    assert mem.write_ins_exceed and mem.write_ins_passes == 2
    _, after_empty = run([over, empty])
    assert after_empty.write_ins_exceed is False and after_empty.write_ins_passes == 1


# --- out of reach: the lead larger than every vote left (and something left) --------------------
# eevp 80 % of 1,000 counted: 1,000 ÷ 0.8 − 1,000 = 250 votes left.


@pytest.mark.parametrize("a, b, beyond", [(624, 376, False), (625, 375, False), (626, 374, True)])
def test_lead_equal_to_votes_left_is_not_announced_out_of_reach(a, b, beyond):
    res = _one(race({"a": a, "b": b}, eevp=80.0))
    got = [e for e in res.events if e.kind is EventKind.OUT_OF_REACH]
    assert bool(got) is beyond and res.memory.out_of_reach is beyond
    if beyond:
        assert (got[0].details["trailer"], got[0].details["outstanding"], got[0].details["lead_votes"]) == ("b", 250, 252)
        assert got[0].key == "t/AL-1/out_of_reach/1"


def test_nothing_left_to_count_is_never_out_of_reach():
    assert "out_of_reach" not in _kinds(_one(race({"a": 900, "b": 100}, reporting=100, total=100)))
    assert "out_of_reach" not in _kinds(_one(race({"a": 900, "b": 100}, reporting=None, total=None, eevp=100.0)))


def test_a_called_race_is_not_out_of_reach():
    assert "out_of_reach" not in _kinds(_one(race({"a": 626, "b": 374}, eevp=80.0, winners=("a",))))


def test_out_of_reach_second_crossing_after_a_reset_is_announced_again():
    beyond, within = race({"a": 626, "b": 374}, eevp=80.0), race({"a": 625, "b": 375}, eevp=80.0)
    events, mem = run([beyond, beyond, within, beyond])
    got = _of(events, EventKind.OUT_OF_REACH)
    assert [e.key for e in got] == ["t/AL-1/out_of_reach/1", "t/AL-1/out_of_reach/2"]
    assert [i for i, e in events if e.kind is EventKind.OUT_OF_REACH] == [0, 3]
    assert mem.out_of_reach and mem.out_of_reach_passes == 2
    _, reset = run([beyond, within])
    assert reset.out_of_reach is False and reset.out_of_reach_passes == 1


def test_out_of_reach_memory_stays_when_there_is_no_hurdle():
    _, mem = run([race({"a": 626, "b": 374}, eevp=80.0), race({"a": 626, "b": 626}, eevp=80.0)])
    assert mem.out_of_reach  # a tie has no trailer: nothing says the lead came back within reach


# --- calls --------------------------------------------------------------------------------------


def test_the_withdrawn_call_line_names_the_candidates():
    cands = (Candidate("a", "Ann Able", "Dem"), Candidate("b", "Bob Baker", "GOP"), Candidate("c", "Cy Cole"))
    base = race({"a": 40, "b": 35, "c": 25}, candidates=cands, general=False)
    events, _ = run([base, replace(base, runoff=("b", "a")), base])
    un = _of(events, EventKind.RACE_UNCALLED)
    assert len(un) == 1
    assert event_line(un[0], None) == "CALL WITHDRAWN: the feed no longer calls this race for Ann Able, Bob Baker"
    facts = _one(base).facts
    assert (
        event_line(un[0], facts) == "CALL WITHDRAWN: the feed no longer calls this race for Ann Able (Dem), Bob Baker (GOP)"
    )


def test_a_withdrawn_win_names_the_winner():
    base = race({"a": 100, "b": 90})
    events, _ = run([base, replace(base, winners=("b",)), base])
    un = _of(events, EventKind.RACE_UNCALLED)
    assert event_line(un[0], None) == "CALL WITHDRAWN: the feed no longer calls this race for Bob Baker"
    assert un[0].details["previous_winners"] == ["b"] and un[0].details["previous_runoff"] == []


def test_the_same_call_again_is_not_a_new_call_and_a_changed_one_is():
    base = race({"a": 100, "b": 90})
    events, mem = run([replace(base, winners=("a",)), replace(base, winners=("a",)), replace(base, winners=("b",))])
    called = _of(events, EventKind.RACE_CALLED)
    assert [(e.key, e.details["winners"]) for e in called] == [
        ("t/AL-1/race_called/1", ["a"]),
        ("t/AL-1/race_called/2", ["b"]),
    ]
    assert mem.winners == ("b",) and mem.calls == 2


def test_runoff_key_names_both_candidates():
    base = race({"a": 40, "b": 35}, general=False)
    events, mem = run([replace(base, runoff=("b", "a"))])
    assert [e.key for e in _of(events, EventKind.RUNOFF)] == ["t/AL-1/runoff/1/a-b"]
    assert mem.runoff == ("a", "b") and mem.calls == 1


# --- status moves: only the notable ones, and moves away from them ------------------------------


@pytest.mark.parametrize(
    "old, new, announced",
    [
        (None, "Active Tabulation", False),  # an ordinary move
        ("Active Tabulation", "Counting", False),
        ("Too Close to Call", None, False),  # the status went away: nothing to announce
        (None, "Called", False),  # the call itself is the call alert
        ("Too Close to Call", "Called", False),
        (None, "Too Close to Call", True),
        ("Active Tabulation", "Tabulation Paused", True),
        ("Too Close to Call", "Active Tabulation", True),  # out of a notable status
        ("Tabulation Paused", "Vote Certified", True),
    ],
)
def test_status_moves_only_notable_ones_are_announced(old, new, announced):
    before = race({"a": 100, "b": 90}, race_call_status=old)
    events, mem = run([before, replace(before, race_call_status=new)])
    got = [e for i, e in events if e.kind is EventKind.STATUS_CHANGED and i == 1]
    assert bool(got) is announced
    if announced:
        assert got[0].details == {"status": new, "previous": old, "field": "race_call_status"}
        assert got[0].key == f"t/AL-1/status_changed/{2 if old in NOTABLE_STATUSES else 1}/race_call_status/{new}"
    assert mem.race_call_status == new


def test_tabulation_status_is_watched_too():
    base = race({"a": 100, "b": 90})
    events, mem = run([base, replace(base, tabulation_status="Tabulation Paused")])
    got = _of(events, EventKind.STATUS_CHANGED)
    assert [(e.details["field"], e.details["status"], e.details["previous"]) for e in got] == [
        ("tabulation_status", "Tabulation Paused", None)
    ]
    assert mem.tabulation_status == "Tabulation Paused" and mem.status_changes == 1


# --- reporting milestones: 25, 50, 75, 90 % -------------------------------------------------------


@pytest.mark.parametrize(
    "reporting, percent", [(49, 25), (50, 50), (51, 50), (74, 50), (75, 75), (89, 75), (90, 90), (99, 90)]
)
def test_exactly_50_percent_in_gives_the_50_milestone(reporting, percent):
    res = _one(race({"a": 20, "b": 10}, reporting=reporting))
    assert [e.details["percent"] for e in res.events if e.kind is EventKind.MILESTONE] == [percent]
    assert res.memory.milestones == tuple(m for m in (25, 50, 75, 90) if m <= percent)
    assert [e.key for e in res.events if e.kind is EventKind.MILESTONE] == [f"t/AL-1/milestone/{percent}"]


def test_below_the_first_milestone_says_nothing():
    res = _one(race({"a": 20, "b": 10}, reporting=24))
    assert "milestone" not in _kinds(res) and res.memory.milestones == ()


def test_exactly_25_percent_of_expected_vote_gives_the_25_milestone():
    res = _one(race({"a": 20, "b": 10}, reporting=None, total=None, eevp=25.0))
    assert [e.details["percent"] for e in res.events if e.kind is EventKind.MILESTONE] == [25]
    res = _one(race({"a": 20, "b": 10}, reporting=None, total=None, eevp=24.99))
    assert "milestone" not in _kinds(res)


def test_milestones_are_not_repeated():
    events, mem = run([race({"a": 20, "b": 10}, reporting=50), race({"a": 21, "b": 10}, reporting=60)])
    assert [(i, e.details["percent"]) for i, e in events if e.kind is EventKind.MILESTONE] == [(0, 50)]
    assert mem.milestones == (25, 50)


def test_every_precinct_at_once_says_all_reporting_not_a_milestone():
    res = _one(race({"a": 20, "b": 10}, reporting=100))
    assert "milestone" not in _kinds(res) and "all_reporting" in _kinds(res)
    assert res.memory.milestones == (25, 50, 75, 90) and res.memory.all_reporting


def test_a_100_milestone_is_never_recorded():
    settings = replace(SETTINGS, milestones=(50, 100))
    res = _one(race({"a": 20, "b": 10}, reporting=100), settings=settings)
    assert res.memory.milestones == (50,)


def test_no_milestones_without_votes_or_reporting_figures():
    assert _one(race({}, reporting=60)).events == []
    res = _one(race({"a": 1}, reporting=None, total=None))
    assert "milestone" not in _kinds(res) and "all_reporting" not in _kinds(res)


# --- all reporting: every precinct in, else the whole expected vote ------------------------------


@pytest.mark.parametrize("reporting, complete", [(99, False), (100, True), (101, True)])
def test_all_precincts_reporting_at_exactly_every_precinct(reporting, complete):
    res = _one(race({"a": 20, "b": 10}, reporting=reporting, total=100))
    assert ("all_reporting" in _kinds(res)) is complete and res.memory.all_reporting is complete


@pytest.mark.parametrize("eevp, complete", [(50.0, False), (99.9, False), (100.0, True)])
def test_all_expected_votes_counted_only_at_100_percent_on_expected_vote_feeds(eevp, complete):
    res = _one(race({"a": 20, "b": 10}, reporting=None, total=None, eevp=eevp))
    assert ("all_reporting" in _kinds(res)) is complete and res.memory.all_reporting is complete


def test_all_reporting_is_said_once_and_remembered():
    events, mem = run([race({"a": 20, "b": 10}, reporting=100), race({"a": 20, "b": 10}, reporting=99)])
    assert [i for i, e in events if e.kind is EventKind.ALL_REPORTING] == [0] and mem.all_reporting


# --- county batches (5,000 votes) and corrections (any vote down) --------------------------------


@pytest.mark.parametrize("added, batch", [(4_999, False), (5_000, True), (5_001, True)])
def test_batch_of_exactly_5000_votes_is_announced(added, batch):
    before = race(counties=[county("x", {"a": 1_000, "b": 1_000}, name="Jefferson")])
    after = race(counties=[county("x", {"a": 1_000 + added, "b": 1_000}, name="Jefferson")])
    got = [e for e in _one(after, prev=before).events if e.kind is EventKind.COUNTY_BATCH]
    assert bool(got) is batch
    if batch:
        d = got[0].details
        assert (d["unit"], d["unit_id"], d["added"], d["deltas"]) == ("Jefferson", "x", added, {"a": added, "b": 0})
        assert d["votes"] == {"a": 1_000 + added, "b": 1_000} and d["swing"] is None
        assert got[0].key == f"t/AL-1/county_batch/x/{2_000 + added}"


def test_a_batch_adds_every_candidate_s_votes():
    before = race(counties=[county("x", {"a": 1_000, "b": 1_000, "w": 0})])
    after = race(counties=[county("x", {"a": 3_000, "b": 3_999, "w": 1})])  # 2,000 + 2,999 + 1
    got = [e for e in _one(after, prev=before).events if e.kind is EventKind.COUNTY_BATCH]
    assert [e.details["added"] for e in got] == [5_000]


def test_town_rows_batch_and_precinct_rows_do_not():
    from bot.core.model import Level, ReportingUnit

    def town(n: int, level: Level) -> ReportingUnit:
        return ReportingUnit("t1", level, "Burlington", {"a": n}, precincts_reporting=1, precincts_total=1)

    for level, expected in ((Level.TOWN, 1), (Level.PRECINCT, 0)):
        before, after = race(counties=[town(0, level)]), race(counties=[town(6_000, level)])
        got = [e for e in _one(after, prev=before).events if e.kind is EventKind.COUNTY_BATCH]
        assert len(got) == expected, level


def test_one_vote_correction_is_reported():
    before = race(counties=[county("x", {"a": 500, "b": 400}, name="Jefferson")])
    after = race(counties=[county("x", {"a": 499, "b": 400}, name="Jefferson")])
    res = _one(after, prev=before)
    corr = [e for e in res.events if e.kind is EventKind.CORRECTION]
    assert [(e.details["unit"], e.details["deltas"], e.key) for e in corr] == [
        ("Jefferson", {"a": -1, "b": 0}, "t/AL-1/correction/x/899")
    ]
    assert "county_batch" not in _kinds(res)


def test_no_change_is_neither_a_correction_nor_a_batch():
    same = race(counties=[county("x", {"a": 500, "b": 400})])
    assert not {"correction", "county_batch"} & set(_kinds(_one(same, prev=same)))


def test_a_candidate_vanishing_from_a_county_is_a_correction():
    before = race(counties=[county("x", {"a": 500, "b": 400})])
    after = race(counties=[county("x", {"a": 500})])
    corr = [e for e in _one(after, prev=before).events if e.kind is EventKind.CORRECTION]
    assert [e.details["deltas"] for e in corr] == [{"a": 0, "b": -400}]


def test_a_new_county_row_is_not_a_batch():
    before = race(counties=[county("x", {"a": 1})])
    after = race(counties=[county("x", {"a": 1}), county("y", {"a": 9_000})])
    assert "county_batch" not in _kinds(_one(after, prev=before))


def test_one_vote_correction_on_a_statewide_only_feed_is_reported():
    res = _one(race({"a": 499, "b": 400}), prev=race({"a": 500, "b": 400}))
    corr = [e for e in res.events if e.kind is EventKind.CORRECTION]
    assert [(e.details["unit"], e.details["deltas"], e.key) for e in corr] == [
        ("AL", {"a": -1, "b": 0}, "t/AL-1/correction/AL/899")
    ]
    assert "correction" not in _kinds(_one(race({"a": 501, "b": 400}), prev=race({"a": 500, "b": 400})))


# --- counties complete ----------------------------------------------------------------------------


@pytest.mark.parametrize("reporting, complete", [(9, False), (10, True)])
def test_county_complete_at_its_last_precinct(reporting, complete):
    res = _one(race(counties=[county("x", {"a": 5}, reporting=reporting, total=10, name="Jefferson")]))
    got = [e for e in res.events if e.kind is EventKind.COUNTY_COMPLETE]
    assert bool(got) is complete
    if complete:
        assert (got[0].details["unit"], got[0].details["unit_id"], got[0].details["votes"], got[0].key) == (
            "Jefferson",
            "x",
            {"a": 5},
            "t/AL-1/county_complete/x",
        )
        assert res.memory.counties_complete == ("x",)


def test_a_complete_county_with_no_votes_waits():
    res = _one(race(counties=[county("x", {}), county("y", {"a": 5})]))
    assert [e.details["unit_id"] for e in res.events if e.kind is EventKind.COUNTY_COMPLETE] == ["y"]


def test_a_county_completing_in_a_batch_states_its_swing_once():
    before = race(counties=[county("x", {"a": 1}, reporting=1, total=2)])
    after = race(counties=[county("x", {"a": 6_001}, reporting=2, total=2)])
    res = _one(after, prev=before)
    assert [e.kind.value for e in res.events if e.kind in (EventKind.COUNTY_BATCH, EventKind.COUNTY_COMPLETE)] == [
        "county_batch",
        "county_complete",
    ]


# --- memory ---------------------------------------------------------------------------------------


def test_memory_round_trips_and_ignores_unknown_keys():
    _, mem = run([race({"a": 600, "b": 500, "w": 101}, reporting=100, winners=("a",))])
    data = mem.to_dict()
    assert RaceMemory.from_dict(data) == mem
    assert RaceMemory.from_dict({**data, "someday": 1}) == mem
    assert RaceMemory.from_dict(None) == RaceMemory() and RaceMemory.from_dict({}) == RaceMemory()
    back = RaceMemory.from_dict({"winners": ["a"], "milestones": [25], "runoff": [], "counties_complete": ["x"]})
    assert (back.winners, back.milestones, back.runoff, back.counties_complete) == (("a",), (25,), (), ("x",))


def test_a_recount_rule_reads_its_statute_defaults():
    rule = RecountRule("AL", Fraction(1, 200), "Ala. Code § 17-16-20")
    assert rule.general_only and rule.waivable and rule.note == ""
    defaults = RuleSettings()
    assert defaults.recount_min_reporting == Fraction(1, 2) and defaults.lead_min_reporting == 0
    assert (defaults.lead_hold_polls, defaults.lead_vote_floor, defaults.county_batch_min_votes) == (2, 1_000, 5_000)
    assert defaults.milestones == (25, 50, 75, 90) and dict(defaults.recount_rules) == {}


# --- statewide-only feeds and odd histories -------------------------------------------------------


def test_a_candidate_vanishing_from_a_statewide_only_feed_is_a_correction():
    res = _one(race({"a": 500}), prev=race({"a": 500, "b": 400}))
    corr = [e for e in res.events if e.kind is EventKind.CORRECTION]
    assert [e.details["deltas"] for e in corr] == [{"a": 0, "b": -400}]


def test_a_new_candidate_beside_a_correction_counts_from_zero():
    res = _one(race({"a": 499, "w": 7}), prev=race({"a": 500}))
    corr = [e for e in res.events if e.kind is EventKind.CORRECTION]
    assert [e.details["deltas"] for e in corr] == [{"a": -1, "w": 7}]


def test_a_state_row_appearing_or_going_is_no_correction():
    rowless = Race("AL", "1", "U.S. Senate", race({}).candidates, ())
    assert "correction" not in _kinds(_one(race({"a": 5}), prev=rowless))
    assert "correction" not in _kinds(_one(rowless, prev=race({"a": 5})))


def test_a_withdrawn_call_for_a_candidate_no_longer_listed_names_the_id():
    cands = (Candidate("a", "Ann Able", "Dem"), Candidate("b", "Bob Baker", "GOP"), Candidate("c", "Cy Cole"))
    called = race({"a": 40, "b": 35, "c": 25}, candidates=cands, winners=("c",))
    gone = race({"a": 40, "b": 35}, candidates=cands[:2])
    events, _ = run([called, gone])
    un = _of(events, EventKind.RACE_UNCALLED)
    assert un[0].details["names"] == {"c": "c"}
    assert event_line(un[0], None) == "CALL WITHDRAWN: the feed no longer calls this race for c"


def test_memory_reads_lists_back_as_tuples():
    back = RaceMemory.from_dict({"runoff_pair": ["a", "b"], "winners": ["b"]})
    assert back.runoff_pair == ("a", "b") and back.winners == ("b",)


def test_all_reporting_needs_a_precinct_count_not_a_missing_one():
    assert "all_reporting" not in _kinds(_one(race({"a": 5}, reporting=None, total=1)))


def test_a_new_county_row_does_not_hide_a_batch_behind_it():
    before = race(counties=[county("x", {"a": 1_000})])
    after = race(counties=[county("y", {"a": 1}), county("x", {"a": 6_000})])
    assert [e.details["unit_id"] for e in _one(after, prev=before).events if e.kind is EventKind.COUNTY_BATCH] == ["x"]


def test_a_correction_does_not_hide_a_batch_in_the_next_county():
    before = race(counties=[county("x", {"a": 500}), county("y", {"a": 1_000})])
    after = race(counties=[county("x", {"a": 499}), county("y", {"a": 6_000})])
    kinds = [
        (e.kind.value, e.details["unit"])
        for e in _one(after, prev=before).events
        if e.kind in (EventKind.CORRECTION, EventKind.COUNTY_BATCH)
    ]
    assert kinds == [("correction", "X"), ("county_batch", "Y")]


def test_a_feed_that_starts_sending_counties_is_compared_county_by_county_from_then_on():
    # the previous poll had the state row only: there is no county to compare with yet
    res = _one(race(counties=[county("x", {"a": 499})]), prev=race({"a": 500}))
    assert "correction" not in _kinds(res)


# --- polls that count toward a new lead -------------------------------------------------------------


def test_the_first_evaluation_of_a_race_is_a_poll_with_new_numbers():
    mem = RaceMemory(had_votes=True, announced_leader="a", pending_leader="b", pending_polls=1)
    res = evaluate("t", None, race({"a": 100, "b": 101}), mem, SETTINGS, AT)
    assert [e.details["leader"] for e in res.events if e.kind is EventKind.LEAD_CHANGE] == ["b"]


def test_the_same_numbers_rebuilt_are_not_a_new_poll():
    mem = RaceMemory(had_votes=True, announced_leader="a", pending_leader="b", pending_polls=1)
    res = evaluate("t", race({"a": 100, "b": 101}), race({"a": 100, "b": 101}), mem, SETTINGS, AT)
    assert "lead_change" not in _kinds(res) and res.memory.pending_polls == 1


def test_a_different_challenger_starts_its_count_at_one():
    cands = (Candidate("a", "A"), Candidate("b", "B"), Candidate("c", "C"))
    seq = [
        race({"a": 100, "b": 90, "c": 0}, candidates=cands),
        race({"a": 100, "b": 101, "c": 0}, candidates=cands),
        race({"a": 100, "b": 101, "c": 102}, candidates=cands),
    ]
    events, mem = run(seq)
    assert _of(events, EventKind.LEAD_CHANGE) == [] and (mem.pending_leader, mem.pending_polls) == ("c", 1)


def test_a_lead_held_for_three_polls_when_three_are_asked():
    settings = replace(SETTINGS, lead_hold_polls=3)
    seq = [race({"a": 100, "b": 90}), race({"a": 100, "b": 101}), race({"a": 100, "b": 102}), race({"a": 100, "b": 103})]
    events, _ = run(seq, settings=settings)
    assert [i for i, e in events if e.kind is EventKind.LEAD_CHANGE] == [3]


def test_one_vote_left_and_a_two_vote_lead_is_out_of_reach():
    # 99 counted at 99 % of the expected vote: 99 ÷ 0.99 − 99 = 1 vote left
    res = _one(race({"a": 50, "b": 48, "w": 1}, reporting=None, total=None, eevp=99.0))
    got = [e for e in res.events if e.kind is EventKind.OUT_OF_REACH]
    assert [(e.details["outstanding"], e.details["lead_votes"]) for e in got] == [(1, 2)]


def test_a_single_write_in_vote_against_no_lead_exceeds_it():
    res = _one(race({"w": 1}))
    assert [e.details for e in res.events if e.kind is EventKind.WRITE_INS_EXCEED_MARGIN] == [
        {"unresolved_votes": 1, "lead_votes": 0}
    ]


def test_the_evaluation_facts_carry_the_rule_and_the_time():
    facts = _one(race({"a": 600, "b": 400})).facts
    assert (facts.recount_threshold, facts.recount_citation, facts.updated_at) == (
        "1/200",
        "Ala. Code § 17-16-20",
        AT.isoformat(),
    )
    assert facts.total_votes == 1_000 and facts.leader_id == "a"


def test_events_name_their_feed_and_race():
    e = _one(race({"a": 5})).events[0]
    assert (e.feed, e.race_key, e.key) == ("t", "AL-1", "t/AL-1/first_votes")


def test_a_state_row_appearing_is_a_poll_with_new_numbers():
    mem = RaceMemory(had_votes=True, announced_leader="a", pending_leader="b", pending_polls=1)
    rowless = Race("AL", "1", "U.S. Senate", race({}).candidates, ())
    res = evaluate("t", rowless, race({"a": 100, "b": 101}), mem, SETTINGS, AT)
    assert [e.details["leader"] for e in res.events if e.kind is EventKind.LEAD_CHANGE] == ["b"]


def test_a_county_feeds_share_of_a_wider_race_has_no_recount_line():
    assert applicable_recount_rule(race({"a": 1}, county="Jefferson"), SETTINGS) is None  # U.S. Senate: the state's race
    local = replace(race({"a": 1}, county="Jefferson"), office="County Commission District 2")
    assert applicable_recount_rule(local, SETTINGS).citation == "Ala. Code § 17-16-20"
    assert applicable_recount_rule(replace(local, office_id="S"), SETTINGS) is None  # AP's office id says Senate


def test_a_memory_with_nothing_in_it_is_stored_as_an_empty_object_and_one_field_set_stores_every_field():
    assert is_blank(NO_MEMORY) and is_blank(RaceMemory())  # the shared one, and an equal one
    assert NO_MEMORY.to_dict() == RaceMemory().to_dict() == {}
    for one_set in (
        RaceMemory(had_votes=True),
        RaceMemory(calls=1),
        RaceMemory(runoff_silenced=True),
        RaceMemory(milestones=(25,)),
    ):
        assert not is_blank(one_set)
        data = one_set.to_dict()
        assert len(data) == len(fields(RaceMemory))
        assert RaceMemory.from_dict(data) == one_set
    assert RaceMemory.from_dict({}) is NO_MEMORY
    assert RaceMemory.from_dict(None) is NO_MEMORY
    assert RaceMemory.from_dict({"calls": 0}) == NO_MEMORY
