"""Every real sample in ../shared parses, and agrees with figures computed here from the raw file.

The expected figures are computed independently of the adapters (plain ``json``, stdlib
ElementTree and ``csv`` over the same bytes), so a parsing slip cannot hide behind itself.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as StdET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.codec.errors import FeedError
from bot.core.model import CallStatus, Level, Race
from bot.feeds.ap import parse_ap
from bot.feeds.clarity import combine, parse_detail_xml, parse_summary, parse_test_mode
from bot.feeds.csv_feed import parse_csv

from .samples import SHARED, SHARED_SAMPLES, needs_shared

pytestmark = [pytest.mark.shared, needs_shared]

AP = SHARED_SAMPLES / "ap"
CLARITY = SHARED_SAMPLES / "clarity"
AP_RESULTS = [
    "00000000_fake.json",
    "20121106_ak_prez.json",
    "20151103_national.json",
    "20151103_national_initialization.json",
    "20160301_super_tuesday.json",
]


def test_the_seven_ap_samples_are_all_covered() -> None:
    assert sorted(p.name for p in AP.glob("*.json")) == sorted(
        [*AP_RESULTS, "00000000_elections.json", "20160818_senate_trends.json"]
    )


@pytest.mark.parametrize(
    ("name", "what"), [("00000000_elections.json", "landing document"), ("20160818_senate_trends.json", "trendtable report")]
)
def test_ap_documents_that_are_not_results_are_refused_by_name(name: str, what: str) -> None:
    with pytest.raises(FeedError, match=what):
        parse_ap((AP / name).read_bytes(), "ap")


def raw_state_rows(raw_race: dict[str, Any]) -> list[dict[str, Any]]:
    return [u for u in raw_race.get("reportingUnits", []) if u["level"] == "state"]


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['first']} {e['last']}" if e.get("first") else e["last"] for e in entries]


@pytest.mark.parametrize("name", AP_RESULTS)
def test_ap_state_rows_winners_and_precincts_match_the_raw_reply(name: str) -> None:
    data = (AP / name).read_bytes()
    raw = json.loads(data)
    reply = parse_ap(data, "ap")
    assert len(reply.races) == len(raw["races"])
    for raw_race, race in zip(raw["races"], reply.races, strict=True):
        assert race.race_id == raw_race["raceID"]
        names_by_id = {c.id: c.name for c in race.candidates}
        rows = raw_state_rows(raw_race)
        if not rows:  # initialization payload: roster only
            assert race.units == () and [c.name for c in race.candidates] == names(raw_race["candidates"])
            continue
        (row,) = rows
        state = race.state_unit
        assert state is not None
        assert sorted(state.votes.values()) == sorted(e["voteCount"] for e in row["candidates"])
        assert state.total_votes == sum(e["voteCount"] for e in row["candidates"])
        assert (state.precincts_reporting, state.precincts_total) == (row["precinctsReporting"], row["precinctsTotal"])
        assert sorted(names_by_id[w] for w in race.winners) == sorted(
            names([e for e in row["candidates"] if e.get("winner") == "X"])
        )
        assert race.call_status is (CallStatus.CALLED if race.winners else CallStatus.NONE)
        subunits = [u for u in raw_race["reportingUnits"] if u["level"] != "state"]
        assert len(race.subunits) == len(subunits)
        assert sum(u.total_votes for u in race.subunits) == sum(e["voteCount"] for u in subunits for e in u["candidates"])
        assert all(u.fips is None or len(u.fips) == 5 for u in race.subunits)


def test_super_tuesday_is_massachusetts_towns_with_no_preference_as_pseudo() -> None:
    reply = parse_ap((AP / "20160301_super_tuesday.json").read_bytes(), "ap")
    dem = next(r for r in reply.races if r.race_id == "24548")
    assert {u.level for u in dem.subunits} == {Level.TOWN} and len(dem.subunits) == 351
    assert [c.name for c in dem.candidates if c.pseudo] == ["No Preference"]
    assert [dem.candidate(w).name for w in dem.winners] == ["Hillary Clinton"]  # type: ignore[union-attr]


def test_colorado_four_digit_fips_are_padded() -> None:
    reply = parse_ap((AP / "20151103_national.json").read_bytes(), "ap")
    colorado = [r for r in reply.races if r.state == "CO"]
    raw_codes = [
        u["fipsCode"]
        for r in json.loads((AP / "20151103_national.json").read_bytes())["races"]
        for u in r["reportingUnits"]
        if u.get("statePostal") == "CO" and "fipsCode" in u
    ]
    assert sum(1 for code in raw_codes if len(code) == 4) == 67
    assert {u.fips for r in colorado for u in r.subunits} <= {code.zfill(5) for code in raw_codes}


def test_the_synthetic_sample_is_test_data() -> None:
    reply = parse_ap((AP / "00000000_fake.json").read_bytes(), "ap")
    assert reply.test and all(r.test for r in reply.races)


# -- Clarity ------------------------------------------------------------------------------------------


def raw_detail(path: Path) -> dict[str, dict[str, Any]]:
    """Per contest: choice totals, per-unit sums over vote types, and the precinct counts."""
    root = StdET.fromstring(path.read_bytes())
    found = {}
    for contest in root.iter("Contest"):
        units: Counter[str] = Counter()
        for choice in contest.iter("Choice"):
            for row in choice.iter():
                if row.tag in ("County", "Precinct"):
                    units[row.get("name", "") + "|" + choice.get("key", "")] += int(row.get("votes", "0"))
        found[contest.get("key", "")] = {
            "totals": {c.get("key"): int(c.get("totalVotes", "0")) for c in contest.iter("Choice")},
            "units": units,
            "reported": contest.get("precinctsReported"),
            "participating": contest.get("precinctsParticipating") or contest.get("precinctsReporting"),
        }
    return found


def unit_votes(race: Race) -> Counter[str]:
    return Counter(
        {
            f"{u.id}|{cid}": n
            for u in race.units
            if u.level in (Level.COUNTY, Level.PRECINCT) and not u.id.startswith("county:")
            for cid, n in u.votes.items()
        }
    )


@pytest.mark.parametrize(
    ("name", "state"), [("county.xml", None), ("precinct.xml", "KY"), ("ga-2020-general/detail-counties.xml", None)]
)
def test_clarity_detail_matches_the_raw_xml(name: str, state: str | None) -> None:
    path = CLARITY / name
    expected = raw_detail(path)
    detail = parse_detail_xml(path.read_bytes(), "clarity", state)
    assert [r.race_id for r in detail.races] == list(expected)
    for race in detail.races:
        want = expected[race.race_id]
        assert race.state_unit is not None and dict(race.state_unit.votes) == want["totals"]
        assert (str(race.state_unit.precincts_reporting), str(race.state_unit.precincts_total)) == (
            want["reported"],
            want["participating"],
        )
        assert unit_votes(race) == +want["units"]  # unary + drops the zero rows on both sides
        assert race.call_status is CallStatus.NONE


def test_arkansas_county_precincts_come_from_the_contest() -> None:
    detail = parse_detail_xml((CLARITY / "county.xml").read_bytes(), "clarity")
    (race,) = detail.races
    counties = [u for u in race.units if u.level is Level.COUNTY]
    assert len(counties) == 75 and sum(u.precincts_total or 0 for u in counties) == 2655
    assert race.key == "AR-100" and race.candidates[0].party == "REP"


def test_greenup_precinct_status_codes() -> None:
    raw = StdET.fromstring((CLARITY / "precinct.xml").read_bytes())
    codes = {p.get("name"): p.get("percentReporting") for p in raw.iter("Precinct") if p.get("percentReporting")}
    (race,) = parse_detail_xml((CLARITY / "precinct.xml").read_bytes(), "clarity", "KY").races
    precincts = {u.id: u for u in race.units if u.level is Level.PRECINCT}
    assert precincts["AB"].precincts_reporting == 0 and codes["AB"] == "32"
    assert sum(u.precincts_reporting or 0 for u in precincts.values()) == sum(1 for c in codes.values() if c == "4")


def test_georgia_summary_matches_the_raw_json_and_combines_with_the_detail() -> None:
    data = (CLARITY / "ga-2020-general" / "summary.json").read_bytes()
    raw = json.loads(data)
    races = parse_summary(data, "ga", "GA")
    assert len(races) == len(raw) == 298
    for raw_contest, race in zip(raw, races, strict=True):
        assert race.state_unit is not None and list(race.state_unit.votes.values()) == raw_contest["V"]
        assert race.call_status is CallStatus.NONE
    trump = races[0].candidates[0]
    assert (trump.name, trump.party, trump.incumbent) == ("Donald J. Trump", "Rep", True)
    detail = parse_detail_xml((CLARITY / "ga-2020-general" / "detail-counties.xml").read_bytes(), "ga")
    merged = combine(races, detail.races)
    president = next(r for r in merged if r.race_id == "5000")
    assert len([u for u in president.units if u.level is Level.COUNTY]) == 159
    assert list(president.state_unit.votes.values()) == raw[0]["V"]  # type: ignore[union-attr]


# -- CSV -------------------------------------------------------------------------------------------------


def test_openelections_alabama_senate_totals_match_an_independent_sum() -> None:
    path = SHARED / "data" / "al-2017-senate-special" / "precincts-openelections.csv"
    totals: Counter[str] = Counter()
    precincts = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["office"] == "UNITED STATES SENATOR" and row["candidate"] not in ("Over Votes", "Under Votes"):
                totals[row["candidate"]] += int(float(row["votes"]))
                precincts.add((row["county"], row["precinct"]))
    race = parse_csv(path.read_bytes(), "al", "AL").races["AL-united-states-senator"]
    state = race.state_unit
    assert state is not None
    assert state.votes["doug-jones"] == totals["Doug Jones"] == 673_352
    assert state.votes["roy-s-moore"] == totals["Roy S. Moore"] == 650_940
    assert state.votes["write-ins"] == totals["Write-In"] == 21_464
    assert state.precincts_reporting == state.precincts_total == len(precincts) == 2235
    assert len([u for u in race.units if u.level is Level.COUNTY]) == 67


def test_clarity_settings_of_the_ga_night_say_live_and_a_flipped_flag_says_test() -> None:
    raw = (CLARITY / "ga-2020-general" / "electionsettings.json").read_bytes()
    assert json.loads(raw)["settings"]["electiondetails"]["istestmode"] is False
    assert parse_test_mode(raw, "ga") is False
    assert parse_test_mode(raw.replace(b'"istestmode" : false', b'"istestmode" : true'), "ga") is True
