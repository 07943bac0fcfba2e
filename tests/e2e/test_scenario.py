"""The shipped Alabama 2017 scenario keeps the promises the demo and the rule tests rely on.

These checks are written independently of ``scripts/build_al2017_scenario.py`` (which asserts
the same promises before it writes): a hand edit of a snapshot file, or a change of the
generator, must not slip through. All margins are exact ``Fraction``s, as in ``bot.core.margins``:
the recount line of Ala. Code § 17-16-20 is inclusive, so 0.5 % on the nose is inside.
Only the last test reads ``../shared``; it skips when that folder is absent.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest

from bot.core.model import CallStatus, Level, Race, ReportingUnit, Snapshot
from bot.rehearsal.scenarios import DEFAULT_SCENARIO, SCENARIO_DIR, load_scenario, scenario_files, scenario_info

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
FIGURES = SHARED / "data" / "al-2017-senate-special" / "counties-election-night.csv"
SCRIPT = ROOT / "scripts" / "build_al2017_scenario.py"

CT = timezone(timedelta(hours=-6))
POLLS_CLOSE = datetime(2017, 12, 12, 19, 0, tzinfo=CT)
AP_CALL = datetime(2017, 12, 12, 22, 23, tzinfo=CT)
LAST_COUNTY = datetime(2017, 12, 12, 22, 40, tzinfo=CT)
RACE_KEY = "AL-1000"
LINE = Fraction(1, 200)
PUBLISHED = {"jones": 671_151, "moore": 650_436, "write-ins": 22_780}


@pytest.fixture(scope="module")
def snapshots() -> list[Snapshot]:
    return load_scenario()


@pytest.fixture(scope="module")
def races(snapshots: list[Snapshot]) -> list[Race]:
    return [s.races[RACE_KEY] for s in snapshots]


def _state(race: Race) -> ReportingUnit:
    unit = race.state_unit
    assert unit is not None, "every snapshot carries a statewide row"
    return unit


def _margin(unit: ReportingUnit) -> Fraction:
    """Jones minus Moore over every vote for the office (write-ins included)."""
    return Fraction(unit.votes["jones"] - unit.votes["moore"], unit.total_votes)


def _leader(unit: ReportingUnit) -> str | None:
    j, m = unit.votes["jones"], unit.votes["moore"]
    return "jones" if j > m else "moore" if m > j else None


def _half_in(unit: ReportingUnit) -> bool:
    return 2 * (unit.precincts_reporting or 0) >= (unit.precincts_total or 0)


def _lead_change(races: list[Race]) -> int:
    return next(i for i, r in enumerate(races) if _leader(_state(r)) == "jones")


# --- the files and the loader ---------------------------------------------------------------


def test_scenario_ships_forty_to_sixty_numbered_snapshots_and_a_description() -> None:
    files = scenario_files()
    assert 40 <= len(files) <= 60
    assert [f.name for f in files] == [f"snapshot-{n:03d}.json" for n in range(1, len(files) + 1)]
    assert all(f.parent == SCENARIO_DIR / DEFAULT_SCENARIO for f in files)
    assert sum(f.stat().st_size for f in files) < 1_500_000
    info = scenario_info()
    assert info["name"] == DEFAULT_SCENARIO
    assert info["election_date"] == date(2017, 12, 12)
    assert (info["state"], info["race_id"], info["timezone"]) == ("AL", "1000", "America/Chicago")
    assert info["snapshots"] == len(files)
    assert "Secretary of State" in info["source"] and "unofficial" in info["source"]


def test_loader_rejects_paths_and_unknown_names() -> None:
    with pytest.raises(ValueError):
        scenario_files("../scenarios")
    with pytest.raises(FileNotFoundError, match="20171212_al_senate_special"):
        scenario_files("19000101_nowhere")


def test_every_snapshot_is_the_one_alabama_senate_race_by_county(snapshots: list[Snapshot], races: list[Race]) -> None:
    for snap, race in zip(snapshots, races, strict=True):
        assert snap.feed == "al-2017" and snap.election_date == date(2017, 12, 12) and not snap.test
        assert list(snap.races) == [RACE_KEY]
        assert (race.office, race.office_id, race.race_type) == ("U.S. Senate", "S", "Special General")
        assert race.general and race.national and race.seats == 1
        assert [(c.id, c.name, c.party, c.pseudo) for c in race.candidates] == [
            ("jones", "Doug Jones", "Dem", False),
            ("moore", "Roy Moore", "GOP", False),
            ("write-ins", "Write-ins", None, True),
        ]
        state = _state(race)
        assert (state.id, state.name, state.fips) == ("AL", "Alabama", None)
        counties = race.subunits
        assert len(counties) == 67 and all(u.level is Level.COUNTY for u in counties)
        assert all(u.id == u.fips and len(u.fips) == 5 and u.fips.startswith("01") for u in counties)
        assert {u.name for u in counties} >= {"St. Clair", "DeKalb", "Jefferson"}
        assert state.precincts_reporting == sum(u.precincts_reporting or 0 for u in counties)
        assert state.precincts_total == sum(u.precincts_total or 0 for u in counties) == 2235
        for cid in PUBLISHED:
            assert state.votes[cid] == sum(u.votes[cid] for u in counties)


# --- constraint 1: the final snapshot is the published night ---------------------------------


def test_final_snapshot_is_the_secretary_of_states_election_night_total(races: list[Race]) -> None:
    final = _state(races[-1])
    assert dict(final.votes) == PUBLISHED
    assert final.total_votes == 1_344_367
    assert final.votes["jones"] - final.votes["moore"] == 20_715
    assert round(Fraction(final.votes["jones"], final.total_votes) * 100, 2) == Fraction(4992, 100)
    assert round(Fraction(final.votes["moore"], final.total_votes) * 100, 2) == Fraction(4838, 100)
    assert final.fully_reporting
    assert all(u.fully_reporting for u in races[-1].subunits)
    # Three counties whose election-night figures are quoted in the docs (AP via NYT).
    by_name = {u.name: u for u in races[-1].subunits}
    assert dict(by_name["Jefferson"].votes) == {"jones": 149_522, "moore": 66_309, "write-ins": 3_710}
    assert dict(by_name["Mobile"].votes) == {"jones": 62_253, "moore": 46_725, "write-ins": 1_539}
    assert dict(by_name["Autauga"].votes) == {"jones": 5_606, "moore": 8_752, "write-ins": 253}


def test_polls_close_with_a_zero_snapshot(races: list[Race]) -> None:
    first = _state(races[0])
    assert first.total_votes == 0 and first.precincts_reporting == 0
    assert all(u.precincts_reporting == 0 and u.total_votes == 0 for u in races[0].subunits)
    assert _state(races[1]).total_votes > 0


# --- constraint 2: Moore ahead, one lead change, Jones ahead ---------------------------------


def test_moore_leads_until_a_single_lead_change_to_jones_in_the_last_fifth(races: list[Race]) -> None:
    leaders = [_leader(_state(r)) for r in races if _state(r).total_votes > 0]
    flip = leaders.index("jones")
    assert leaders[:flip] == ["moore"] * flip
    assert leaders[flip:] == ["jones"] * (len(leaders) - flip)
    assert _lead_change(races) >= 0.8 * (len(races) - 1)


# --- constraints 3 and 4: into the recount zone and out of it -------------------------------


def test_margin_enters_the_recount_zone_with_moore_ahead_after_half_the_precincts(races: list[Race]) -> None:
    flip = _lead_change(races)
    after_half = [i for i in range(flip) if _half_in(_state(races[i]))]
    outside = [i for i in after_half if _margin(_state(races[i])) < -LINE]
    inside = [i for i in after_half if -LINE <= _margin(_state(races[i])) < 0]
    assert outside, "Moore is never ahead by more than 0.5 % once half the precincts are in"
    assert inside, "Moore is never ahead by 0.5 % or less"
    assert min(outside) < min(inside), "the zone must be entered, not started in"


def test_jones_leads_inside_the_zone_then_leaves_it_before_the_call(races: list[Race]) -> None:
    flip = _lead_change(races)
    margins = [_margin(_state(r)) for r in races[flip:]]
    assert 0 < margins[0] <= LINE, "the lead changes hands inside the recount zone"
    exit_at = next(n for n, m in enumerate(margins) if m > LINE)
    assert all(m > LINE for m in margins[exit_at:]), "once out, Jones stays out of the zone"
    call = next(i for i, r in enumerate(races) if r.call_status is CallStatus.CALLED)
    assert flip + exit_at < call


# --- constraint 5: the call -----------------------------------------------------------------


def test_race_is_called_for_jones_from_aps_call_time_on(snapshots: list[Snapshot], races: list[Race]) -> None:
    called = [i for i, r in enumerate(races) if r.call_status is CallStatus.CALLED]
    call = called[0]
    assert called == list(range(call, len(races)))
    assert len(races) - call <= 8, "the call comes in the last few snapshots"
    assert snapshots[call - 1].generated_at < AP_CALL <= snapshots[call].generated_at < AP_CALL + timedelta(minutes=2)
    for race in races[call:]:
        assert race.winners == ("jones",) and race.race_call_status == "Called"
    for race in races[:call]:
        assert race.call_status is CallStatus.NONE
        assert race.winners == () and race.race_call_status is None


# --- constraints 6 and 7: time moves on, counts never go back -------------------------------


def test_timestamps_increase_through_the_night(snapshots: list[Snapshot]) -> None:
    times = [s.generated_at for s in snapshots]
    assert all(a < b for a, b in pairwise(times))
    assert times[0] == POLLS_CLOSE
    assert POLLS_CLOSE + timedelta(minutes=25) <= times[1] <= POLLS_CLOSE + timedelta(minutes=35)
    assert LAST_COUNTY - timedelta(minutes=5) <= times[-1] <= LAST_COUNTY
    assert all(t.utcoffset() == timedelta(0) for t in times), "the parser normalises to UTC"


def test_no_county_ever_loses_votes_or_precincts(races: list[Race]) -> None:
    for before, after in pairwise(races):
        for county in before.subunits:
            later = after.unit(county.id)
            assert later is not None
            assert (later.precincts_reporting or 0) >= (county.precincts_reporting or 0), county.name
            assert all(later.votes[c] >= n for c, n in county.votes.items()), county.name
            if later.precincts_reporting == county.precincts_reporting:
                assert later.votes == county.votes, f"{county.name}: votes moved without a precinct"


def test_counties_report_over_several_snapshots_small_rural_ones_first(races: list[Race]) -> None:
    final = {u.id: u for u in races[-1].subunits}
    for fips, county in final.items():
        steps = {r.unit(fips).precincts_reporting for r in races}  # type: ignore[union-attr]
        assert len(steps) >= 4, f"{county.name} reports all at once"
    first_in = [u for u in races[1].subunits if u.total_votes]
    assert first_in and all(u.votes["moore"] > u.votes["jones"] and not u.fully_reporting for u in first_in)

    def done(name: str) -> int:
        fips = next(f for f, u in final.items() if u.name == name)
        return next(i for i, r in enumerate(races) if r.unit(fips).fully_reporting)  # type: ignore[union-attr]

    assert done("Jefferson") == len(races) - 1
    for late in ("Montgomery", "Mobile", "Madison", "Tuscaloosa", "Dallas"):
        assert done(late) > done("Winston") and done(late) > done("Cleburne"), late


def test_county_last_updated_is_when_the_county_last_changed(snapshots: list[Snapshot], races: list[Race]) -> None:
    for n, (snap, race) in enumerate(zip(snapshots, races, strict=True)):
        for county in race.subunits:
            if county.precincts_reporting == 0:
                assert county.last_updated is None
                continue
            assert county.last_updated is not None and county.last_updated <= snap.generated_at
            if n and county.precincts_reporting != races[n - 1].unit(county.id).precincts_reporting:  # type: ignore[union-attr]
                assert county.last_updated > snapshots[n - 1].generated_at


# --- regeneration (needs ../shared) ---------------------------------------------------------


@pytest.mark.shared
def test_script_regenerates_the_shipped_files_byte_for_byte_from_the_figures(tmp_path: Path) -> None:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent: {SHARED} holds the county figures the scenario is built from")
    if not FIGURES.is_file():
        pytest.skip(f"../shared has no Alabama 2017 county figures at {FIGURES}")
    out = tmp_path / "scenario"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--figures", str(FIGURES), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shipped = SCENARIO_DIR / DEFAULT_SCENARIO
    # The 2016 baseline beside the snapshots has its own builder (scripts/build_al2016_baseline.py).
    names = sorted(p.name for p in shipped.iterdir() if p.is_file() and not p.name.startswith("baseline-"))
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        assert (out / name).read_bytes() == (shipped / name).read_bytes(), f"{name} differs from a fresh build"

    with FIGURES.open(newline="", encoding="utf-8") as fh:
        rows = {row["fips"]: row for row in csv.DictReader(fh)}
    final = load_scenario()[-1].races[RACE_KEY]
    assert {u.id for u in final.subunits} == set(rows)
    for county in final.subunits:
        row = rows[county.id]
        assert county.name == row["county"]
        assert county.precincts_total == county.precincts_reporting == int(row["precincts"])
        assert dict(county.votes) == {
            "jones": int(row["jones"]),
            "moore": int(row["moore"]),
            "write-ins": int(row["write_in"]),
        }
