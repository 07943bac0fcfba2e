"""Race-level isolation in the Clarity and CSV adapters, over loopback HTTP: a contest (or a CSV
race) that cannot be read is left out with one log line per version of the reply, keeps its last
good version, and costs no other race. (AP and our JSON feed: tests/integration/commands/test_one_odd_race.py.)"""

from __future__ import annotations

import json
import logging

import pytest

from bot.feeds.clarity import ClarityFeed
from bot.feeds.csv_feed import CsvFeed
from bot.feeds.source import FeedSpec
from tests.fakes.feed_server import FeedServer, Reply

from .samples import CLARITY_FIXTURES, CSV_FIXTURES, fast_http, zip_of

GA_SUMMARY = json.loads((CLARITY_FIXTURES / "20201103_ga_summary.json").read_bytes())
GA_DETAIL = (CLARITY_FIXTURES / "20201103_ga_detail.xml").read_bytes()
BASE = "/GA/105369"
AL_CSV = (CSV_FIXTURES / "20171212__al__special__general__precinct.csv").read_text(encoding="utf-8")


def publish(server: FeedServer, version: str, summary: list, detail: bytes = GA_DETAIL) -> None:
    server.route(f"{BASE}/current_ver.txt", Reply.text(version))
    server.route(f"{BASE}/{version}/json/en/summary.json", Reply.json(summary))
    server.route(
        f"{BASE}/{version}/reports/detailxml.zip",
        Reply(200, zip_of({"detail.xml": detail}), {"Content-Type": "application/zip"}),
    )


def clarity(server: FeedServer) -> ClarityFeed:
    return ClarityFeed(FeedSpec("ga", "clarity", server.url(BASE + "/"), 30, {"settings": False}), fast_http("ga"))


def left_out(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if " left out: " in r.getMessage()]


