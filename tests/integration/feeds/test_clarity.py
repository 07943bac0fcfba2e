"""Clarity ENR: choices, summary.json, detail.xml (county and precinct sites), the zip, polling."""

from __future__ import annotations

import json
import struct
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.codec.errors import FeedConfigError, FeedError
from bot.core.model import CallStatus, Level
from bot.feeds.clarity import (
    ClarityFeed,
    combine,
    parse_choice,
    parse_detail_xml,
    parse_summary,
    read_detail_zip,
    site_of,
)
from bot.feeds.source import FeedSpec
from tests.fakes.feed_server import FeedServer, Reply

from .samples import CLARITY_FIXTURES, fast_http, zip_of

GA_SUMMARY = (CLARITY_FIXTURES / "20201103_ga_summary.json").read_bytes()
GA_DETAIL = (CLARITY_FIXTURES / "20201103_ga_detail.xml").read_bytes()
KY_SUMMARY = (CLARITY_FIXTURES / "20140520_ky_greenup_summary.json").read_bytes()
KY_DETAIL = (CLARITY_FIXTURES / "20140520_ky_greenup_detail.xml").read_bytes()
BASE = "/GA/105369"


@pytest.mark.parametrize(
    ("text", "party_field", "expected"),
    [
        ("Donald J. Trump (I) (Rep)", "NP", ("Donald J. Trump", "Rep", True)),
        ("Joseph R. Biden (Dem)", "NP", ("Joseph R. Biden", "Dem", False)),
        ("Lauren Bubba McDonald, Jr. (I) (Rep)", "NP", ("Lauren Bubba McDonald, Jr.", "Rep", True)),
        ("Tom Cotton", "REP", ("Tom Cotton", "REP", False)),
        ("Zan Fort", "DEM", ("Zan Fort", "DEM", False)),
        ("Mitch McCONNELL (I)", None, ("Mitch McCONNELL", None, True)),
        ("YES", "NP", ("YES", None, False)),
        ("Robert (Bob) Smith (Lib)", "", ("Robert (Bob) Smith", "Lib", False)),
        ("(Rep)", "NP", ("(Rep)", None, False)),
    ],
)
def test_party_and_incumbency_come_out_of_the_choice_text(
    text: str, party_field: str | None, expected: tuple[Any, ...]
) -> None:
    assert parse_choice(text, party_field) == expected


def test_summary_gives_state_rows_with_parties_and_no_county_counts_as_precincts() -> None:
    races = parse_summary(GA_SUMMARY, "ga", "GA")
    assert [r.key for r in races] == ["GA-5000", "GA-800100", "GA-43920"]
    president = races[0]
    assert [(c.id, c.name, c.party, c.incumbent) for c in president.candidates] == [
        ("1", "Donald J. Trump", "Rep", True),
        ("2", "Joseph R. Biden", "Dem", False),
        ("3", "Jo Jorgensen", "Lib", False),
    ]
    state = president.state_unit
    assert state is not None and dict(state.votes) == {"1": 20150, "2": 30640, "3": 700}
    assert (state.precincts_reporting, state.precincts_total) == (None, None)  # TP/PR are counties here
    assert races[2].candidates[0].party == "DEM"


def test_winner_flags_are_display_hints_never_calls() -> None:
    doc = json.loads(GA_SUMMARY)
    doc[0]["W"] = [0, 1, 0]
    races = parse_summary(json.dumps(doc).encode(), "ga", "GA")
    assert races[0].call_status is CallStatus.NONE and races[0].winners == ()


def test_county_site_summary_counts_precincts() -> None:
    (race,) = parse_summary(KY_SUMMARY, "ky", "KY", site="county", race_type="Primary")
    assert race.state_unit is not None
    assert (race.state_unit.precincts_reporting, race.state_unit.precincts_total) == (3, 4)
    assert not race.general and race.candidates[2].pseudo


