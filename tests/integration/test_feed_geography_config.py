"""A feed's ``names`` and ``county`` settings: validated by check-config, carried to the adapter,
kept by the store, and shown in every label."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.settings import ConfigError, feed_spec, load_recount_rules, load_settings, settings_from_dict
from bot.codec import native
from bot.core.rules import RuleSettings
from bot.feeds.csv_feed import CsvFeed
from bot.feeds.kinds import make_source
from bot.render.answers import answer
from bot.render.text_answers import answer_text
from tests.e2e.test_cli import ROOT, run_bot

RULES = RuleSettings(recount_rules=load_recount_rules())

#: A county export in capitals, as many county offices publish it.
GWINNETT_CSV = """county,precinct,office,district,party,candidate,votes
GWINNETT,001,PRESIDENT OF THE UNITED STATES,,REP,DONALD J. TRUMP,1200
GWINNETT,001,PRESIDENT OF THE UNITED STATES,,DEM,JOSEPH R. BIDEN,1800
GWINNETT,002,PRESIDENT OF THE UNITED STATES,,REP,DONALD J. TRUMP,800
GWINNETT,002,PRESIDENT OF THE UNITED STATES,,DEM,JOSEPH R. BIDEN,1000
GWINNETT,001,US REPRESENTATIVE,7,REP,RICH MCCORMICK,1100
GWINNETT,001,US REPRESENTATIVE,7,DEM,CAROLYN BOURDEAUX,1900
"""


def feed_settings(tmp_path: Path, **extra: object) -> dict[str, object]:
    path = tmp_path / "gwinnett.csv"
    path.write_text(GWINNETT_CSV)
    return {"name": "gwinnett", "kind": "csv", "url": str(path), "options": {"state": "GA"}, **extra}


def test_a_county_csv_is_labelled_with_its_county(tmp_path: Path) -> None:
    spec = feed_spec(settings_from_dict({"feeds": [feed_settings(tmp_path, county="Gwinnett")]}).feeds[0])
    source = make_source(spec)
    assert isinstance(source, CsvFeed) and source.names == "title"
    snap = source.poll(None)
    assert snap is not None
    president = next(r for r in snap.races.values() if r.office == "President")
    assert president.county == "Gwinnett" and [c.name for c in president.candidates] == [
        "Donald J. Trump",
        "Joseph R. Biden",
    ]
    house = next(r for r in snap.races.values() if r.office == "U.S. House")
    assert house.seat == "7" and [c.name for c in house.candidates] == ["Rich McCormick", "Carolyn Bourdeaux"]
    said = answer_text(answer("georgia president", [snap], RULES))
    assert said.startswith("Gwinnett County, Ga.: President")
    assert "Biden 2,800 (58.33 %) · Trump 2,000 (41.67 %)" in said
    assert "Georgia" not in said.splitlines()[0]
    assert [u.name for u in president.subunits if u.level.value == "county"] == ["Gwinnett"]  # "GWINNETT" in the file
    # the store's codec keeps the county (and a primary's party): the label survives a restart
    again = native.parse(native.dumps(snap), "gwinnett")
    assert again == snap and again.races[president.key].county == "Gwinnett"


def test_the_same_csv_without_a_county_is_the_state(tmp_path: Path) -> None:
    spec = feed_spec(settings_from_dict({"feeds": [feed_settings(tmp_path, names="as-is")]}).feeds[0])
    snap = make_source(spec).poll(None)
    assert snap is not None
    president = next(r for r in snap.races.values() if r.office == "President")
    assert president.county is None and [c.name for c in president.candidates] == ["DONALD J. TRUMP", "JOSEPH R. BIDEN"]
    assert answer_text(answer("georgia president", [snap], RULES)).startswith("Georgia President")


def test_a_primary_party_round_trips_through_the_codec() -> None:
    from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot

    race = Race(
        "RI",
        "41394",
        "President",
        (Candidate("t", "Donald Trump", "GOP"), Candidate("w", "Bill Weld", "GOP")),
        (ReportingUnit("RI", Level.STATE, "Rhode Island", {"t": 10, "w": 2}),),
        race_type="Primary",
        general=False,
        party="GOP",
    )
    snap = Snapshot.of("ri", datetime(2020, 6, 3, tzinfo=UTC), [race])
    doc = native.to_document(snap)
    assert doc["races"][0]["party"] == "GOP" and "county" not in doc["races"][0]  # written only when set
    assert native.parse(native.dumps(snap), "ri") == snap


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"names": "upper"}, "feeds.0.names"),
        ({"county": ""}, "feeds.0.county"),
    ],
)
def test_bad_names_or_county_settings_name_the_key(tmp_path: Path, extra: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        settings_from_dict({"feeds": [feed_settings(tmp_path, **extra)]})


def test_a_county_on_an_ap_feed_is_refused_by_check_config(tmp_path: Path) -> None:
    path = tmp_path / "ap.toml"
    path.write_text(
        '[[feeds]]\nname = "ap"\nkind = "ap"\nurl = "https://api.ap.org/v2/elections/2020-11-03"\ncounty = "Gwinnett"\n'
    )
    with pytest.raises(ConfigError, match="county is for a county's own feed"):
        load_settings(path)
    done = run_bot("check-config", "--config", str(path))
    assert done.returncode == 2 and "feeds.0" in done.stderr and "Traceback" not in done.stderr


def test_the_example_documents_names_and_county() -> None:
    text = (ROOT / "config" / "example.toml").read_text()
    assert 'names = "title"' in text and 'county = "Gwinnett"' in text


def test_a_json_feed_is_as_is_unless_its_settings_say_otherwise(tmp_path: Path) -> None:
    from bot.rehearsal.scenarios import load_scenario

    path = tmp_path / "feed.json"
    path.write_bytes(native.dumps(load_scenario()[-1]).replace(b'"Doug Jones"', b'"DOUG JONES"'))
    shown = {}
    for label, extra in (("default", {}), ("title", {"names": "title"}), ("county", {"county": "Jefferson"})):
        spec = feed_spec(settings_from_dict({"feeds": [{"name": "al", "kind": "json", "url": str(path), **extra}]}).feeds[0])
        snap = make_source(spec).poll(None)
        assert snap is not None
        race = snap.races["AL-1000"]
        shown[label] = (race.office, race.county, race.candidates[0].name)
    assert shown == {
        "default": ("U.S. Senate", None, "DOUG JONES"),
        "title": ("U.S. Senate", None, "Doug Jones"),
        "county": ("U.S. Senate", "Jefferson", "DOUG JONES"),
    }
