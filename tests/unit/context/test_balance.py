"""Seat gains and the balance of power from config/seats.toml; AP trendtable reports."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app.context_files import SEATS_TOML, load_seats_config
from bot.core.balance import (
    SeatsConfigError,
    describe_tally,
    describe_trendtable,
    gain,
    seat_key,
    seats_config_from_dict,
    tally,
    tally_facts,
    tally_from_facts,
)
from bot.core.model import CallStatus, Candidate, Race
from bot.feeds.ap.trendtable import TrendtableError, parse_trendtable
from bot.rehearsal.scenarios import load_scenario

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[3].parent / "shared"
TRENDS = SHARED / "samples" / "ap" / "20160818_senate_trends.json"


def called_race() -> Race:
    race = load_scenario()[-1].races["AL-1000"]
    assert race.call_status is CallStatus.CALLED and race.winners == ("jones",)
    return race


def uncalled_race() -> Race:
    race = load_scenario()[0].races["AL-1000"]
    assert not race.winners
    return race


# --- gains ---------------------------------------------------------------------------------


def test_the_call_for_jones_is_a_democratic_gain_the_first_since_1992():
    cfg = load_seats_config()
    g = gain(called_race(), cfg)
    assert g is not None
    assert (g.party, g.previous, g.state, g.office, g.seat_key) == ("Dem", "GOP", "AL", "U.S. Senate", "AL-S")
    assert g.since == 1992 and g.since_text == "the first since 1992"
    assert g.text() == "Democratic gain from the Republicans, the first since 1992"
    assert g.short == "Jones gain"


def test_no_gain_when_the_holder_wins_or_nobody_is_called():
    cfg = load_seats_config()
    assert gain(replace(called_race(), winners=("moore",)), cfg) is None
    assert gain(uncalled_race(), cfg) is None
    assert gain(replace(called_race(), office_id="G"), cfg) is None  # seat not configured


def test_gain_without_a_since_year():
    cfg = seats_config_from_dict({"seats": {"AL-S": {"holder": "Dem"}}})
    g = gain(replace(called_race(), winners=("moore",)), cfg)
    assert g is not None and g.party == "GOP" and g.since_text is None
    assert g.text() == "Republican gain from the Democrats"


def test_house_seat_keys_include_the_district():
    race = replace(called_race(), office_id="H", seat="7")
    assert seat_key(race) == "AL-H-7"
    cfg = seats_config_from_dict({"seats": {"AL-H-7": {"holder": "REP", "last_held_by": {"Democratic": 2008}}}})
    g = gain(race, cfg)
    assert g is not None and g.previous == "GOP" and g.since_text == "the first since 2008"
    assert seat_key(replace(race, office_id=None)) is None


# --- tally ---------------------------------------------------------------------------------


def test_senate_tally_moves_from_52_48_to_51_49():
    cfg = load_seats_config()
    race = called_race()
    t = tally("senate", [(race, "Dem")], cfg)
    assert dict(t.seats) == {"GOP": 51, "Dem": 47, "Ind": 2}
    assert t.grouped == {"GOP": 51, "Dem": 49}
    assert t.grouped_before == {"GOP": 52, "Dem": 48}
    assert t.undecided == 0 and t.majority == 51
    assert describe_tally(t) == "Republicans 51, Democrats 49 (Jones gain)"
    assert describe_tally(t, with_before=True) == "Republicans 51, Democrats 49 (Jones gain; was 52–48)"


def test_tally_before_the_call_and_for_a_hold():
    cfg = load_seats_config()
    before = tally("senate", [], cfg)
    assert before.grouped == {"GOP": 51, "Dem": 48} and before.undecided == 1
    assert describe_tally(before) == "Republicans 51, Democrats 48, 1 undecided"
    hold = tally("senate", [(replace(called_race(), winners=("moore",)), "GOP")], cfg)
    assert describe_tally(hold, with_before=True) == "Republicans 52, Democrats 48"
    # a later call for the same seat replaces the earlier one; calls elsewhere are ignored
    t = tally("senate", [(called_race(), "GOP"), (called_race(), "DEM"), (replace(called_race(), state="MS"), "Dem")], cfg)
    assert t.grouped == {"GOP": 51, "Dem": 49}
    with pytest.raises(SeatsConfigError, match="no \\[chambers.house\\]"):
        tally("house", [], cfg)


def test_shipped_config_describes_the_2017_senate():
    cfg = load_seats_config(SEATS_TOML)
    senate = cfg.chambers["senate"]
    assert dict(senate.not_up) == {"GOP": 51, "Dem": 46, "Ind": 2}
    assert dict(senate.caucus) == {"Ind": "Dem"}
    assert cfg.seats["AL-S"].holder == "GOP" and dict(cfg.seats["AL-S"].last_held_by) == {"Dem": 1992}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seats": {"AL-S": {"chamber": "senate"}}}, "needs holder"),
        ({"seats": {"AL-S": {"holder": "GOP", "chamber": "house"}}}, "no [chambers.house]"),
        ({"chambers": {"senate": {"name": "Senate"}}}, "needs not_up"),
        ({"chambers": {"senate": {"not_up": {"GOP": -1}}}}, "non-negative integer"),
        ({"chambers": {"senate": {"not_up": {"GOP": "51"}}}}, "non-negative integer"),
        ({"chambers": {"senate": {"not_up": {"GOP": 60, "Dem": 41}, "size": 100}}}, "exceed size 100"),
        ({"seat": {}}, "unknown table"),
        ({"seats": {"AL-S": {"holder": ""}}}, "non-empty string"),
    ],
)
def test_bad_seats_config_is_a_clear_error(data, message):
    with pytest.raises(SeatsConfigError) as err:
        seats_config_from_dict(data)
    assert message in str(err.value)


def test_unreadable_seats_file(tmp_path):
    bad = tmp_path / "seats.toml"
    bad.write_text("[seats\n", encoding="utf-8")
    with pytest.raises(SeatsConfigError, match="seats.toml"):
        load_seats_config(bad)


# --- AP trendtable -------------------------------------------------------------------------


@pytest.mark.skipif(not TRENDS.is_file(), reason=f"../shared is absent ({SHARED}): no AP trendtable sample")
def test_shared_trendtable_sample_parses():
    tt = parse_trendtable(TRENDS.read_bytes())
    assert tt.office == "U.S. Senate" and tt.office_type == "S" and not tt.test
    dem, gop, other = tt.party("Dem"), tt.party("GOP"), tt.party("Others")
    assert (dem.won, dem.leading, dem.holdovers, dem.net_winners, dem.seats) == (23, 0, 30, 2, 53)
    assert (gop.won, gop.leading, gop.holdovers, gop.net_winners, gop.seats) == (8, 0, 37, -2, 45)
    assert (other.won, other.holdovers, other.seats) == (2, 0, 2)
    assert tt.timestamp is not None and tt.timestamp.year == 2012


def test_own_trendtable_fixture_parses():
    tt = parse_trendtable((HERE / "trendtable_house.json").read_bytes())
    assert tt.office == "U.S. House" and tt.test
    dem, gop = tt.party("Democratic"), tt.party("Republican")
    assert (dem.won, dem.leading, dem.holdovers, dem.net_winners, dem.net_leaders) == (201, 18, 0, 22, 4)
    assert (gop.won, gop.leading, gop.net_winners) == (190, 16, -22)
    assert describe_trendtable(tt).startswith("U.S. House: Democrats 219 (201 won, 18 leading, 0 holdovers, net +22)")


def _doc(**party) -> bytes:
    base = {"title": "Dem", "trend": [{"Won": "1"}, {"Leading": "0"}, {"Holdovers": "2"}]}
    base.update(party)
    return json.dumps({"trendtable": {"office": "U.S. Senate", "party": [base]}}).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "no 'trendtable'"),
        (json.dumps({"trendtable": {"party": []}}).encode(), "non-empty list"),
        (_doc(title=""), "has no title"),
        (_doc(trend=[{"Won": "1"}, {"Leading": "0"}]), "no 'Holdovers'"),
        (_doc(trend=[{"Won": "one"}, {"Leading": "0"}, {"Holdovers": "2"}]), "Won is not a number"),
        (_doc(trend={"Won": "1"}), "list of one-key objects"),
        (json.dumps({"trendtable": {"party": [json.loads(_doc())["trendtable"]["party"][0]] * 2}}).encode(), "listed twice"),
    ],
)
def test_malformed_trendtable_is_a_clear_error(data, message):
    with pytest.raises(TrendtableError) as err:
        parse_trendtable(data)
    assert message in str(err.value)


def test_minimal_trendtable_without_net_change():
    tt = parse_trendtable(_doc())
    assert tt.party("Dem").seats == 3 and tt.party("Dem").net_winners == 0 and tt.timestamp is None


def test_candidate_party_from_the_feed_decides_the_gain():
    race = replace(
        called_race(),
        candidates=(Candidate("jones", "Doug Jones", "Democratic"), Candidate("moore", "Roy Moore", "Republican")),
    )
    g = gain(race, load_seats_config())
    assert g is not None and g.party == "Dem"


def test_tally_and_gain_survive_a_round_trip_through_event_facts():
    t = tally("senate", [(called_race(), "Dem")], load_seats_config())
    facts = json.loads(json.dumps(tally_facts(t)))
    back = tally_from_facts(facts)
    assert describe_tally(back, with_before=True) == "Republicans 51, Democrats 49 (Jones gain; was 52–48)"
    assert back.gains[0].text() == "Democratic gain from the Republicans, the first since 1992"


# --- trendtables beyond parsing: the chamber, the newest, the model's own classes --------------


def test_trendtable_classes_are_the_models_and_balance_still_names_them():
    from bot.core import balance, model

    assert balance.TrendTable is model.TrendTable and balance.TrendParty is model.TrendParty


def _report(
    office: str = "U.S. Senate", code: str | None = "S", stamp: str | None = "2017-12-13T03:30:00Z", won: str = "1"
) -> bytes:
    table: dict = {
        "office": office,
        "party": [{"title": "Dem", "trend": [{"Won": won}, {"Leading": "0"}, {"Holdovers": "46"}]}],
    }
    if code is not None:
        table["OfficeTypeCode"] = code
    if stamp is not None:
        table["timestamp"] = stamp
    return json.dumps({"trendtable": table}).encode()


@pytest.mark.parametrize(
    ("office", "code", "chamber"),
    [
        ("U.S. Senate", "S", "senate"),
        ("U.S. House", "H", "house"),
        ("Whatever AP calls it", "s", "senate"),
        ("U.S. House", None, "house"),
        ("Governor", "G", None),
        ("U.S. Senate", "G", None),
    ],
)
def test_the_chamber_of_a_report_is_its_office_type_code(office, code, chamber):
    from bot.core.balance import trendtable_chamber

    assert trendtable_chamber(parse_trendtable(_report(office, code))) == chamber


def test_the_newest_report_of_a_chamber_wins():
    from bot.core.balance import latest_trendtables

    old = parse_trendtable(_report(stamp="2017-12-13T03:00:00Z", won="0"))
    new = parse_trendtable(_report(stamp="2017-12-13T03:30:00Z", won="1"))
    undated = parse_trendtable(_report(stamp=None, won="5"))
    house = parse_trendtable((HERE / "trendtable_house.json").read_bytes())
    assert latest_trendtables([new, undated, old, house]) == {"senate": new, "house": house}
    assert latest_trendtables([undated]) == {"senate": undated}


def test_a_report_time_without_a_zone_is_utc():
    from datetime import UTC, datetime

    assert parse_trendtable(_report(stamp="2017-12-13T03:30:00")).timestamp == datetime(2017, 12, 13, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_report(won="-1"), "negative"),
        (_report(office="x" * 301), "implausibly long"),
        (json.dumps({"trendtable": {"party": [{"title": "D" * 61, "trend": []}]}}).encode(), "over 60 characters"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_a_report_the_store_could_not_hold_is_refused(data, message):
    with pytest.raises(TrendtableError, match=message):
        parse_trendtable(data)
