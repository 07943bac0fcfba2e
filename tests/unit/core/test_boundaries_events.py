"""The event model exactly: what an event and an alert carry, how they round-trip through the
store's JSON, how a poll's events are ordered (most important first, then the reader's order)
and filtered by a channel's level. Expected values are literals, not re-derived by the code.
"""

from __future__ import annotations

from fractions import Fraction

from bot.core.events import SEVERITY, Alert, CandidateFacts, Event, EventKind, RaceFacts, Severity, coalesce, facts_of
from bot.core.margins import standing
from bot.core.model import Candidate
from tests.unit.core.helpers import AT, race

FACTS = RaceFacts(
    race_key="AL-1",
    state="AL",
    office="U.S. Senate",
    seat=None,
    test=False,
    candidates=(
        CandidateFacts("a", "Ann Able", "Dem", 600),
        CandidateFacts("b", "Bob Baker", "GOP", 400, winner=True),
        CandidateFacts("w", "Write-ins", None, 10, pseudo=True),
    ),
    total_votes=1_010,
    leader_id="a",
    runner_up_id="b",
    lead_votes=200,
    precincts_reporting=3,
    precincts_total=4,
    expected_vote_pct=None,
    outstanding=250,
    call_status="none",
    race_call_status=None,
    recount_threshold="1/200",
    recount_citation="Ala. Code § 17-16-20",
    updated_at="2024-11-05T23:00:00+00:00",
)


def ev(kind: EventKind, key: str = "k", **details: object) -> Event:
    return Event(kind, key, "feed", "AL-1", details)


# --- facts ----------------------------------------------------------------------------------------


def test_facts_of_a_race_state_every_number():
    r = race({"a": 600, "b": 400, "w": 10}, reporting=3, total=4, winners=("b",), race_call_status="Called", seat="Class 2")
    facts = facts_of(standing(r), r, 250, Fraction(1, 200), "Ala. Code § 17-16-20", AT)
    assert facts == RaceFacts(
        race_key="AL-1",
        state="AL",
        office="U.S. Senate",
        seat="Class 2",
        test=False,
        candidates=(
            CandidateFacts("a", "Ann Able", "Dem", 600),
            CandidateFacts("b", "Bob Baker", "GOP", 400, winner=True),
            CandidateFacts("w", "Write-ins", None, 10, pseudo=True),
        ),
        total_votes=1_010,
        leader_id="a",
        runner_up_id="b",
        lead_votes=200,
        precincts_reporting=3,
        precincts_total=4,
        expected_vote_pct=None,
        outstanding=250,
        call_status="called",
        race_call_status="Called",
        recount_threshold="1/200",
        recount_citation="Ala. Code § 17-16-20",
        updated_at="2024-11-05T23:00:00+00:00",
    )


def test_facts_without_a_rule_a_leader_or_a_time():
    r = race({"a": 5, "b": 5}, eevp=60.0, test=True)
    facts = facts_of(standing(r), r, None, None, None, None)
    assert (facts.leader_id, facts.runner_up_id, facts.lead_votes, facts.test) == (None, None, 0, True)
    assert (facts.recount_threshold, facts.recount_citation, facts.updated_at, facts.outstanding) == (None, None, None, None)
    assert facts.expected_vote_pct == 60.0 and facts.threshold is None and facts.leader is None and facts.runner_up is None


def test_facts_threshold_is_exact():
    r = race({"a": 5, "b": 4})
    assert facts_of(standing(r), r, None, Fraction(1, 400), "x", None).recount_threshold == "1/400"
    assert FACTS.threshold == Fraction(1, 200)


def test_facts_share_and_candidate_lookup():
    assert FACTS.share(101) == Fraction(1, 10) and FACTS.share(0) == 0
    zero = RaceFacts.from_dict({**FACTS.to_dict(), "total_votes": 0})
    assert zero.share(5) == 0
    assert FACTS.leader.name == "Ann Able" and FACTS.runner_up.name == "Bob Baker"
    assert FACTS.candidate("w").pseudo and FACTS.candidate("zz") is None and FACTS.candidate(None) is None


def test_facts_round_trip_through_json_shapes():
    data = FACTS.to_dict()
    assert data["candidates"][1] == {
        "id": "b",
        "name": "Bob Baker",
        "party": "GOP",
        "votes": 400,
        "pseudo": False,
        "winner": True,
    }
    assert data["recount_threshold"] == "1/200" and data["outstanding"] == 250
    assert RaceFacts.from_dict(data) == FACTS


# --- events and alerts round-trip ---------------------------------------------------------------


def test_event_round_trip_and_its_dict():
    e = Event(EventKind.RECOUNT_ENTERED, "t/AL-1/recount_entered/1", "t", "AL-1", {"votes_to_line": 1})
    assert e.to_dict() == {
        "kind": "recount_entered",
        "key": "t/AL-1/recount_entered/1",
        "feed": "t",
        "race_key": "AL-1",
        "details": {"votes_to_line": 1},
    }
    assert Event.from_dict(e.to_dict()) == e
    assert e.severity is Severity.RECOUNT


def test_event_from_a_minimal_dict():
    e = Event.from_dict({"kind": "feed_stale", "key": "k", "feed": "f"})
    assert (e.kind, e.key, e.feed, e.race_key, dict(e.details)) == (EventKind.FEED_STALE, "k", "f", None, {})
    e = Event.from_dict({"kind": "feed_stale", "key": "k", "feed": "f", "details": None, "race_key": "AL-1"})
    assert dict(e.details) == {} and e.race_key == "AL-1"