def test_state_site_detail_sums_vote_types_per_county() -> None:
    detail = parse_detail_xml(GA_DETAIL, "ga")
    assert (detail.region, detail.site, detail.election_date) == ("GA", "state", date(2020, 11, 3))
    assert detail.timestamp == datetime(2020, 11, 4, 6, 15, 2, tzinfo=UTC)
    president, amendment = detail.races
    assert president.key == "GA-5000" and president.general
    appling = president.unit("Appling")
    assert appling is not None and appling.level is Level.COUNTY
    assert dict(appling.votes) == {"1": 2000 + 1000 + 3000 + 50, "2": 500 + 500 + 1000 + 10, "3": 50 + 20 + 40 + 0}
    assert (appling.precincts_reporting, appling.precincts_total) == (9, 9)
    ben_hill = president.unit("Ben Hill")
    assert ben_hill is not None and (ben_hill.precincts_reporting, ben_hill.precincts_total) == (3, 7)
    state = president.state_unit
    assert state is not None and dict(state.votes) == {"1": 20150, "2": 30640, "3": 700}
    assert (state.precincts_reporting, state.precincts_total) == (112, 206)
    assert [c.name for c in amendment.candidates] == ["Yes", "No"]  # names = "title", the default for Clarity
    assert not any(c.pseudo for c in amendment.candidates)


def test_county_site_detail_has_precincts_with_status_codes_and_a_county_row() -> None:
    detail = parse_detail_xml(KY_DETAIL, "ky", "KY")
    assert (detail.region, detail.site) == ("Greenup", "county")
    (race,) = detail.races
    assert race.key == "KY-4" and not race.general and race.race_type == "Primary"
    assert [(c.id, c.name, c.incumbent, c.pseudo) for c in race.candidates] == [
        ("1", "Matt Bevin", False, False),  # "Matt BEVIN" in the file; names = "title"
        ("3", "Mitch McConnell", True, False),
        ("9", "Write-In", False, True),
    ]
    status = {u.id: (u.precincts_reporting, u.precincts_total) for u in race.units if u.level is Level.PRECINCT}
    # percentReporting is a status code: 4 = complete; 32 and 0 are not "32 %" or "0 %"
    assert status == {"AB": (0, 1), "A101": (1, 1), "A102": (1, 1), "B101": (0, 1)}
    assert race.unit("AB").votes == {"1": 7, "3": 10, "9": 0}  # type: ignore[union-attr]
    county = race.unit("county:Greenup")
    assert county is not None and county.level is Level.COUNTY and dict(county.votes) == {"1": 67, "3": 96, "9": 3}
    state = race.state_unit
    assert race.county == "Greenup"  # a county site's races are the county's, never the state's
    assert state is not None and state.name == "Greenup" and (state.precincts_reporting, state.precincts_total) == (3, 4)
    assert "Undervotes" not in {c.name for c in race.candidates}


def test_a_county_site_needs_the_state_from_config() -> None:
    with pytest.raises(FeedError, match="options.state"):
        parse_detail_xml(KY_DETAIL, "ky")


def test_combine_takes_summary_totals_and_detail_keys() -> None:
    summary = parse_summary(GA_SUMMARY, "ga", "GA")
    detail = parse_detail_xml(GA_DETAIL, "ga")
    races = combine(summary, detail.races)
    assert [r.key for r in races] == ["GA-5000", "GA-800100", "GA-43920"]
    president = races[0]
    assert len(president.units) == 4 and president.state_unit.precincts_total == 206  # type: ignore[union-attr]
    assert races[2].units[0].votes == {"1": 900, "2": 1100}  # summary-only: positional ids


def test_combine_refuses_summary_and_detail_that_disagree() -> None:
    doc = json.loads(GA_SUMMARY)
    doc[0]["CH"][2] = "Howie Hawkins (Grn)"
    with pytest.raises(FeedError, match="disagree"):
        combine(parse_summary(json.dumps(doc).encode(), "ga", "GA"), parse_detail_xml(GA_DETAIL, "ga").races)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://results.enr.clarityelections.com/GA/105369/", ("state", "GA")),
        ("https://results.enr.clarityelections.com/KY/Greenup/50123", ("county", "KY")),
        ("/tmp/x/AL/12345", ("state", "AL")),
        ("http://127.0.0.1:8000/feed/", ("state", None)),
    ],
)
def test_the_site_url_tells_state_or_county_site(url: str, expected: tuple[str, str | None]) -> None:
    assert site_of(url) == expected


