"""AP's trendtable reports read with the races, over a real loopback HTTP server: fetched on every
poll with conditional GET, kept through 304s and broken reports, carried by the snapshot."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.codec import native
from bot.codec.errors import FeedConfigError, FeedError
from bot.core.model import CallStatus, Snapshot
from bot.feeds.ap import ApFeed
from bot.feeds.source import FeedSpec
from tests.fakes.feed_server import FeedServer, Reply

from .samples import AP_FIXTURES, SHARED_SAMPLES, ap_doc, fast_http, needs_shared

PATH = "/v2/elections/2017-12-12"
SENATE = "/v2/reports/senate-trend"
HOUSE = "/v2/reports/house-trend"
AFTER_FULL = {"minDateTime": "2017-12-13T02:00:00.000Z"}
AFTER_DELTA2 = {"minDateTime": "2017-12-13T03:30:00.000Z"}
KEY = "s3cret-test-key"
TRENDS = AP_FIXTURES / "20171213_senate_trends.json"
HOUSE_TRENDS = Path(__file__).resolve().parents[2] / "unit" / "context" / "trendtable_house.json"


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AP_API_KEY", KEY)


def senate_doc(**dem: str) -> dict[str, Any]:
    """The repo's Senate report, with the Democrats' Won/Leading/Holdovers overridden."""
    doc = json.loads(TRENDS.read_text(encoding="utf-8"))
    trend = doc["trendtable"]["party"][0]["trend"]
    for pair in trend:
        for key in list(pair):
            if key in dem:
                pair[key] = dem[key]
    return doc


def script_races(server: FeedServer) -> None:
    """A full reply, then a delta that calls the race (not truncated), then "nothing changed"."""
    delta = ap_doc("20171212_al_senate_delta2.json")
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_full.json")))
    server.route(PATH, Reply.json(delta), query=AFTER_FULL)
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_delta3_empty.json")), query=AFTER_DELTA2)


def ap_feed(server: FeedServer, *reports: str, **options: Any) -> ApFeed:
    urls = [server.url(r) if r.startswith("/v2/") else r for r in reports]
    spec = FeedSpec(
        "ap-test",
        "ap",
        server.url(PATH + "?statePostal=AL&level=ru"),
        5,
        {"quota_wait_seconds": 0.01, "trendtables": urls, **options},
    )
    return ApFeed(spec, fast_http("ap-test"))


def dem_seats(snapshot: Snapshot | None) -> int:
    assert snapshot is not None and len(snapshot.balance) == 1
    dem = snapshot.balance[0].party("Dem")
    assert dem is not None
    return dem.seats


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_report_is_fetched_with_the_races_as_json_with_the_key_in_a_header(server: FeedServer) -> None:
    script_races(server)
    server.route(SENATE, Reply.file(TRENDS, "application/json"))
    snap = ap_feed(server, SENATE).poll(None)
    assert snap is not None and list(snap.races) == ["AL-1000", "AL-2001"]
    (table,) = snap.balance
    assert (table.office, table.office_type, table.test) == ("U.S. Senate", "S", False)
    assert [(p.party, p.won, p.holdovers) for p in table.parties] == [("Dem", 1, 46), ("GOP", 0, 51), ("Others", 0, 2)]
    (request,) = server.requests_to(SENATE)
    assert request.headers["x-api-key"] == KEY and KEY not in request.raw_path
    assert request.query["format"] == "json"


def test_every_poll_asks_again_and_a_304_keeps_the_table(server: FeedServer) -> None:
    script_races(server)
    server.route(SENATE, Reply.json(senate_doc(), etag='"t1"'))
    feed = ap_feed(server, SENATE)
    first = feed.poll(None)
    called = feed.poll(first)  # the races change; the report answers 304
    assert called is not None and called.races["AL-1000"].call_status is CallStatus.CALLED
    assert called.balance == first.balance  # type: ignore[union-attr]
    assert feed.poll(called) is None  # nothing new anywhere: no snapshot
    asked = server.requests_to(SENATE)
    assert len(asked) == 3 and [r.headers.get("if-none-match") for r in asked] == [None, '"t1"', '"t1"']


def test_a_new_report_alone_makes_a_new_snapshot_with_the_same_races(server: FeedServer) -> None:
    script_races(server)
    server.route(SENATE, Reply.json(senate_doc(Won="0", Leading="1"), etag='"t1"'))
    feed = ap_feed(server, SENATE)
    first = feed.poll(None)
    called = feed.poll(first)
    assert feed.poll(called) is None
    server.route(SENATE, Reply.json(senate_doc(), etag='"t2"'))
    later = feed.poll(called)
    assert later is not None and called is not None
    assert later.races == called.races and later.generated_at == called.generated_at
    assert dem_seats(called) == 46 and dem_seats(later) == 47
    assert native.parse(native.dumps(later), later.feed) == later  # what the store will hold


def test_a_broken_report_keeps_the_last_good_table_with_one_log_line_and_the_races_still_update(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    script_races(server)
    server.route(SENATE, Reply.json(senate_doc()))
    feed = ap_feed(server, SENATE)
    first = feed.poll(None)
    server.route(SENATE, Reply.json({"trendtable": {"office": "U.S. Senate", "party": []}}))
    with caplog.at_level(logging.WARNING):
        called = feed.poll(first)
        assert feed.poll(called) is None  # broken again: no second line, no snapshot
    assert called is not None and called.races["AL-1000"].winners == ("64985",)
    assert called.balance == first.balance  # type: ignore[union-attr]
    (line,) = warnings(caplog)
    assert "trendtable report" in line and SENATE in line and "'party' should be a non-empty list" in line
    assert "keeping the last good table" in line
    assert len(server.requests_to(SENATE)) == 3  # the bad body was not cached as seen


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(503, b"Service Unavailable"), "HTTP 503"),
        (Reply.text("<html><body>Down</body></html>", content_type="text/html"), "text/html"),
        (Reply(200, b'{"trendtable": ', {"Content-Type": "application/json"}), "not JSON"),
        (Reply.json(ap_doc("20171212_al_senate_full.json")), "no 'trendtable' object"),
    ],
)
def test_a_report_that_cannot_be_read_never_fails_the_races_poll(
    server: FeedServer, caplog: pytest.LogCaptureFixture, reply: Reply, reason: str
) -> None:
    script_races(server)
    server.route(SENATE, reply)
    with caplog.at_level(logging.WARNING):
        snap = ap_feed(server, SENATE).poll(None)
    assert snap is not None and len(snap.races) == 2 and snap.balance == ()
    (line,) = warnings(caplog)
    assert reason in line and "no table from it yet" in line


def test_a_key_in_a_report_url_never_reaches_the_log(server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    script_races(server)
    server.route(SENATE, Reply(500, b"oops"))
    with caplog.at_level(logging.WARNING):
        ap_feed(server, server.url(SENATE + "?apikey=url-secret")).poll(None)
    assert "url-secret" not in caplog.text and KEY not in caplog.text and "REDACTED" in caplog.text


def test_two_reports_and_one_failing_keeps_the_other(server: FeedServer) -> None:
    script_races(server)
    server.route(SENATE, Reply.json(senate_doc()))
    server.route(HOUSE, Reply(404, b"no such report"))
    snap = ap_feed(server, SENATE, HOUSE).poll(None)
    assert snap is not None and [t.office for t in snap.balance] == ["U.S. Senate"]


def test_a_test_report_is_never_put_in_a_live_snapshot(server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    script_races(server)
    server.route(HOUSE, Reply.file(HOUSE_TRENDS, "application/json"))  # Test: "1"
    feed = ap_feed(server, HOUSE)
    with caplog.at_level(logging.WARNING):
        first = feed.poll(None)
        feed.poll(first)
    assert first is not None and not first.test and first.balance == ()
    (line,) = warnings(caplog)
    assert "is test data and the races are live; left out" in line


def test_after_a_restart_a_report_not_read_yet_keeps_the_stored_table(server: FeedServer) -> None:
    script_races(server)
    server.route(SENATE, Reply.json(senate_doc()))
    stored = ap_feed(server, SENATE).poll(None)
    server.route(SENATE, Reply(503, b"down"))
    restarted = ap_feed(server, SENATE)
    again = restarted.poll(stored)  # a full request: the races are read afresh
    assert again is not None and again.balance == stored.balance  # type: ignore[union-attr]


def test_a_report_on_disk_is_read_and_an_unchanged_file_keeps_it(server: FeedServer, tmp_path: Path) -> None:
    script_races(server)
    path = tmp_path / "senate.json"
    path.write_bytes(TRENDS.read_bytes())
    feed = ap_feed(server, str(path))
    first = feed.poll(None)
    called = feed.poll(first)
    assert dem_seats(first) == 47 and called is not None and called.balance == first.balance  # type: ignore[union-attr]


def test_without_reports_configured_nothing_else_is_asked(server: FeedServer) -> None:
    script_races(server)
    spec = FeedSpec("ap-test", "ap", server.url(PATH + "?statePostal=AL&level=ru"))
    snap = ApFeed(spec, fast_http("ap-test")).poll(None)
    assert snap is not None and snap.balance == () and {r.path for r in server.requests} == {PATH}


@pytest.mark.parametrize("bad", [42, [""], ["http://x/", 3], {"senate": "http://x/"}])
def test_a_malformed_trendtables_option_stops_the_feed_at_start(server: FeedServer, bad: object) -> None:
    spec = FeedSpec("ap-test", "ap", server.url(PATH), options={"trendtables": bad})
    with pytest.raises(FeedConfigError, match="options.trendtables"):
        ApFeed(spec, fast_http("ap-test"))


def test_a_races_failure_is_still_a_feed_error(server: FeedServer) -> None:
    server.route(PATH, Reply(500, b"down"))
    server.route(SENATE, Reply.json(senate_doc()))
    with pytest.raises(FeedError, match="HTTP 500"):
        ap_feed(server, SENATE).poll(None)


@needs_shared
def test_the_shared_senate_sample_is_read_as_a_report(server: FeedServer) -> None:
    script_races(server)
    server.route(SENATE, Reply.file(SHARED_SAMPLES / "ap" / "20160818_senate_trends.json", "application/json"))
    snap = ap_feed(server, SENATE).poll(None)
    assert snap is not None
    dem = snap.balance[0].party("Dem")
    assert dem is not None and (dem.won, dem.holdovers, dem.seats, dem.net_winners) == (23, 30, 53, 2)


def test_the_report_does_not_change_the_races(server: FeedServer) -> None:
    script_races(server)
    server.route(SENATE, Reply.json(senate_doc()))
    with_report = ap_feed(server, SENATE).poll(None)
    without = ApFeed(FeedSpec("ap-test", "ap", server.url(PATH + "?statePostal=AL&level=ru")), fast_http("ap-test")).poll(
        None
    )
    assert with_report is not None and without is not None
    assert with_report.races == without.races and with_report.balance and not without.balance