def test_a_clarity_contest_that_cannot_be_read_keeps_its_last_good_version_and_is_said_once_per_version(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    publish(server, "1", GA_SUMMARY)
    feed = clarity(server)
    good = feed.poll(None)
    assert good is not None and set(good.races) == {"GA-5000", "GA-800100", "GA-43920"}
    broken = json.loads(json.dumps(GA_SUMMARY))
    broken[2]["V"][0] = -4  # the state senate special's first choice
    with caplog.at_level(logging.WARNING):
        publish(server, "2", broken)
        second = feed.poll(good)
        assert feed.poll(second) is None  # the same version: nothing fetched, nothing said
        publish(server, "3", broken)
        third = feed.poll(second)
    assert second is not None and third is not None
    assert (
        left_out(caplog) == ["feed 'ga': race 43920 of summary.json left out: contest 43920: negative votes"] * 2
    )  # versions 2 and 3
    assert third.races["GA-43920"] == good.races["GA-43920"]  # its last good version
    assert third.races["GA-5000"] == good.races["GA-5000"] and third.races["GA-800100"] == good.races["GA-800100"]


def test_a_clarity_detail_contest_that_cannot_be_read_leaves_its_summary_totals(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    detail = GA_DETAIL.replace(
        b'<Contest key="800100" text="Constitutional Amendment #1" voteFor="1"',
        b'<Contest key="800100" text="Constitutional Amendment #1" voteFor="-1"',
        1,
    )
    assert detail != GA_DETAIL
    publish(server, "1", GA_SUMMARY, detail)
    with caplog.at_level(logging.WARNING):
        snap = clarity(server).poll(None)
    assert snap is not None
    (line,) = left_out(caplog)
    assert line.startswith("feed 'ga': race 800100 of detail.xml left out: contest 800100:")
    amendment = snap.races["GA-800100"]
    assert (
        amendment.subunits == () and amendment.state_unit is not None and amendment.state_unit.total_votes > 0
    )  # summary.json's totals
    assert snap.races["GA-5000"].subunits  # the other detail contest keeps its counties


def test_a_clarity_summary_and_detail_that_disagree_on_one_contest_cost_that_contest(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    summary = json.loads(json.dumps(GA_SUMMARY))
    summary[0]["CH"][0] = "Someone Else"  # the President's first choice, not in detail.xml
    publish(server, "1", summary)
    with caplog.at_level(logging.WARNING):
        snap = clarity(server).poll(None)
    assert snap is not None and set(snap.races) == {"GA-800100", "GA-43920"}
    (line,) = left_out(caplog)
    assert line.startswith(
        "feed 'ga': race GA-5000 left out: summary.json and detail.xml disagree on the choices of contest 5000"
    )


def csv_feed(server: FeedServer) -> CsvFeed:
    return CsvFeed(FeedSpec("al-csv", "csv", server.url("/al.csv"), 30, {"state": "AL"}), fast_http("al-csv"))


def test_a_csv_row_that_cannot_be_read_costs_its_race_once_per_file(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    extra = "Autauga,0040 E_MEMORIAL CHRISTIAN,PROBATE JUDGE,,DEM,Ann Able,12,fixture\nAutauga,0050 PRATTVILLE CHURCH,PROBATE JUDGE,,REP,Bob Baker,9,fixture\n"
    good_text = AL_CSV + extra
    server.route("/al.csv", Reply.text(good_text, content_type="text/csv"))
    feed = csv_feed(server)
    good = feed.poll(None)
    assert good is not None and {"AL-united-states-senator", "AL-probate-judge"} <= set(good.races)
    bad_text = good_text.replace("Doug Jones,400,", "Doug Jones,four hundred,", 1)
    server.route("/al.csv", Reply.text(bad_text, content_type="text/csv"))  # no validators: read again every poll
    with caplog.at_level(logging.WARNING):
        first = feed.poll(good)
        again = feed.poll(first)
    assert left_out(caplog) == [
        "feed 'al-csv': race AL-united-states-senator left out: CSV line 11: votes 'four hundred' is not a number"
    ]
    assert first is not None and again is not None
    assert again.races["AL-united-states-senator"] == good.races["AL-united-states-senator"]  # last good kept
    assert again.races["AL-probate-judge"] == good.races["AL-probate-judge"]


def test_a_csv_row_with_no_office_is_said_by_its_line(server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    text = AL_CSV.replace(
        "Autauga,0050 PRATTVILLE CHURCH,UNITED STATES SENATOR,,DEM", "Autauga,0050 PRATTVILLE CHURCH,,,DEM", 1
    )
    server.route("/al.csv", Reply.text(text, content_type="text/csv"))
    with caplog.at_level(logging.WARNING):
        snap = csv_feed(server).poll(None)
    assert snap is not None and "AL-united-states-senator" in snap.races
    assert left_out(caplog) == ["feed 'al-csv': row line 11 left out: CSV line 11: office and candidate must not be empty"]


def test_a_clarity_county_row_that_cannot_be_read_costs_that_county(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    publish(server, "1", GA_SUMMARY)
    whole = clarity(server).poll(None)
    row = b'<County name="Appling" votes="'
    at = GA_DETAIL.index(row) + len(row)
    detail = GA_DETAIL[:at] + b"n/a" + GA_DETAIL[GA_DETAIL.index(b'"', at) :]
    publish(server, "2", GA_SUMMARY, detail)
    with caplog.at_level(logging.WARNING):
        snap = clarity(server).poll(None)
    assert whole is not None and snap is not None
    assert left_out(caplog) == [
        "feed 'ga': unit Appling of race GA-5000 left out: County@votes 'n/a' is not a whole number ≥ 0"
    ]
    president, before = snap.races["GA-5000"], whole.races["GA-5000"]
    assert president.state_unit == before.state_unit  # the contest's totals are the choices'
    assert [u.id for u in president.subunits] == [u.id for u in before.subunits if u.id != "Appling"]
    assert snap.races["GA-800100"] == whole.races["GA-800100"]
