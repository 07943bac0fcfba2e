"""AP replies → races: keys, rows, calls, test flags and the shapes AP really sends."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.codec.errors import FeedError
from bot.core.model import CallStatus, Level
from bot.feeds.ap import parse_ap, with_json_format

from .samples import ap_bytes, ap_doc


def parse_doc(doc: Any) -> Any:
    return parse_ap(json.dumps(doc).encode(), "ap-test")


def test_full_reply_keys_races_by_state_and_race_id_with_the_state_row_first() -> None:
    reply = parse_ap(ap_bytes("20171212_al_senate_full.json"), "ap-test")
    assert [r.key for r in reply.races] == ["AL-1000", "AL-2001"]
    senate = reply.races[0]
    assert senate.office == "U.S. Senate" and senate.office_id == "S" and senate.national
    assert senate.race_type == "Special General" and senate.general
    state = senate.state_unit
    assert state is not None and senate.units[0] is state
    assert (state.id, state.name, state.precincts_reporting, state.precincts_total) == ("AL", "Alabama", 900, 2220)
    assert dict(state.votes) == {"64985": 300000, "8883": 310000, "100003": 9000}
    assert [(u.name, u.level, u.fips) for u in senate.subunits] == [
        ("Jefferson", Level.COUNTY, "01073"),  # AP's four-digit FIPS, padded
        ("Mobile", Level.COUNTY, "01097"),
        ("Autauga", Level.COUNTY, "01001"),
    ]
    assert reply.nextrequest is not None and "minDateTime=2017-12-13T02%3a00%3a00.000Z" in reply.nextrequest
    assert not reply.is_truncated and not reply.test
    assert reply.timestamp == datetime(2017, 12, 13, 2, 0, tzinfo=UTC)
    assert reply.election_date == date(2017, 12, 12)


def test_candidates_are_named_first_last_with_write_ins_as_pseudo() -> None:
    senate = parse_ap(ap_bytes("20171212_al_senate_full.json"), "ap-test").races[0]
    assert [(c.id, c.name, c.party, c.pseudo) for c in senate.candidates] == [
        ("64985", "Doug Jones", "Dem", False),
        ("8883", "Roy Moore", "GOP", False),
        ("100003", "Write-ins", "NPD", True),
    ]


def test_v3_status_fields_and_eevp_are_kept_verbatim() -> None:
    senate = parse_ap(ap_bytes("20171212_al_senate_full.json"), "ap-test").races[0]
    assert senate.race_call_status == "Too Early to Call"
    assert senate.tabulation_status == "Active Tabulation"
    assert senate.expected_vote_pct == 41.0
    assert senate.unit("1690") is not None and senate.unit("1690").expected_vote_pct == 60.0  # type: ignore[union-attr]
    assert senate.call_status is CallStatus.NONE and senate.winners == ()


def test_ballot_measure_choices_use_candidate_ids_and_are_not_pseudo() -> None:
    # Yes/No carry AP's generic polIDs (2 and 3) on every measure: candidateID is the only safe id.
    measure = parse_ap(ap_bytes("20171212_al_senate_full.json"), "ap-test").races[1]
    assert [(c.id, c.name, c.pseudo) for c in measure.candidates] == [("7701", "Yes", False), ("7702", "No", False)]
    assert measure.seat == "Jefferson Co. Sales Tax" and measure.race_type == "Ballot Issue"


def test_x_on_the_state_row_is_a_call() -> None:
    reply = parse_ap(ap_bytes("20171212_al_senate_delta2.json"), "ap-test")
    senate = next(r for r in reply.races if r.key == "AL-1000")
    assert senate.call_status is CallStatus.CALLED and senate.winners == ("64985",)
    assert senate.race_call_status == "Called"


def test_two_r_flags_are_a_runoff_and_n_is_not_a_call() -> None:
    race = parse_ap(ap_bytes("20170815_al_senate_gop_primary.json"), "ap-test").races[0]
    assert race.call_status is CallStatus.RUNOFF
    assert race.runoff == ("8883", "67011") and race.winners == ()
    assert race.race_type == "GOP Primary" and not race.general
    assert race.candidate("67011").incumbent  # type: ignore[union-attr]


def test_a_county_row_x_is_not_read_as_a_call() -> None:
    doc = ap_doc("20170815_al_senate_gop_primary.json")
    for entry in doc["races"][0]["reportingUnits"][0]["candidates"]:
        entry.pop("winner", None)  # the state row has no flags; Coffee County still says X
    race = parse_doc(doc).races[0]
    assert race.call_status is CallStatus.NONE and race.winners == () and race.runoff == ()


def test_new_england_subunits_are_towns_with_county_fips() -> None:
    race = parse_ap(ap_bytes("20160301_ma_dem_primary_towns.json"), "ap-test").races[0]
    assert {u.level for u in race.subunits} == {Level.TOWN}
    assert race.unit("22001").fips == "25023"  # type: ignore[union-attr]
    assert race.winners == ("1746",)  # Clinton X; Sanders' "N" is nothing
    assert race.candidate("100005").pseudo and race.candidate("100005").name == "No Preference"  # type: ignore[union-attr]
    assert race.race_type == "Dem Primary" and not race.general


def test_test_data_is_flagged_by_either_test_or_results_type() -> None:
    reply = parse_ap(ap_bytes("20171212_al_senate_test.json"), "ap-test")
    assert reply.test and all(r.test for r in reply.races)


def test_a_reply_with_any_test_race_is_test_data_throughout() -> None:
    """Test data never passes for live: one race saying test makes the reply test data, and a
    race saying live in it is read as test too (never announced as results)."""
    reply = parse_ap(ap_bytes("20171212_al_mixed_test_live.json"), "ap-test")
    assert reply.test and [(r.key, r.test) for r in reply.races] == [("AL-1000", True), ("AL-2001", True)]
    assert reply.left_out == ()


def test_initialization_payload_gives_rosters_without_units() -> None:
    reply = parse_ap(ap_bytes("20171212_al_senate_initialization.json"), "ap-test")
    (race,) = reply.races
    assert race.key == "AL-1000" and race.units == ()
    assert [c.name for c in race.candidates] == ["Doug Jones", "Roy Moore", "Write-ins"]
    assert race.last_updated == datetime(2017, 12, 12, 13, 0, tzinfo=UTC)


def test_v3_districts_two_seats_and_a_national_rollup_row() -> None:
    reply = parse_ap(ap_bytes("20201103_me_president_v3.json"), "ap-test")
    president, house = reply.races
    assert president.key == "ME-0" and not reply.test
    assert [(u.id, u.level) for u in president.units] == [("ME", Level.STATE), ("1", Level.DISTRICT), ("2", Level.DISTRICT)]
    assert president.expected_vote_pct == 97.5 and president.unit("2").expected_vote_pct == 97.0  # type: ignore[union-attr]
    assert president.winners == ("1036",) and president.candidate("8639").incumbent  # type: ignore[union-attr]
    assert house.seats == 2 and house.winners == ("70001", "70002") and house.seat == "District 1"
    assert house.unit("23001").level is Level.TOWN  # type: ignore[union-attr]


def test_race_state_comes_from_the_units_when_the_race_has_none() -> None:
    race = parse_ap(ap_bytes("20171212_al_senate_full.json"), "ap-test").races[0]
    assert race.state == "AL"


def test_same_race_id_in_two_states_gives_two_races() -> None:
    doc = ap_doc("20171212_al_senate_full.json")
    other = copy.deepcopy(doc["races"][0])
    for unit in other["reportingUnits"]:
        unit["statePostal"] = "GA"
    doc["races"].append(other)
    assert [r.key for r in parse_doc(doc).races] == ["AL-1000", "AL-2001", "GA-1000"]


def test_zero_pol_id_falls_back_to_pol_num() -> None:
    doc = ap_doc("20171212_al_senate_full.json")
    for unit in doc["races"][0]["reportingUnits"]:
        for entry in unit["candidates"]:
            entry["polID"] = "0"  # as in AP's synthetic sample
    assert [c.id for c in parse_doc(doc).races[0].candidates] == ["30001", "30002", "30003"]


def test_colliding_pol_ids_fall_back_to_candidate_ids_for_the_whole_race() -> None:
    doc = ap_doc("20171212_al_senate_full.json")
    for unit in doc["races"][0]["reportingUnits"]:
        unit["candidates"][1]["polID"] = unit["candidates"][0]["polID"]
    race = parse_doc(doc).races[0]
    assert [c.id for c in race.candidates] == ["6001", "6002", "6003"]
    assert all(set(u.votes) == {"6001", "6002", "6003"} for u in race.units)


def test_a_subunit_only_candidate_joins_the_roster() -> None:
    doc = ap_doc("20171212_al_senate_full.json")
    extra = {
        "first": "Lee",
        "last": "Busby",
        "party": "Ind",
        "candidateID": "6004",
        "polID": "70000",
        "polNum": "30004",
        "voteCount": 5,
    }
    doc["races"][0]["reportingUnits"][1]["candidates"].append(extra)
    race = parse_doc(doc).races[0]
    assert race.candidates[-1].id == "70000" and race.unit("1690").votes["70000"] == 5  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"elections": [{"electionDate": "2016-02-09", "testResults": True}]}, "landing document"),
        ({"trendtable": {"office": "U.S. Senate"}}, "trendtable report"),
        ({"delSum": {}}, "delSum report"),
        ({"foo": 1}, "no 'races' list"),
        ([], "JSON object at the top level"),
    ],
)
def test_other_ap_documents_are_refused_with_what_they_are(doc: Any, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_doc(doc)


def break_first_senate_unit(**changes: Any) -> dict[str, Any]:
    doc = ap_doc("20171212_al_senate_full.json")
    doc["races"][0]["reportingUnits"][1].update(changes)
    return doc


def break_first_vote(value: Any) -> dict[str, Any]:
    doc = ap_doc("20171212_al_senate_full.json")
    doc["races"][0]["reportingUnits"][1]["candidates"][0]["voteCount"] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (break_first_vote(-5), "voteCount '-5'"),
        (break_first_vote("12"), "voteCount '12'"),
        (break_first_vote(True), "voteCount 'True'"),
        (break_first_vote(1.5), "voteCount '1.5'"),
        (break_first_senate_unit(fipsCode="AB1"), "fipsCode"),
        (break_first_senate_unit(eevp=150), "eevp"),
        (break_first_senate_unit(lastUpdated="yesterday"), "ISO-8601"),
        (break_first_senate_unit(precinctsTotal=-1), "precinctsTotal"),
        (break_first_senate_unit(level=7), "level"),
        (break_first_senate_unit(reportingunitID="1719"), "repeats"),
        (break_first_senate_unit(candidates={"a": 1}), "candidates is an object"),
    ],
)
def test_a_county_row_that_cannot_be_read_costs_that_row(doc: dict[str, Any], message: str) -> None:
    """The race stays, its state total and call intact; the row is named in one left-out line."""
    whole = parse_doc(ap_doc("20171212_al_senate_full.json")).races[0]
    reply = parse_doc(doc)
    (problem,) = reply.left_out
    assert problem.what == "unit" and "AL-1000" in problem.ident and message in problem.reason
    race = reply.races[0]
    assert race.state_unit == whole.state_unit and race.winners == whole.winners
    assert len(race.subunits) == len(whole.subunits) - 1


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (break_first_senate_unit(level="state"), "more than one state-level"),
        ({"races": [1]}, "not an object"),
        ({"races": [{"raceID": "1", "reportingUnits": []}]}, "no statePostal"),
        ({"races": [{"raceID": "1", "statePostal": "Alabama"}]}, "two-letter"),
        ({"races": [{"statePostal": "AL"}]}, "raceID"),
    ],
)
def test_a_race_that_cannot_be_read_is_left_out_with_the_reason(doc: Any, message: str) -> None:
    reply = parse_doc(doc)
    assert reply.races == () or all(r.key != "AL-1000" for r in reply.races)
    (problem,) = reply.left_out
    assert problem.what == "race" and message in problem.reason


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"races": {}}, "'races' is an object"),
        ({"races": [], "isTruncated": "yes"}, "isTruncated"),
        ({"races": [], "electionDate": "12/12/2017"}, "electionDate"),
        ({"races": [], "timestamp": "9999-12-31T23:59:59-23:00"}, "usable ISO-8601"),
    ],
)
def test_a_reply_unreadable_as_a_whole_is_one_feed_error_with_the_place(doc: Any, message: str) -> None:
    with pytest.raises(FeedError, match=message) as caught:
        parse_doc(doc)
    assert caught.value.feed == "ap-test"


def test_a_race_repeated_in_one_reply_is_left_out_whole() -> None:
    """Which copy is right cannot be told: neither is used (the feed keeps its last good one)."""
    doc = ap_doc("20171212_al_senate_full.json")
    doc["races"].append(doc["races"][0])
    reply = parse_doc(doc)
    assert [r.key for r in reply.races] == ["AL-2001"]
    (problem,) = reply.left_out
    assert problem.race_key == "AL-1000" and "appears 2 times" in problem.reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe\xfa", "not UTF-8|not valid JSON"),
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "looks like an HTML page"),
        (b'{"races": [' * 100_000, "nested too deeply|not valid JSON"),
    ],
)
def test_bytes_that_are_not_json_are_a_feed_error(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_ap(data, "ap-test")


def test_format_json_is_added_only_when_no_format_is_given() -> None:
    assert (
        with_json_format("https://api.ap.org/v2/elections/2017-12-12?level=ru")
        == "https://api.ap.org/v2/elections/2017-12-12?level=ru&format=json"
    )
    assert (
        with_json_format("https://api.ap.org/v2/elections/2017-12-12")
        == "https://api.ap.org/v2/elections/2017-12-12?format=json"
    )
    assert (
        with_json_format("https://api.ap.org/v2/elections/2017-12-12?FORMAT=JSON")
        == "https://api.ap.org/v2/elections/2017-12-12?FORMAT=JSON"
    )
    assert with_json_format("/tmp/saved.json") == "/tmp/saved.json"


@pytest.mark.parametrize(("value", "read"), [(True, True), (False, False), (None, None), ("yes", None), (1, None)])
def test_flipped_seat_is_read_when_it_is_a_boolean(value: Any, read: bool | None) -> None:
    doc = ap_doc("20171212_al_senate_delta2.json")
    senate = next(r for r in doc["races"] if r["raceID"] == "1000")
    senate["flippedSeat"] = value
    race = next(r for r in parse_doc(doc).races if r.key == "AL-1000")
    assert race.flipped_seat is read and race.winners == ("64985",)


def test_a_race_without_flipped_seat_does_not_say() -> None:
    races = parse_ap(ap_bytes("20171212_al_senate_full.json"), "ap-test").races
    assert all(r.flipped_seat is None for r in races)


def test_a_race_left_out_still_says_the_reply_is_test_data() -> None:
    """The one race flagged test cannot be read: the others, unflagged, are test data all the same."""
    doc = ap_doc("20171212_al_mixed_test_live.json")
    for race in doc["races"]:
        race.pop("test", None)
    doc["races"][1]["test"] = True
    doc["races"][1]["reportingUnits"][0]["candidates"][0]["voteCount"] = "many"
    reply = parse_doc(doc)
    assert reply.test and [(r.key, r.test) for r in reply.races] == [("AL-1000", True)]
    assert [p.race_key for p in reply.left_out] == ["AL-2001"]


def test_a_state_row_that_cannot_be_read_costs_the_race_not_a_summed_guess() -> None:
    """The state row carries the totals and the call: without it the race is left out (and keeps
    its last good version) rather than re-totalled from its counties without AP's call."""
    doc = ap_doc("20171212_al_senate_full.json")
    del doc["races"][0]["reportingUnits"][0]["level"]
    reply = parse_doc(doc)
    assert [r.key for r in reply.races] == ["AL-2001"]
    (problem,) = reply.left_out
    assert problem.race_key == "AL-1000" and "level" in problem.reason