# -- hostile input --------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<ElectionResult><Region>&lol2;</Region></ElectionResult>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><ElectionResult><Region>&x;</Region></ElectionResult>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "DTDs and entities"),
        (EXTERNAL, "DTDs and entities"),
        (b"<ElectionResult><Contest key='1'>", "not well-formed"),
        (b"<html><body>503</body></html>", "not <ElectionResult>"),
        (GA_DETAIL.replace(b'votes="2000"', b'votes="-5"', 1), "not a whole number"),
        (GA_DETAIL.replace(b'votes="2000"', b'votes="lots"', 1), "not a whole number"),
        (GA_DETAIL.replace(b'<Choice key="2"', b'<Choice key="1"', 1), "repeats"),
        (GA_DETAIL.replace(b"<Region>GA</Region>", b"<Region>Georgia Statewide</Region>", 1), "options.state"),
        (b"\xff\xfe<\x00", "not well-formed|cannot be read"),
        (b"", "not well-formed"),
    ],
)
def test_hostile_or_broken_detail_xml_is_a_feed_error(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_detail_xml(data, "ga")


def test_a_timestamp_past_year_9999_is_no_timestamp_not_a_crash() -> None:
    doc = b"<ElectionResult><Region>GA</Region><Timestamp>12/31/9999 11:59:59 PM EST</Timestamp></ElectionResult>"
    assert parse_detail_xml(doc, "ga").timestamp is None


def test_deeply_nested_contests_cost_linear_time() -> None:
    # Clarity nests Contest > Choice > VoteType > County one level each; a hostile file that
    # nests Contests in Contests must not make every contest walk all of its descendants.
    depth = 50_000
    doc = (
        b"<ElectionResult><Region>GA</Region>"
        + b"<Contest key='1' text='x'>" * depth
        + b"</Contest>" * depth
        + b"</ElectionResult>"
    )
    assert len(parse_detail_xml(doc, "ga").races) == 1


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"K": "1"}, "list of contests"),
        ([{"K": "1", "C": "x", "CH": ["a"], "V": [1, 2], "P": ["NP"]}], "differ in length"),
        ([{"K": "1", "C": "x", "CH": ["a"], "V": [-1]}], "negative"),
        ([{"K": "1", "C": "x", "CH": ["a"], "V": ["1"]}], "V is not a list of int"),
        ([{"C": "x", "CH": [], "V": []}], "K is missing"),
        ([{"K": "1", "CH": [], "V": []}], "no contest title"),
        ([{"K": "1", "C": "x", "CH": ["a", "a"], "V": [1, 2]}], "appears twice"),
        ([{"K": "1", "C": "x", "CH": [], "V": []}, {"K": "1", "C": "y", "CH": [], "V": []}], "appears twice"),
    ],
)
def test_malformed_summary_is_a_feed_error(doc: Any, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_summary(json.dumps(doc).encode(), "ga", "GA")


def test_detail_zip_is_read() -> None:
    assert read_detail_zip(zip_of({"detail.xml": GA_DETAIL})) == GA_DETAIL


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!DOCTYPE html><html>Not Found</html>", "looks like an HTML page"),
        (zip_of({"detail.xml": GA_DETAIL})[:300], "not a readable zip"),
        (zip_of({f"f{i}.xml": b"x" for i in range(6)}), "6 members"),
        (zip_of({"../detail.xml": GA_DETAIL}), "has a path"),
        (zip_of({"reports/detail.xml": GA_DETAIL}), "has a path"),
        (zip_of({"summary.csv": b"a,b"}), "no detail.xml"),
    ],
)
def test_zips_that_are_not_an_honest_upload_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        read_detail_zip(data)


