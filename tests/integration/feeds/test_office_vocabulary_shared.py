"""The office vocabulary and the name rules on every real contest and choice in ../shared.

Expected kinds are read from the raw files with plain string tests written here (a contest
titled "US House District 7" is the U.S. House, District 7), independently of ``bot.core.offices``;
AP samples are checked against AP's own ``officeID``. Nothing may crash, and no name may lose
its person.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as StdET
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.app.settings import load_recount_rules
from bot.core.model import Snapshot
from bot.core.offices import AP_OFFICE_IDS, classify
from bot.core.rules import RuleSettings
from bot.feeds.ap import parse_ap
from bot.feeds.clarity import parse_detail_xml, parse_summary
from bot.render.answers import answer
from bot.render.text_answers import answer_text

from .samples import SHARED_SAMPLES, needs_shared

pytestmark = [pytest.mark.shared, needs_shared]

GA = SHARED_SAMPLES / "clarity" / "ga-2020-general"
AP = SHARED_SAMPLES / "ap"


def expected_kind(title: str) -> tuple[str | None, str | None]:
    """What a desk calls a Georgia 2020 contest, from its title alone: (kind, seat)."""
    district = re.search(r"District (\d+)", title)
    seat = f"District {district.group(1)}" if district else None
    if title == "President of the United States":
        return "president", None
    if title.startswith("US Senate"):
        return "senate", None
    if title.startswith("US House District"):
        return "house", seat
    if title.startswith("State Senate District"):
        return "state_senate", seat
    if title.startswith("State House District"):
        return "state_house", seat
    if title.startswith(("Constitutional Amendment", "Statewide Referendum")):
        return "measure", None
    return None, None


def test_every_georgia_contest_maps_to_a_sensible_office() -> None:
    raw = json.loads((GA / "summary.json").read_bytes())
    races = {r.race_id: r for r in parse_summary((GA / "summary.json").read_bytes(), "ga", "GA")}
    assert len(races) == len(raw) == 298
    kinds: Counter[str | None] = Counter()
    for contest in raw:
        race = races[contest["K"]]
        kind, seat = expected_kind(contest["C"])
        office = classify(contest["C"])
        assert office.kind == kind, contest["C"]
        kinds[kind] += 1
        if kind is None or kind == "measure":
            assert race.office == contest["C"], "an office the vocabulary does not know keeps its own name"
        else:
            assert race.seat == seat, contest["C"]
        assert ("(special)" in race.office) == ("Special" in contest["C"] and kind not in (None, "measure")), contest["C"]
    # counted from the titles: 1 president, 2 Senate races, 14 House districts, 56 + 180 seats in the legislature
    assert kinds["president"] == 1 and kinds["senate"] == 2 and kinds["house"] == 14
    assert kinds["state_senate"] == sum(1 for c in raw if c["C"].startswith("State Senate District"))
    assert kinds["state_house"] == sum(1 for c in raw if c["C"].startswith("State House District"))
    assert kinds["measure"] == 3
    special_primary = next(r for r in races.values() if r.office.startswith("State Senate (special)"))
    assert (special_primary.seat, special_primary.party, special_primary.general) == ("District 39", "Dem", False)


def test_every_georgia_choice_keeps_its_person_and_gains_its_party() -> None:
    raw = json.loads((GA / "summary.json").read_bytes())
    races = {r.race_id: r for r in parse_summary((GA / "summary.json").read_bytes(), "ga", "GA")}
    seen = 0
    for contest in raw:
        race = races[contest["K"]]
        for text, party, cand in zip(contest["CH"], contest["P"], race.candidates, strict=True):
            seen += 1
            marker = re.search(r"\((Rep|Dem|Lib|Ind|Grn)\)\s*$", text)
            if party == "NP" and marker:
                assert cand.party == marker.group(1), text
            assert cand.incumbent == ("(I)" in text), text
            assert "(Rep)" not in cand.name and "(Dem)" not in cand.name and "(I)" not in cand.name, text
            words = re.sub(r"\s*\((I|Rep|Dem|Lib|Ind|Grn)\)", "", text).split()
            assert [w.lower() for w in cand.name.split()] == [w.lower() for w in words], text  # case only, never letters
    assert seen == sum(len(c["CH"]) for c in raw)


def test_the_georgia_site_answers_senate_with_both_races_told_apart() -> None:
    races = parse_summary((GA / "summary.json").read_bytes(), "ga", "GA")
    snap = Snapshot.of("ga", datetime(2020, 11, 20, tzinfo=UTC), races)
    said = answer_text(answer("georgia senate", [snap], RuleSettings(recount_rules=load_recount_rules())))
    assert "Georgia: 2 races" in said
    assert "*U.S. Senate*:" in said and "*U.S. Senate (special)*:" in said


def test_the_county_detail_file_reads_through_the_vocabulary() -> None:
    detail = parse_detail_xml((GA / "detail-counties.xml").read_bytes(), "ga")
    root = StdET.fromstring((GA / "detail-counties.xml").read_bytes())
    titles = [c.get("text") for c in root.iter("Contest")]
    assert [r.office for r in detail.races] == [classify(t or "").label for t in titles]
    assert detail.races[0].office == "President"


def test_the_other_clarity_samples() -> None:
    arkansas = parse_detail_xml((SHARED_SAMPLES / "clarity" / "county.xml").read_bytes(), "ar")
    assert [r.office for r in arkansas.races][:1] == ["U.S. Senate"]
    assert arkansas.races[0].candidates[0].name == "Tom Cotton"
    greenup = parse_detail_xml((SHARED_SAMPLES / "clarity" / "precinct.xml").read_bytes(), "ky", "KY")
    (race,) = greenup.races
    assert (race.office, race.party, race.county) == ("U.S. Senate", "GOP", "Greenup")
    assert [c.name for c in race.candidates if not c.pseudo][:3] == ["Matt Bevin", "Brad Copas", "Mitch McConnell"]


@pytest.mark.parametrize(
    "name",
    [
        "00000000_fake.json",
        "20121106_ak_prez.json",
        "20151103_national.json",
        "20151103_national_initialization.json",
        "20160301_super_tuesday.json",
    ],
)
def test_ap_office_names_agree_with_ap_office_ids(name: str) -> None:
    raw = json.loads((AP / name).read_bytes())
    reply = parse_ap((AP / name).read_bytes(), "ap")
    for raw_race in raw["races"]:
        office_id = raw_race.get("officeID")
        if office_id in AP_OFFICE_IDS:
            assert classify(raw_race["officeName"]).kind == AP_OFFICE_IDS[office_id], raw_race["officeName"]
    for race in reply.races:
        assert classify(race.office, race.office_id).label  # nothing crashes, every race has a label
