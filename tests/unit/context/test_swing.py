"""Swing from the 2016 presidential baseline, checked against figures computed here independently.

The expected figures are recomputed in this file straight from the CSV files with the csv module
and ``Fraction`` (never through ``bot.core.swing``): from the shipped baseline always, and from the two
``../shared`` CSVs when that folder is present (skipped with a reason otherwise).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from bot.app.context_files import load_baseline_csv, scenario_baseline
from bot.core.model import Candidate, Level, Race, ReportingUnit
from bot.core.parties import normalize_party
from bot.core.swing import (
    Baseline,
    BaselineCounty,
    BaselineError,
    flip_indication,
    normalize_county,
    parse_baseline_csv,
    party_candidates,
    race_swing,
    swing_facts,
    unit_swing,
)
from bot.rehearsal.scenarios import SCENARIO_DIR, load_scenario
from bot.render.swing import counties_text, county_swing_text, flip_text, margin_text, results_swing_lines, swing_text

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
SHARED_2016 = SHARED / "data" / "al-2016-president" / "counties.csv"
SHARED_2017 = SHARED / "data" / "al-2017-senate-special" / "counties-election-night.csv"
SHIPPED = SCENARIO_DIR / "20171212_al_senate_special" / "baseline-2016-president.csv"
needs_shared = pytest.mark.skipif(
    not SHARED_2016.is_file() or not SHARED_2017.is_file(),
    reason=f"../shared is absent ({SHARED}): the shared CSVs are not available",
)


def final_race() -> Race:
    return load_scenario()[-1].races["AL-1000"]


def race_at(n: int) -> Race:
    return load_scenario()[n - 1].races["AL-1000"]


def baseline() -> Baseline:
    return load_baseline_csv(SHIPPED)  # a fresh one: its log-once memory is its own


def shipped_rows() -> dict[str, tuple[str, int, int, int]]:
    with SHIPPED.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return {
        r["fips"]: (r["county"], int(r["dem_votes"]), int(r["gop_votes"]), int(r["total_votes"]))
        for r in csv.DictReader(lines)
    }


# --- the shipped baseline ------------------------------------------------------------------


def test_shipped_baseline_loads_with_its_source_and_sums():
    b = baseline()
    assert len(b.counties) == 67
    assert (b.dem, b.gop) == (727_869, 1_317_127)
    assert b.label == "2016"
    assert b.source and "Dallet2018" in b.source
    assert SHIPPED.read_text(encoding="utf-8").splitlines()[1] == "fips,county,dem_votes,gop_votes,total_votes"
    assert scenario_baseline() is not None and scenario_baseline().counties == b.counties


def test_every_county_swing_matches_the_shipped_baseline_computed_by_hand():
    race = final_race()
    rows = shipped_rows()
    units = [u for u in race.units if u.level is Level.COUNTY]
    assert len(units) == 67
    for unit in units:
        _, dem, gop, total = rows[unit.fips]
        now = unit.votes
        total_now = sum(now.values())
        expected = Fraction(now["jones"] - now["moore"], total_now) - Fraction(dem - gop, total)
        us = unit_swing(race, unit, baseline())
        assert us is not None and us.swing == expected, unit.name
        assert us.turnout == Fraction(total_now, total)
        assert us.matched_by == "fips"


@needs_shared
def test_every_county_swing_matches_the_two_shared_csvs():
    with SHARED_2016.open(newline="") as fh:
        then = {r["fips"]: r for r in csv.DictReader(fh)}
    with SHARED_2017.open(newline="") as fh:
        now = {r["fips"]: r for r in csv.DictReader(fh)}
    race = final_race()
    b = baseline()
    for fips, r17 in now.items():
        r16 = then[fips]
        total17 = int(r17["jones"]) + int(r17["moore"]) + int(r17["write_in"])
        expected = Fraction(int(r17["jones"]) - int(r17["moore"]), total17) - Fraction(
            int(r16["clinton"]) - int(r16["trump"]), int(r16["total"])
        )
        us = unit_swing(race, race.unit(fips), b)
        assert us is not None and us.swing == expected, r17["county"]


@needs_shared
def test_build_script_reproduces_the_shipped_file(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_al2016_baseline", ROOT / "scripts" / "build_al2016_baseline.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "baseline-2016-president.csv"
    assert mod.main(["--figures", str(SHARED_2016), "--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED.read_bytes()


# --- statewide -----------------------------------------------------------------------------


def test_statewide_swing_at_the_end_of_the_night():
    rs = race_swing(final_race(), baseline())
    # 2016 (this file): Clinton 727,869, Trump 1,317,127 of 2,134,051 → R+27.6
    assert rs.margin_then == Fraction(727_869 - 1_317_127, 2_134_051)
    assert margin_text(rs.margin_then) == "R+27.6"
    # 2017 election night: Jones 671,151, Moore 650,436 of 1,344,367 → D+1.5
    assert rs.margin_now == Fraction(20_715, 1_344_367)
    assert margin_text(rs.margin_now) == "D+1.5"
    assert rs.swing == Fraction(20_715, 1_344_367) - Fraction(-589_258, 2_134_051)
    assert round(float(rs.swing) * 100, 1) == 29.2
    assert swing_text(rs.swing, "2016") == "a swing of 29.2 points towards the Democrats from 2016"
    assert (rs.compared, rs.towards_dem, rs.towards_gop, rs.unchanged, rs.without_swing) == (67, 67, 0, 0, 0)
    assert counties_text(rs) == "all 67 counties moved towards the Democrats"
    # once everything is in, like-for-like equals the plain statewide comparison
    assert race_swing(final_race(), baseline(), reported_only=False).swing == rs.swing
    # sorted most Democratic swing first
    assert [s.swing for s in rs.counties] == sorted((s.swing for s in rs.counties), reverse=True)


def test_statewide_swing_early_compares_the_same_counties_only():
    race = race_at(2)  # first votes: a few rural counties
    rows = shipped_rows()
    reported = [u for u in race.units if u.level is Level.COUNTY and u.total_votes]
    assert 0 < len(reported) < 67
    lead_now = sum(u.votes.get("jones", 0) - u.votes.get("moore", 0) for u in reported)
    total_now = sum(u.total_votes for u in reported)
    lead_then = sum(rows[u.fips][1] - rows[u.fips][2] for u in reported)
    total_then = sum(rows[u.fips][3] for u in reported)
    rs = race_swing(race, baseline())
    assert rs.compared == len(reported)
    assert rs.swing == Fraction(lead_now, total_now) - Fraction(lead_then, total_then)
    assert rs.votes_then == total_then


def test_jefferson_county_batch_figures():
    race = final_race()
    us = unit_swing(race, race.unit("01073"), baseline())
    assert us is not None and us.name == "Jefferson" and us.fully_reporting
    assert margin_text(us.margin_now) == "D+37.9"
    assert swing_text(us.swing, "2016") == "a swing of 30.7 points towards the Democrats from 2016"


def test_complete_only_keeps_fully_reported_counties():
    race = race_at(19)
    rs = race_swing(race, baseline(), complete_only=True)
    assert all(s.fully_reporting for s in rs.counties)
    assert rs.compared == sum(1 for u in race.units if u.level is Level.COUNTY and u.fully_reporting and u.total_votes)


# --- flip indication -----------------------------------------------------------------------


def test_flip_indication_at_the_end_is_computed_on_2016_turnout():
    rows = shipped_rows()
    race = final_race()
    lead = Fraction(0)
    for unit in race.units:
        if unit.level is not Level.COUNTY:
            continue
        _, dem, gop, total = rows[unit.fips]
        swing = Fraction(unit.votes["jones"] - unit.votes["moore"], unit.total_votes) - Fraction(dem - gop, total)
        lead += (Fraction(dem - gop, total) + swing) * total
    expected = lead / sum(r[3] for r in rows.values())
    fi = flip_indication(race, baseline())
    assert fi is not None and fi.margin_indicated == expected
    assert fi.counties_assumed == 0 and fi.counties_swung == 67
    # Jones won on turnout: the county swings alone, on 2016 turnout, leave the state Republican.
    assert margin_text(fi.margin_indicated) == "R+1.2" and not fi.flips
    assert flip_text(fi).startswith("Indication, not a projection:")


def test_flip_indication_uses_the_weighted_average_for_unreported_counties():
    b = Baseline(
        {"00001": BaselineCounty("00001", "A", 40, 60, 100), "00002": BaselineCounty("00002", "B", 135, 165, 300)},
        label="2016",
    )
    race = make_race([unit("00001", "A", dem=70, gop=30)])  # A: from −20 to +40, a swing of +60
    fi = flip_indication(race, b)
    assert fi is not None and fi.average_swing == Fraction(60, 100)
    # A: −0.2 + 0.6 = 0.4 on 100 votes; B: −0.1 + 0.6 = 0.5 on 300 votes
    assert fi.margin_indicated == Fraction(40 + 150, 400)
    assert fi.flips and fi.winner_indicated == "Dem" and fi.counties_assumed == 1
    assert "would flip to the Democrats" in flip_text(fi)
    assert flip_indication(make_race([unit("00001", "A")]), b) is None  # nothing reported: nothing to say


# --- problems: missing, renamed, zero ------------------------------------------------------


def make_race(units, candidates=None) -> Race:
    cands = candidates or (
        Candidate("d", "Doug Jones", "Dem"),
        Candidate("r", "Roy Moore", "GOP"),
        Candidate("w", "Write-ins", None, pseudo=True),
    )
    return Race(state="AL", race_id="1000", office="U.S. Senate", office_id="S", candidates=tuple(cands), units=tuple(units))


def unit(uid, name, dem=0, gop=0, other=0, fips=None, level=Level.COUNTY) -> ReportingUnit:
    return ReportingUnit(
        id=uid,
        level=level,
        name=name,
        fips=fips,
        votes={"d": dem, "r": gop, "w": other},
        precincts_reporting=1,
        precincts_total=1,
    )


def test_county_missing_from_the_baseline_is_logged_once_and_gets_no_swing(caplog):
    full = baseline()
    b = Baseline({f: c for f, c in full.counties.items() if c.county != "Jefferson"}, label="2016")
    race = final_race()
    with caplog.at_level(logging.WARNING, logger="bot.core.swing"):
        assert unit_swing(race, race.unit("01073"), b) is None
        rs = race_swing(race, b)
        race_swing(race, b)
    lines = [r.getMessage() for r in caplog.records if "Jefferson" in r.getMessage()]
    assert len(lines) == 1 and "no county 'Jefferson'" in lines[0] and "no swing" in lines[0]
    assert rs.compared == 66 and rs.without_swing == 1
    assert all(s.name != "Jefferson" for s in rs.counties)


@pytest.mark.parametrize(
    ("feed_name", "baseline_name"),
    [
        ("St. Clair", "StClair"),
        ("StClair", "St. Clair"),
        ("Saint Clair County", "St Clair"),
        ("DeKalb", "De Kalb"),
        ("De Kalb", "DeKalb"),
        ("DEKALB COUNTY", "DeKalb"),
    ],
)
def test_renamed_counties_match_by_name(feed_name, baseline_name, caplog):
    assert normalize_county(feed_name) == normalize_county(baseline_name)
    b = Baseline({"01115": BaselineCounty("01115", baseline_name, 10, 90, 100)}, label="2016")
    race = make_race([unit("x-1", feed_name, dem=30, gop=70)])  # no FIPS in the feed
    with caplog.at_level(logging.INFO, logger="bot.core.swing"):
        us = unit_swing(race, race.units[0], b)
    assert us is not None and us.matched_by == "name" and us.fips == "01115"
    assert us.swing == Fraction(-40, 100) - Fraction(-80, 100)
    assert any("matched county" in r.getMessage() and "by name" in r.getMessage() for r in caplog.records)


def test_shipped_scenario_names_match_the_baseline_without_fips():
    race = final_race()
    b = baseline()
    stripped = [replace(u, id=f"n{i}", fips=None) for i, u in enumerate(race.units) if u.level is Level.COUNTY]
    for u in stripped:
        us = unit_swing(race, u, b)
        assert us is not None and us.matched_by == "name", u.name
    assert normalize_county("St. Clair") != normalize_county("Clarke")


def test_names_that_differ_really_do_not_match(caplog):
    b = Baseline({"01115": BaselineCounty("01115", "St. Clair", 10, 90, 100)}, label="2016")
    race = make_race([unit("x-1", "Clair", dem=30, gop=70)])
    with caplog.at_level(logging.WARNING, logger="bot.core.swing"):
        assert unit_swing(race, race.units[0], b) is None
    assert len([r for r in caplog.records if "no county 'Clair'" in r.getMessage()]) == 1


def test_zero_baseline_votes_give_no_swing_and_one_log_line(caplog):
    b = Baseline({"01001": BaselineCounty("01001", "Autauga", 0, 0, 0)}, label="2016")
    race = make_race([unit("01001", "Autauga", dem=10, gop=20, fips="01001")])
    with caplog.at_level(logging.WARNING, logger="bot.core.swing"):
        assert unit_swing(race, race.units[0], b) is None
        assert unit_swing(race, race.units[0], b) is None
        rs = race_swing(race, b)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "zero votes" in lines[0] and "Autauga" in lines[0]
    assert rs.compared == 0 and rs.swing is None and rs.without_swing == 1
    assert counties_text(rs) == "no county to compare yet"


def test_unit_without_votes_now_is_quietly_skipped(caplog):
    b = Baseline({"01001": BaselineCounty("01001", "Autauga", 10, 20, 30)}, label="2016")
    race = make_race([unit("01001", "Autauga", fips="01001")])
    with caplog.at_level(logging.DEBUG, logger="bot.core.swing"):
        assert unit_swing(race, race.units[0], b) is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_four_digit_fips_is_padded():
    b = Baseline({"01001": BaselineCounty("01001", "Autauga", 10, 20, 30)}, label="2016")
    race = make_race([unit("1001", "Autauga County", dem=5, gop=5, fips="1001")])
    us = unit_swing(race, race.units[0], b)
    assert us is not None and us.matched_by == "fips"


def test_state_row_compares_with_the_whole_baseline():
    race = final_race()
    us = unit_swing(race, race.state_unit, baseline())
    assert us is not None and us.margin_then == Fraction(-589_258, 2_134_051)


# --- parties -------------------------------------------------------------------------------


@pytest.mark.parametrize(("dem", "gop"), [("Dem", "GOP"), ("DEM", "REP"), ("Democratic", "Republican"), ("dem", "gop")])
def test_party_labels(dem, gop):
    assert (normalize_party(dem), normalize_party(gop)) == ("Dem", "GOP")
    race = make_race([], candidates=(Candidate("a", "A B", gop), Candidate("b", "C D", dem)))
    pair = party_candidates(race)
    assert pair is not None and (pair[0].id, pair[1].id) == ("b", "a")


def test_a_race_without_one_dem_and_one_gop_gets_no_swing(caplog):
    b = Baseline({"01001": BaselineCounty("01001", "Autauga", 10, 20, 30)}, label="2016")
    race = make_race(
        [unit("01001", "Autauga", dem=5, gop=5, fips="01001")],
        candidates=(Candidate("d", "A", "GOP"), Candidate("r", "B", "GOP")),
    )
    with caplog.at_level(logging.WARNING, logger="bot.core.swing"):
        assert unit_swing(race, race.units[0], b) is None
        assert race_swing(race, b).swing is None
    assert len([r for r in caplog.records if "exactly one Democratic" in r.getMessage()]) == 1


# --- malformed files -----------------------------------------------------------------------

HEADER = "fips,county,dem_votes,gop_votes,total_votes\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "missing column"),
        ("# only a comment\n", "missing column"),
        ("fips,county,dem,gop,total\n01001,Autauga,1,2,3\n", "missing column(s) dem_votes"),
        (HEADER, "no county rows"),
        (HEADER + "01001,Autauga,1,two,3\n", ":2: gop_votes 'two'"),
        (HEADER + "01001,Autauga,1,-2,3\n", "not a non-negative integer"),
        (HEADER + "01001,Autauga,1,2,3\n1001,Autauga again,1,2,3\n", "appears twice"),
        (HEADER + "AL001,Autauga,1,2,3\n", "not 1–5 digits"),
        (HEADER + "01001,,1,2,3\n", "empty county name"),
        (HEADER + "01001,Autauga,1,2,3,4\n", "more fields"),
    ],
)
def test_malformed_baselines_raise_a_clear_error(tmp_path, text, message):
    path = tmp_path / "baseline.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError) as err:
        load_baseline_csv(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_file_is_a_baseline_error(tmp_path):
    with pytest.raises(BaselineError, match="cannot read"):
        load_baseline_csv(tmp_path / "nope.csv")


def test_comment_line_is_optional_and_kept_as_source():
    b = parse_baseline_csv("# source: here\n" + HEADER + "1001,Autauga,1,2,3\n")
    assert b.source == "source: here" and "01001" in b.counties
    assert parse_baseline_csv(HEADER + "01001,Autauga,1,2,3\n").source is None


def test_total_below_the_two_parties_is_kept_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="bot.core.swing"):
        b = parse_baseline_csv(HEADER + "01053,Escambia,4698,10282,14928\n")
    assert b.counties["01053"].total == 14928
    assert any("Escambia" in r.getMessage() and "kept as published" in r.getMessage() for r in caplog.records)


def test_a_quirk_the_file_documents_is_logged_at_info_not_warning(caplog):
    with caplog.at_level(logging.INFO, logger="bot.core.swing"):
        parse_baseline_csv(
            "# in Escambia the source's total is below the two parties' votes\n"
            + HEADER
            + "01053,Escambia,4698,10282,14928\n"
        )
    (record,) = [r for r in caplog.records if "kept as published" in r.getMessage()]
    assert record.levelno == logging.INFO


# --- words and event facts -----------------------------------------------------------------


def test_county_line_from_integer_event_facts():
    race = final_race()
    u = race.unit("01073")
    facts = swing_facts(race, u, baseline())
    assert facts == {
        "baseline": "2016",
        "dem": "jones",
        "gop": "moore",
        "then_dem": 156_384,
        "then_gop": 134_498,
        "then_total": 305_018,
    }
    line = county_swing_text(dict(u.votes), facts, {"jones": "Jones", "moore": "Moore"})
    assert f"{u.name}, all precincts in: {line}" == (
        "Jefferson, all precincts in: Jones by 37.9 points, a swing of 30.7 points towards the Democrats from 2016"
    )
    assert county_swing_text({}, facts, {}) is None
    assert county_swing_text(dict(u.votes), {"dem": "jones"}, {}) is None  # incomplete facts: say nothing


def test_results_lines_during_and_after_the_count():
    b = baseline()
    during = results_swing_lines(race_at(10), b)
    assert during[0].startswith("Since 2016, in the ") and "counties reporting" in during[0]
    assert during[1].startswith("Indication, not a projection:")
    assert results_swing_lines(final_race(), b) == [
        "Since 2016, in all 67 counties: R+27.6 then, D+1.5 now, a swing of 29.2 points towards the Democrats; "
        "all 67 counties moved towards the Democrats"
    ]
    assert results_swing_lines(race_at(1), b) == []  # polls just closed: nothing to compare