def test_declared_size_over_the_limit_is_refused_before_inflating() -> None:
    with pytest.raises(FeedError, match="declares"):
        read_detail_zip(zip_of({"detail.xml": GA_DETAIL}), max_bytes=1000)


def lying_zip(real: bytes, claimed: int) -> bytes:
    """A zip whose headers claim ``claimed`` uncompressed bytes while the data inflate to more."""
    data = bytearray(zip_of({"detail.xml": real}))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, claimed)
    struct.pack_into("<I", data, central + 24, claimed)
    return bytes(data)


def test_a_zip_lying_about_its_size_is_refused_while_inflating() -> None:
    with pytest.raises(FeedError, match="cannot be inflated|inflates beyond"):
        read_detail_zip(lying_zip(b"0" * 5000, claimed=100), max_bytes=1000)


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """65 MB of zeros in a ~64 KB zip: over the 64 MB default cap."""
    return zip_of({"detail.xml": b"\0" * (65 * 1024 * 1024)}, compression=zipfile.ZIP_DEFLATED)


def test_a_zip_bomb_over_the_default_cap_is_refused(zip_bomb: bytes) -> None:
    assert len(zip_bomb) < 200_000
    with pytest.raises(FeedError, match="over the 67,108,864-byte limit"):
        read_detail_zip(zip_bomb)


# -- polling over HTTP ------------------------------------------------------------------------------


def publish(
    server: FeedServer, version: str, summary: bytes = GA_SUMMARY, detail: bytes = GA_DETAIL, **version_reply: Any
) -> None:
    server.route(
        f"{BASE}/current_ver.txt", Reply.text(version, headers={"Cache-Control": "max-age=0, no-cache"}, **version_reply)
    )
    server.route(f"{BASE}/{version}/json/en/summary.json", Reply(200, summary, {"Content-Type": "application/json"}))
    server.route(
        f"{BASE}/{version}/reports/detailxml.zip",
        Reply(200, zip_of({"detail.xml": detail}), {"Content-Type": "application/zip"}),
    )


def clarity_feed(server: FeedServer, **options: Any) -> ClarityFeed:
    return ClarityFeed(FeedSpec("ga", "clarity", server.url(BASE + "/"), 30, options), fast_http("ga"))


def test_a_new_version_is_read_whole(server: FeedServer) -> None:
    publish(server, "271927")
    snap = clarity_feed(server).poll(None)
    assert snap is not None and snap.version == "271927"
    assert list(snap.races) == ["GA-5000", "GA-800100", "GA-43920"]
    assert snap.generated_at == datetime(2020, 11, 4, 6, 15, 2, tzinfo=UTC)
    assert snap.meta["election"] == "November 3,2020-General Election" and snap.election_date == date(2020, 11, 3)


def test_an_unchanged_version_fetches_nothing_else(server: FeedServer) -> None:
    publish(server, "271927")
    feed = clarity_feed(server)
    snap = feed.poll(None)
    assert feed.poll(snap) is None
    assert feed.poll(snap) is None
    assert server.hits(f"{BASE}/current_ver.txt") == 3
    assert server.hits(f"{BASE}/271927/json/en/summary.json") == 1
    assert server.hits(f"{BASE}/271927/reports/detailxml.zip") == 1


def test_304_on_the_version_file_is_unchanged(server: FeedServer) -> None:
    publish(server, "271927", etag='"v1"')
    feed = clarity_feed(server)
    snap = feed.poll(None)
    assert feed.poll(snap) is None
    assert server.requests_to(f"{BASE}/current_ver.txt")[-1].headers.get("if-none-match") == '"v1"'
    assert server.hits(f"{BASE}/271927/json/en/summary.json") == 1


