"""Each rule at its edges: the inclusive recount line, ties, zero votes, seats, primaries,
calls and runoffs, hysteresis, milestones, corrections, the TEST stamp and race filters."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from bot.app.poller import RaceFilter
from bot.app.settings import load_recount_rules
from bot.core.events import EventKind, Severity, coalesce
from bot.core.margins import hurdle, recount_line, standing, votes_outstanding
from bot.core.model import Candidate, Level, Race, ReportingUnit
from bot.core.rules import RaceMemory, RuleSettings, applicable_recount_rule, evaluate
from bot.render.text import alert_text, event_line
from tests.unit.core.helpers import AT, SETTINGS, county, kinds, race, run


def _one(r: Race, mem: RaceMemory | None = None, prev: Race | None = None, settings: RuleSettings = SETTINGS):
    return evaluate("t", prev, r, mem or RaceMemory(), settings, AT)


def _kinds(result) -> set[str]:
    return {e.kind.value for e in result.events}


# --- the recount line ---------------------------------------------------------------------


def test_exactly_half_a_percent_is_inside():
    # 1,000 of 200,000 votes (write-ins count in the denominator) is 0.5 % on the nose
    r = race({"a": 99_000, "b": 98_000, "w": 3_000})
    pos = recount_line(1_000, 200_000, Fraction(1, 200))
    assert pos.inside and pos.line_votes == 1_000 and pos.votes_to_line == 1
    res = _one(r)
    entered = [e for e in res.events if e.kind is EventKind.RECOUNT_ENTERED]
    assert len(entered) == 1 and entered[0].details["votes_to_line"] == 1 and entered[0].details["leader"] == "a"
    assert res.memory.in_recount_zone


def test_one_vote_beyond_is_outside():
    r = race({"a": 99_001, "b": 97_999, "w": 3_000})  # lead 1,002 of 200,000 → outside by 2
    assert not recount_line(1_002, 200_000, Fraction(1, 200)).inside
    assert not recount_line(1_001, 200_000, Fraction(1, 200)).inside
    assert recount_line(1_001, 200_000, Fraction(1, 200)).votes_to_line == 1
    assert "recount_entered" not in _kinds(_one(r))


def test_leaving_the_zone_counts_votes_from_the_line():
    inside = race({"a": 99_000, "b": 98_000, "w": 3_000})
    outside = race({"a": 99_500, "b": 98_000, "w": 3_000})  # lead 1,500 of 200,500: line 1,002.5
    events, mem = run([inside, outside])
    left = [e for _, e in events if e.kind is EventKind.RECOUNT_LEFT]
    assert len(left) == 1 and left[0].details["votes_to_line"] == 1_500 - 1_002
    assert not mem.in_recount_zone and mem.recount_passes == 1
    again, _ = run([inside], memory=mem)
    assert [e.key for _, e in again if e.kind is EventKind.RECOUNT_ENTERED] == ["t/AL-1/recount_entered/2"]


def test_tie_has_no_leader_and_is_inside():
    r = race({"a": 500, "b": 500, "w": 0})
    st = standing(r)
    assert st.leader is None and st.tied and st.lead_votes == 0
    res = _one(r)
    assert "recount_entered" in _kinds(res) and "takes_lead" not in _kinds(res)
    assert "Tied at 500 votes each" in alert_text(coalesce(res.events, res.facts, AT.isoformat(), False))


def test_tie_with_write_ins_exceeds_the_margin():
    res = _one(race({"a": 500, "b": 500, "w": 1}))
    assert "write_ins_exceed_margin" in _kinds(res)


def test_no_recount_alert_before_half_the_count():
    early = race({"a": 1_000, "b": 999}, reporting=49, total=100)
    assert "recount_entered" not in _kinds(_one(early))
    half = race({"a": 1_000, "b": 999}, reporting=50, total=100)
    assert "recount_entered" in _kinds(_one(half))


def test_zero_votes_is_quiet():
    r = race({}, reporting=0)
    st = standing(r)
    assert st.total_votes == 0 and st.leader is None and not st.tied
    assert _one(r).events == []
    assert votes_outstanding(r) is None  # no precinct in: nothing honest to say


def test_two_seats_no_recount_rule():
    r = race({"a": 1_000, "b": 1_000}, seats=2)
    assert applicable_recount_rule(r, SETTINGS) is None
    assert not {"recount_entered", "recount_left"} & _kinds(_one(r))
    called = _one(replace(r, winners=("a", "b")))
    ev = [e for e in called.events if e.kind is EventKind.RACE_CALLED]
    assert ev[0].details["winners"] == ["a", "b"]


def test_primaries_are_not_in_the_alabama_rule_but_are_in_florida():
    rules = load_recount_rules()
    assert rules["AL"].threshold == Fraction(1, 200) and rules["AL"].general_only and rules["AL"].waivable
    assert "17-16-20" in rules["AL"].citation
    assert all(rule.citation.strip() for rule in rules.values())  # every shipped state cites its statute
    settings = RuleSettings(recount_rules=rules)
    primary = race({"a": 1_000, "b": 1_000}, general=False, race_type="Primary")
    assert applicable_recount_rule(primary, settings) is None
    assert "recount_entered" not in _kinds(_one(primary, settings=settings))
    fl = race({"a": 1_000, "b": 1_000}, general=False, state="FL")
    assert applicable_recount_rule(fl, settings) is not None
    assert "recount_entered" in _kinds(_one(fl, settings=settings))
    assert applicable_recount_rule(race({"a": 1}, state="GA"), settings) is None  # not listed: nothing said


def test_candidate_with_no_votes_in_a_county():
    rows = [county("x", {"a": 10, "b": 5}), county("y", {"a": 3}), county("z", {}, reporting=0)]
    r = race(counties=rows)
    assert standing(r, r.unit("y")).candidates[1].votes == 0
    more = race(counties=[county("x", {"a": 10, "b": 5}), county("y", {"a": 3, "b": 6_000}), county("z", {}, reporting=0)])
    res = _one(more, prev=r)
    batch = [e for e in res.events if e.kind is EventKind.COUNTY_BATCH]
    assert batch[0].details["deltas"] == {"a": 0, "b": 6_000} and batch[0].details["added"] == 6_000


# --- leader and hysteresis ----------------------------------------------------------------


def test_lead_change_held_for_polls():
    a_leads = race({"a": 100, "b": 90})
    b_by_5 = race({"a": 100, "b": 105})
    b_by_6 = race({"a": 100, "b": 106})
    events, mem = run([a_leads, b_by_5])
    assert [k for k in kinds(events) if k[1] in ("first_votes", "takes_lead", "lead_change")] == [
        (0, "first_votes"),
        (0, "takes_lead"),
    ]
    assert mem.pending_leader == "b" and mem.pending_polls == 1
    # the same numbers again (another race moved) are not a second poll of the new lead
    again = _one(b_by_5, mem, prev=b_by_5)
    assert again.events == [] and again.memory == mem
    held = _one(b_by_6, mem, prev=b_by_5)
    assert [(e.kind.value, e.details["leader"], e.details["previous_leader"]) for e in held.events] == [
        ("lead_change", "b", "a")
    ]
    assert held.memory.announced_leader == "b" and held.memory.lead_changes == 1


def test_flapping_lead_is_not_announced():
    seq = [
        race({"a": 100, "b": 90}),
        race({"a": 100, "b": 105}),
        race({"a": 110, "b": 105}),
        race({"a": 110, "b": 115}),
        race({"a": 120, "b": 115}),
    ]
    events, mem = run(seq)
    assert "lead_change" not in {k for _, k in kinds(events)} and mem.announced_leader == "a"


def test_lead_change_vote_floor_is_immediate():
    events, _ = run([race({"a": 10_000, "b": 9_000}), race({"a": 10_000, "b": 11_000})])
    assert (1, "lead_change") in kinds(events)
    events, _ = run([race({"a": 10_000, "b": 9_000}), race({"a": 10_000, "b": 10_999})])
    assert (1, "lead_change") not in kinds(events)


def test_tie_resets_a_pending_lead():
    seq = [race({"a": 100, "b": 90}), race({"a": 100, "b": 105}), race({"a": 105, "b": 105}), race({"a": 105, "b": 110})]
    events, mem = run(seq)
    assert "lead_change" not in {k for _, k in kinds(events)} and mem.pending_polls == 1


# --- calls and statuses ---------------------------------------------------------------------


def test_call_uncall_and_recall_have_distinct_keys():
    base = race({"a": 100, "b": 90})
    events, mem = run([base, replace(base, winners=("a",)), base, replace(base, winners=("a",))])
    keys = [e.key for _, e in events if e.kind in (EventKind.RACE_CALLED, EventKind.RACE_UNCALLED)]
    assert keys == ["t/AL-1/race_called/1", "t/AL-1/race_uncalled/2", "t/AL-1/race_called/3"]
    un = next(e for _, e in events if e.kind is EventKind.RACE_UNCALLED)
    assert un.details["previous_winners"] == ["a"] and un.severity is Severity.CALL


def test_runoff_with_two_r_flags_and_its_withdrawal():
    cands = (Candidate("a", "Ann Able"), Candidate("b", "Bob Baker"), Candidate("c", "Cy Cole"))
    base = race({"a": 40, "b": 35, "c": 25}, candidates=cands, general=False)
    events, mem = run([base, replace(base, runoff=("b", "a")), base, replace(base, runoff=("a", "b"))])
    runoffs = [e for _, e in events if e.kind is EventKind.RUNOFF]
    assert [e.details["candidates"] for e in runoffs] == [["a", "b"], ["a", "b"]]
    assert len({e.key for e in runoffs}) == 2
    un = [e for _, e in events if e.kind is EventKind.RACE_UNCALLED]
    assert len(un) == 1 and un[0].details["previous_runoff"] == ["a", "b"]
    assert event_line(un[0], None) == "CALL WITHDRAWN: the feed no longer calls this race for Ann Able, Bob Baker"


def test_status_changes_including_a_second_time():
    base = race({"a": 100, "b": 90})
    seq = [
        base,
        replace(base, race_call_status="Too Close to Call"),
        replace(base, race_call_status=None),
        replace(base, race_call_status="Too Close to Call"),
        replace(base, tabulation_status="Tabulation Paused"),
        replace(base, tabulation_status="Vote Certified"),
        replace(base, race_call_status="Called", winners=("a",)),
    ]
    events, _ = run(seq)
    st = [(i, e.details["status"]) for i, e in events if e.kind is EventKind.STATUS_CHANGED]
    assert st == [(1, "Too Close to Call"), (3, "Too Close to Call"), (4, "Tabulation Paused"), (5, "Vote Certified")]
    keys = [e.key for _, e in events if e.kind is EventKind.STATUS_CHANGED]
    assert len(keys) == len(set(keys))


def test_out_of_reach_is_never_a_call():
    r = race({"a": 900, "b": 100}, reporting=90, total=100)  # ~111 votes left, lead 800
    res = _one(r)
    assert "out_of_reach" in _kinds(res) and "race_called" not in _kinds(res)
    assert res.memory.winners == ()
    assert "not a call" in event_line(next(e for e in res.events if e.kind is EventKind.OUT_OF_REACH), res.facts)


# --- reporting ------------------------------------------------------------------------------


def test_milestones_jump_gives_one_75():
    events, mem = run([race({"a": 20, "b": 10}, reporting=20), race({"a": 80, "b": 40}, reporting=80)])
    ms = [(i, e.details["percent"]) for i, e in events if e.kind is EventKind.MILESTONE]
    assert ms == [(1, 75)] and mem.milestones == (25, 50, 75)


def test_all_precincts_follows_precincts_not_eevp():
    r = race({"a": 80, "b": 40}, reporting=99, total=100, eevp=100.0)
    assert votes_outstanding(r) == 0
    assert "all_reporting" not in _kinds(_one(r))
    assert "all_reporting" in _kinds(_one(race({"a": 80, "b": 40}, reporting=100, total=100, eevp=98.0)))
    only_eevp = race({"a": 80, "b": 40}, reporting=None, total=None, eevp=100.0)
    res = _one(only_eevp)
    done = next(e for e in res.events if e.kind is EventKind.ALL_REPORTING)
    assert event_line(done, res.facts) == "All expected votes counted"


def test_county_complete_once():
    partial = race(counties=[county("x", {"a": 5}, reporting=1, total=2)])
    full = race(counties=[county("x", {"a": 9}, reporting=2, total=2)])
    events, mem = run([partial, full, full])
    assert kinds(events).count((1, "county_complete")) == 1 and mem.counties_complete == ("x",)


def test_votes_going_down_is_a_correction():
    before = race(counties=[county("x", {"a": 500, "b": 400}, name="Jefferson")])
    after = race(counties=[county("x", {"a": 450, "b": 400}, name="Jefferson")])
    res = _one(after, prev=before)
    corr = [e for e in res.events if e.kind is EventKind.CORRECTION]
    assert len(corr) == 1 and corr[0].details["deltas"] == {"a": -50, "b": 0}
    assert event_line(corr[0], res.facts) == "Correction in Jefferson: Able −50"
    # a statewide-only feed reports it too
    res = _one(race({"a": 450, "b": 400}), prev=race({"a": 500, "b": 400}))
    assert [e.details["deltas"]["a"] for e in res.events if e.kind is EventKind.CORRECTION] == [-50]


# --- margin math ----------------------------------------------------------------------------


def test_outstanding_from_eevp_and_precincts():
    assert votes_outstanding(race({"a": 600, "b": 400}, eevp=50.0)) == 1_000
    assert votes_outstanding(race({"a": 600, "b": 400}, eevp=0.0)) is None
    rows = [
        county("x", {"a": 100}, reporting=1, total=3),
        county("y", {}, reporting=0, total=2),
        county("z", {"b": 50}, reporting=1, total=1),
    ]
    # x: 100/precinct × 2 = 200; y borrows the state rate 150/2 × 2 = 150; z is in
    assert votes_outstanding(race(counties=rows)) == 350
    # precinct rows under counties are not counted twice
    r = race(counties=rows)
    r = replace(r, units=r.units + (ReportingUnit("p", Level.PRECINCT, "P", {"a": 1}, None, 0, 5),))
    assert votes_outstanding(r) == 350


def test_hurdle_with_third_party_votes():
    # 1,000 counted: a 500, b 400, w 100 (10 %); 1,000 left
    st = standing(race({"a": 500, "b": 400, "w": 100}))
    h = hurdle(st, 1_000)
    assert h.share == Fraction(100 + 900, 2_000) and not h.out_of_reach
    # lead 950 > (1 − r)·O: the leader would need a negative share; the trailer needs 95 %
    st = standing(race({"a": 1_000, "b": 50, "w": 200}))
    h = hurdle(st, 1_000)
    assert h.share == Fraction(950, 1_000) and not h.out_of_reach
    h = hurdle(st, 900)
    assert h.share > 1 and h.out_of_reach


# --- rendering and filters ------------------------------------------------------------------


def test_test_stamp_first():
    r = race({"a": 100, "b": 90}, test=True)
    res = _one(r)
    alert = coalesce(res.events, res.facts, AT.isoformat(), r.test)
    assert alert_text(alert).startswith("TEST — ")
    live = _one(race({"a": 100, "b": 90}))
    assert not alert_text(coalesce(live.events, live.facts, AT.isoformat(), False)).startswith("TEST")
    # the flag on the race alone is enough
    assert alert_text(replace(alert, test=False)).split()[0] == "TEST"


def test_coalesce_orders_and_filters_by_level():
    res = _one(race({"a": 100, "b": 90}, reporting=80, winners=("a",)))
    alert = coalesce(res.events, res.facts, AT.isoformat(), False)
    assert alert.events[0].kind is EventKind.RACE_CALLED
    assert [e.severity for e in alert.events] == sorted((e.severity for e in alert.events), reverse=True)
    assert [e.kind for e in alert.at_least(Severity.LEAD).events] == [EventKind.RACE_CALLED, EventKind.TAKES_LEAD]
    assert alert.at_least(Severity.CALL + 1) is None


@pytest.mark.parametrize(
    "follow, wanted",
    [
        ((), True),
        (("AL",), True),
        (("al",), True),
        (("AL-1",), True),
        (("al-1",), True),
        (("FL",), False),
        (("office:S",), True),
        (("office:h",), False),
        (("national",), False),
        ((" AL-2 ", "national", "AL"), True),
    ],
)
def test_race_filter_forms(follow, wanted):
    r = race({"a": 1}, office_id="S")
    assert RaceFilter(follow).wants(r) is wanted
    assert RaceFilter(("national",)).wants(replace(r, national=True))


def test_facts_state_the_snapshot_time_in_its_own_zone():
    """The time a race's facts state is written once per poll (a cache): the same instant given in
    another zone is another text, and each must come back as given."""
    from datetime import timedelta, timezone

    from bot.core.rules import race_facts

    eastern = AT.astimezone(timezone(timedelta(hours=-5)))
    assert eastern == AT  # one instant: the cache must not take them for one text
    r = race({"a": 60, "b": 40})
    assert race_facts(r, SETTINGS, AT).updated_at == "2024-11-05T23:00:00+00:00"
    assert race_facts(r, SETTINGS, eastern).updated_at == "2024-11-05T18:00:00-05:00"
    assert race_facts(r, SETTINGS, AT).updated_at == "2024-11-05T23:00:00+00:00"