def test_alert_round_trip_and_its_dict():
    alert = Alert("t", "AL-1", "2024-11-05T23:00:00+00:00", True, (ev(EventKind.TAKES_LEAD, leader="a"),), FACTS)
    data = alert.to_dict()
    assert (
        data["feed"] == "t"
        and data["race_key"] == "AL-1"
        and data["at"] == "2024-11-05T23:00:00+00:00"
        and data["test"] is True
    )
    assert data["events"] == [
        {"kind": "takes_lead", "key": "k", "feed": "feed", "race_key": "AL-1", "details": {"leader": "a"}}
    ]
    assert data["facts"] == FACTS.to_dict()
    assert Alert.from_dict(data) == alert


def test_alert_from_a_minimal_dict():
    alert = Alert.from_dict({"feed": "t", "at": "x", "events": [{"kind": "feed_failing", "key": "k", "feed": "t"}]})
    assert (alert.race_key, alert.test, alert.facts) == (None, False, None)
    assert Alert.from_dict({"feed": "t", "at": "x", "events": [], "facts": None, "test": 1}).test is True
    assert Alert("t", None, "x", False, (), None).to_dict()["facts"] is None


def test_alert_key_is_the_feed_race_and_a_digest_of_its_event_keys():
    one = Alert("t", "AL-1", "x", False, (ev(EventKind.MILESTONE, "k1"),), None)
    same = Alert("t", "AL-1", "y", True, (ev(EventKind.MILESTONE, "k1"),), FACTS)
    other = Alert("t", "AL-1", "x", False, (ev(EventKind.MILESTONE, "k2"),), None)
    assert one.key == same.key != other.key
    assert one.key.startswith("t/AL-1/") and len(one.key) == len("t/AL-1/") + 20
    assert Alert("t", None, "x", False, (ev(EventKind.FEED_STALE),), None).key.startswith("t/-/")


# --- severity, order and filters ----------------------------------------------------------------


def test_every_kind_has_a_severity():
    assert set(SEVERITY) == set(EventKind)
    assert [
        SEVERITY[k]
        for k in (
            EventKind.RACE_CALLED,
            EventKind.LEAD_CHANGE,
            EventKind.RECOUNT_ENTERED,
            EventKind.MILESTONE,
            EventKind.COUNTY_BATCH,
            EventKind.FEED_STALE,
        )
    ] == [90, 70, 50, 30, 20, 10]


def test_coalesce_orders_by_severity_then_the_readers_order():
    events = [
        ev(EventKind.COUNTY_BATCH, "1"),
        ev(EventKind.MILESTONE, "2"),
        ev(EventKind.FIRST_VOTES, "3"),
        ev(EventKind.RECOUNT_ENTERED, "4"),
        ev(EventKind.TAKES_LEAD, "5"),
        ev(EventKind.ALL_REPORTING, "6"),
        ev(EventKind.RACE_CALLED, "7"),
        ev(EventKind.WRITE_INS_EXCEED_MARGIN, "8"),
    ]
    alert = coalesce(events, FACTS, "2024-11-05T23:00:00+00:00", True)
    assert [e.key for e in alert.events] == ["7", "5", "4", "8", "6", "3", "2", "1"]
    assert (alert.feed, alert.race_key, alert.at, alert.test, alert.facts) == (
        "feed",
        "AL-1",
        "2024-11-05T23:00:00+00:00",
        True,
        FACTS,
    )
    assert alert.severity is Severity.CALL


def test_coalesce_of_nothing_is_no_alert():
    assert coalesce([], FACTS, "x", False) is None


def test_at_least_keeps_events_at_the_level_and_above():
    alert = coalesce(
        [ev(EventKind.MILESTONE, "m"), ev(EventKind.RECOUNT_ENTERED, "r"), ev(EventKind.COUNTY_BATCH, "c")], FACTS, "x", True
    )
    kept = alert.at_least(Severity.RECOUNT)
    assert [e.key for e in kept.events] == ["r"] and kept.severity is Severity.RECOUNT
    assert (kept.feed, kept.race_key, kept.at, kept.test, kept.facts) == (alert.feed, alert.race_key, alert.at, True, FACTS)
    assert [e.key for e in alert.at_least(Severity.MILESTONE).events] == ["r", "m"]
    assert [e.key for e in alert.at_least(Severity.COUNTY).events] == ["r", "m", "c"]
    assert alert.at_least(Severity.RECOUNT + 1) is None


def test_candidate_facts_defaults():
    c = CandidateFacts("a", "A", None, 0)
    assert not c.pseudo and not c.winner
    assert Candidate("a", "A").pseudo is False


def test_facts_name_a_primarys_party_a_county_feeds_county_and_an_uncontested_race():
    alone = (Candidate("a", "Ann Able", "Dem"), Candidate("w", "Write-ins", None, pseudo=True))
    r = race({"a": 9, "w": 1}, candidates=alone, party="Dem", county="Jefferson", general=False)
    facts = facts_of(standing(r), r, None, None, None, None)
    assert (facts.party, facts.county, facts.uncontested) == ("Dem", "Jefferson", True)
    contested = race({"a": 5, "b": 4})
    assert facts_of(standing(contested), contested, None, None, None, None).uncontested is False