def test_a_new_version_is_fetched_when_the_number_changes(server: FeedServer) -> None:
    publish(server, "271927")
    feed = clarity_feed(server)
    snap = feed.poll(None)
    later = GA_SUMMARY.replace(b"20150", b"20999")
    publish(server, "271930", summary=later)
    newer = feed.poll(snap)
    assert newer is not None and newer.version == "271930"
    assert newer.races["GA-5000"].state_unit.votes["1"] == 20999  # type: ignore[union-attr]
    assert feed.cursor() == {"version": "271930", "url": feed.spec.url}


def test_a_restart_with_the_cursor_does_not_refetch_the_same_version(server: FeedServer) -> None:
    publish(server, "271927")
    first = clarity_feed(server)
    snap = first.poll(None)
    restarted = clarity_feed(server)
    restarted.restore(first.cursor())
    assert restarted.poll(snap) is None
    assert server.hits(f"{BASE}/271927/json/en/summary.json") == 1


def test_an_oversized_detail_is_refused_and_retried_next_poll(server: FeedServer) -> None:
    publish(server, "271927")
    feed = clarity_feed(server, detail_max_bytes=2000)
    with pytest.raises(FeedError, match="over the 2,000-byte limit") as caught:
        feed.poll(None)
    assert caught.value.url is not None and caught.value.url.endswith("detailxml.zip")
    assert feed.cursor() == {}
    feed.max_detail_bytes = 10_000_000
    assert feed.poll(None) is not None
    assert server.hits(f"{BASE}/271927/reports/detailxml.zip") == 2


def test_a_zip_bomb_over_http_is_refused(server: FeedServer, zip_bomb: bytes) -> None:
    publish(server, "271927")
    server.route(f"{BASE}/271927/reports/detailxml.zip", Reply(200, zip_bomb, {"Content-Type": "application/zip"}))
    with pytest.raises(FeedError, match="limit"):
        clarity_feed(server).poll(None)


def test_a_version_folder_not_there_yet_is_an_error_then_retried(server: FeedServer) -> None:
    publish(server, "271927", etag='"v2"')
    server.route(
        f"{BASE}/271927/json/en/summary.json",
        Reply(404, b"Not Found"),
        Reply(200, GA_SUMMARY, {"Content-Type": "application/json"}),
    )
    feed = clarity_feed(server)
    with pytest.raises(FeedError, match="HTTP 404"):
        feed.poll(None)
    snap = feed.poll(None)
    assert snap is not None and snap.version == "271927"


def test_an_html_page_instead_of_the_version_is_refused(server: FeedServer) -> None:
    server.route(f"{BASE}/current_ver.txt", Reply.text("<html>maintenance</html>", content_type="text/html"))
    with pytest.raises(FeedError, match="text/html"):
        clarity_feed(server).poll(None)


def test_a_version_that_is_not_a_number_is_refused(server: FeedServer) -> None:
    server.route(f"{BASE}/current_ver.txt", Reply.text("Service Unavailable"))
    with pytest.raises(FeedError, match="not a version number"):
        clarity_feed(server).poll(None)


def test_without_detail_only_the_summary_is_fetched(server: FeedServer) -> None:
    publish(server, "271927")
    snap = clarity_feed(server, detail=False).poll(None)
    assert snap is not None and snap.races["GA-5000"].units[0].level is Level.STATE and len(snap.races["GA-5000"].units) == 1
    assert server.hits(f"{BASE}/271927/reports/detailxml.zip") == 0


def test_a_bad_site_option_is_a_config_error(server: FeedServer) -> None:
    with pytest.raises(FeedConfigError, match="options.site"):
        clarity_feed(server, site="nation")


def test_a_site_laid_out_on_disk_is_read_from_files(tmp_path: Path) -> None:
    site = tmp_path / "KY" / "Greenup" / "50123"
    (site / "99" / "json" / "en").mkdir(parents=True)
    (site / "99" / "reports").mkdir(parents=True)
    (site / "current_ver.txt").write_text("99\n")
    (site / "99" / "json" / "en" / "summary.json").write_bytes(KY_SUMMARY)
    (site / "99" / "reports" / "detailxml.zip").write_bytes(zip_of({"detail.xml": KY_DETAIL}))
    feed = ClarityFeed(FeedSpec("greenup", "clarity", str(site)), fast_http("greenup"))
    snap = feed.poll(None)
    assert snap is not None and feed.site == "county" and feed.state == "KY"
    race = snap.races["KY-4"]
    assert race.state_unit is not None and dict(race.state_unit.votes) == {"1": 67, "3": 96, "9": 3}
    assert race.state_unit.precincts_total == 4
    assert feed.poll(snap) is None


# -- test mode (electionsettings.json) -----------------------------------------------------------

GA_TEST_SETTINGS = (CLARITY_FIXTURES / "20201103_ga_electionsettings_test.json").read_bytes()


def settings_doc(flag: Any) -> bytes:
    doc = json.loads(GA_TEST_SETTINGS)
    doc["settings"]["electiondetails"]["istestmode"] = flag
    return json.dumps(doc).encode()


def test_istestmode_marks_the_snapshot_and_every_race_as_test(server: FeedServer) -> None:
    publish(server, "271927")
    server.route(
        f"{BASE}/271927/json/en/electionsettings.json", Reply(200, GA_TEST_SETTINGS, {"Content-Type": "application/json"})
    )
    snap = clarity_feed(server).poll(None)
    assert snap is not None and snap.test
    assert [race.test for race in snap.races.values()] == [True, True, True]


def test_older_sites_keep_their_settings_one_folder_up(server: FeedServer) -> None:
    publish(server, "271927")
    server.route(
        f"{BASE}/271927/json/electionsettings.json", Reply(200, GA_TEST_SETTINGS, {"Content-Type": "application/json"})
    )
    snap = clarity_feed(server).poll(None)
    assert snap is not None and snap.test
    assert [r.path for r in server.requests if "electionsettings" in r.path] == [
        f"{BASE}/271927/json/en/electionsettings.json",
        f"{BASE}/271927/json/electionsettings.json",
    ]


@pytest.mark.parametrize(("flag", "test"), [(False, False), ("True", True), ("false", False), (1, True), (None, False)])
def test_the_flag_is_read_in_the_spellings_clarity_uses(server: FeedServer, flag: Any, test: bool) -> None:
    publish(server, "271927")
    server.route(
        f"{BASE}/271927/json/en/electionsettings.json", Reply(200, settings_doc(flag), {"Content-Type": "application/json"})
    )
    snap = clarity_feed(server).poll(None)
    assert snap is not None and snap.test is test and all(r.test is test for r in snap.races.values())


def test_a_site_without_settings_is_live_and_the_option_skips_them(server: FeedServer) -> None:
    publish(server, "271927")
    snap = clarity_feed(server).poll(None)
    assert snap is not None and not snap.test and not any(r.test for r in snap.races.values())
    server.clear_log()
    assert clarity_feed(server, settings=False).poll(None) is not None
    assert not [r for r in server.requests if "electionsettings" in r.path]


def test_a_flag_that_cannot_be_read_fails_the_poll_rather_than_guess_live(server: FeedServer) -> None:
    publish(server, "271927", etag='"v1"')
    server.route(
        f"{BASE}/271927/json/en/electionsettings.json",
        Reply(200, settings_doc("maybe"), {"Content-Type": "application/json"}),
    )
    feed = clarity_feed(server)
    with pytest.raises(FeedError, match="istestmode 'maybe' is not true or false") as caught:
        feed.poll(None)
    assert caught.value.url is not None and caught.value.url.endswith("electionsettings.json")
    assert feed.cursor() == {}  # the version is read again next poll


def test_a_settings_outage_fails_the_poll(server: FeedServer) -> None:
    publish(server, "271927")
    server.route(f"{BASE}/271927/json/en/electionsettings.json", Reply(503, b"busy"))
    with pytest.raises(FeedError, match="HTTP 503") as caught:
        clarity_feed(server).poll(None)
    assert caught.value.status == 503
