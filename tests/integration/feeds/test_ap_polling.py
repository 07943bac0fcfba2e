"""Polling AP as AP asks, over a real loopback HTTP server: full, then nextrequest deltas."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.codec.errors import FeedConfigError, FeedError
from bot.core.model import CallStatus
from bot.feeds.ap import MAX_TRUNCATED_FOLLOWS, ApFeed
from bot.feeds.kinds import make_source, source_kinds
from bot.feeds.source import FeedSpec
from tests.fakes.feed_server import FeedServer, Reply, Request

from .samples import AP_FIXTURES, ap_bytes, ap_doc, fast_http

PATH = "/v2/elections/2017-12-12"
AFTER_FULL = {"minDateTime": "2017-12-13T02:00:00.000Z"}
AFTER_DELTA1 = {"minDateTime": "2017-12-13T02:30:00.000Z"}
AFTER_DELTA2 = {"minDateTime": "2017-12-13T03:30:00.000Z"}
KEY = "s3cret-test-key"

#: what ApFeed waited for (its ``sleep`` is swapped for this list's append)
sleeps: list[float] = []


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AP_API_KEY", KEY)


def script_night(server: FeedServer, *, delta1: dict[str, Any] | None = None) -> None:
    """Full reply, a truncated delta, its continuation (the call), then "nothing changed"."""
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_full.json")))
    server.route(PATH, Reply.json(delta1 or ap_doc("20171212_al_senate_delta1.json")), query=AFTER_FULL)
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_delta2.json")), query=AFTER_DELTA1)
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_delta3_empty.json")), query=AFTER_DELTA2)


def ap_feed(server: FeedServer, **options: Any) -> ApFeed:
    spec = FeedSpec(
        "ap-test", "ap", server.url(PATH + "?statePostal=AL&level=ru"), 5, {"quota_wait_seconds": 0.01, **options}
    )
    feed = ApFeed(spec, fast_http("ap-test"))
    feed.sleep = sleeps.append  # type: ignore[assignment]
    return feed


@pytest.fixture(autouse=True)
def no_sleeps() -> None:
    sleeps.clear()


def min_date_times(server: FeedServer) -> list[str | None]:
    return [r.query.get("minDateTime") for r in server.requests_to(PATH)]


def not_truncated(name: str) -> dict[str, Any]:
    doc = ap_doc(name)
    doc["isTruncated"] = False
    return doc


def test_first_poll_is_one_full_request_with_the_key_in_a_header_and_format_json(server: FeedServer) -> None:
    script_night(server)
    snap = ap_feed(server).poll(None)
    assert snap is not None and list(snap.races) == ["AL-1000", "AL-2001"]
    (request,) = server.requests_to(PATH)
    assert request.query["format"] == "json" and request.query["statePostal"] == "AL"
    assert request.headers["x-api-key"] == KEY
    assert KEY not in request.raw_path


def test_truncated_delta_is_followed_at_once_and_both_replies_are_merged(server: FeedServer) -> None:
    script_night(server)
    feed = ap_feed(server)
    first = feed.poll(None)
    second = feed.poll(first)
    assert min_date_times(server) == [None, AFTER_FULL["minDateTime"], AFTER_DELTA1["minDateTime"]]
    assert second is not None
    senate = second.races["AL-1000"]
    assert senate.call_status is CallStatus.CALLED and senate.winners == ("64985",)
    assert senate.state_unit.votes["64985"] == 671_151  # type: ignore[union-attr]
    assert second.races["AL-2001"].winners == ("7701",)  # the measure came in the continuation
    assert second.generated_at > first.generated_at  # type: ignore[union-attr]
    assert feed.cursor() == {
        "nextrequest": server.url(PATH) + "?format=json&level=ru&statePostal=AL&minDateTime=2017-12-13T03%3a30%3a00.000Z",
        "url": feed.spec.url,
    }


def test_delta_with_no_races_means_nothing_changed(server: FeedServer) -> None:
    script_night(server)
    feed = ap_feed(server)
    snap = feed.poll(feed.poll(None))
    assert feed.poll(snap) is None
    assert feed.poll(snap) is None  # AP repeats the same link while nothing changes
    assert min_date_times(server)[-2:] == [AFTER_DELTA2["minDateTime"]] * 2


def test_a_race_absent_from_a_delta_is_unchanged(server: FeedServer) -> None:
    script_night(server, delta1=not_truncated("20171212_al_senate_delta1.json"))
    feed = ap_feed(server)
    first = feed.poll(None)
    second = feed.poll(first)
    assert first is not None and second is not None
    assert second.races["AL-2001"] == first.races["AL-2001"]
    assert second.races["AL-1000"] != first.races["AL-1000"]


def test_votes_going_down_are_taken_as_the_new_numbers(server: FeedServer) -> None:
    script_night(server, delta1=not_truncated("20171212_al_senate_delta1.json"))
    feed = ap_feed(server)
    snap = feed.poll(feed.poll(None))
    assert snap is not None and snap.races["AL-1000"].unit("1719").votes["64985"] == 61_000  # type: ignore[union-attr]
    corrected = feed.poll(snap)
    assert corrected is not None and corrected.races["AL-1000"].unit("1719").votes["64985"] == 60_000  # type: ignore[union-attr]


def test_a_race_missing_from_a_full_reply_is_dropped(server: FeedServer) -> None:
    script_night(server)
    first = ap_feed(server).poll(None)
    later = ap_doc("20171212_al_senate_full.json")
    del later["races"][1]
    server.route(PATH, Reply.json(later))
    restarted = ap_feed(server)  # no cursor: a full request
    snap = restarted.poll(first)
    assert snap is not None and list(snap.races) == ["AL-1000"]


def test_restart_continues_from_the_stored_cursor(server: FeedServer) -> None:
    script_night(server, delta1=not_truncated("20171212_al_senate_delta1.json"))
    feed = ap_feed(server)
    first = feed.poll(None)
    cursor = dict(feed.cursor())
    restarted = ap_feed(server)
    restarted.restore(cursor)
    snap = restarted.poll(first)
    assert snap is not None and min_date_times(server) == [None, AFTER_FULL["minDateTime"]]


def test_a_cursor_of_another_feed_url_is_ignored(server: FeedServer) -> None:
    script_night(server)
    feed = ap_feed(server)
    feed.restore({"nextrequest": "http://api.ap.org/v2/elections/2017-12-12?minDateTime=x", "url": "https://elsewhere/"})
    assert feed.cursor() == {}


def test_a_cursor_without_a_previous_snapshot_starts_with_a_full_request(server: FeedServer) -> None:
    script_night(server)
    feed = ap_feed(server)
    feed.restore({"nextrequest": server.url(PATH) + "?minDateTime=2017-12-13T02%3a00%3a00.000Z"})
    assert feed.poll(None) is not None
    assert min_date_times(server) == [None]


def test_next_request_is_followed_on_the_configured_origin_only(server: FeedServer) -> None:
    # The fixtures name http://api.ap.org; the key must never travel there from a test (or
    # anywhere the config does not name): path and query are kept, the origin is ours.
    script_night(server)
    feed = ap_feed(server)
    feed.poll(feed.poll(None))
    assert all(r.headers.get("x-api-key") == KEY for r in server.requests_to(PATH))
    assert len(server.requests) == 3


def test_truncation_follow_ups_are_bounded(server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    script_night(server)
    endless = ap_doc("20171212_al_senate_delta1.json")  # isTruncated forever, same link
    endless["nextrequest"] = "http://api.ap.org/v2/elections/2017-12-12?minDateTime=again"
    server.route(PATH, Reply.json(endless), query=AFTER_FULL)
    server.route(PATH, Reply.json(endless), query={"minDateTime": "again"})
    feed = ap_feed(server)
    first = feed.poll(None)
    with caplog.at_level(logging.WARNING):
        snap = feed.poll(first)
    assert snap is not None and snap.races["AL-1000"].state_unit.precincts_reporting == 1800  # type: ignore[union-attr]
    assert len(server.requests_to(PATH)) == 1 + MAX_TRUNCATED_FOLLOWS
    assert "still truncated" in caplog.text


def test_304_on_the_next_request_means_unchanged(server: FeedServer) -> None:
    script_night(server)
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_delta3_empty.json"), etag='"v9"'), query=AFTER_DELTA2)
    feed = ap_feed(server)
    snap = feed.poll(feed.poll(None))
    assert feed.poll(snap) is None
    assert feed.poll(snap) is None
    last = server.requests_to(PATH)[-1]
    assert last.headers.get("if-none-match") == '"v9"'


def test_quota_403_is_waited_out_once_then_the_reply_is_used(server: FeedServer) -> None:
    server.route(PATH, Reply(403, b"Per-minute quota exceeded"), Reply.json(ap_doc("20171212_al_senate_full.json")))
    snap = ap_feed(server, quota_wait_seconds=0.05).poll(None)
    assert snap is not None
    assert sleeps == [0.05] and len(server.requests_to(PATH)) == 2


def test_quota_403_twice_is_a_feed_error_and_the_cursor_survives(server: FeedServer) -> None:
    script_night(server, delta1=not_truncated("20171212_al_senate_delta1.json"))
    feed = ap_feed(server)
    first = feed.poll(None)
    cursor = dict(feed.cursor())
    server.route(PATH, Reply(403, b"Over quota limit"), query=AFTER_FULL)
    with pytest.raises(FeedError, match="quota still exceeded") as caught:
        feed.poll(first)
    assert caught.value.retry_after == 0.01 and len(sleeps) == 1
    assert feed.cursor() == cursor
    server.route(PATH, Reply.json(not_truncated("20171212_al_senate_delta1.json")), query=AFTER_FULL)
    assert feed.poll(first) is not None
    assert min_date_times(server)[-1] == AFTER_FULL["minDateTime"]


def test_401_is_one_config_error_naming_the_variable_not_the_key(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_AP_KEY", "wrong-key-123")
    server.route(PATH, Reply(401, b"Invalid API key"))
    with pytest.raises(FeedConfigError, match=r"\$MY_AP_KEY") as caught:
        ap_feed(server, api_key_env="MY_AP_KEY").poll(None)
    assert "wrong-key-123" not in str(caught.value)
    assert server.requests_to(PATH)[0].headers["x-api-key"] == "wrong-key-123"
    assert sleeps == []


def test_a_body_cut_off_mid_transfer_is_a_feed_error(server: FeedServer) -> None:
    body = (AP_FIXTURES / "20171212_al_senate_full.json").read_bytes()
    server.route(PATH, Reply(200, body, {"Content-Type": "application/json"}, truncate=100))
    with pytest.raises(FeedError, match="connection broke") as caught:
        ap_feed(server).poll(None)
    assert caught.value.feed == "ap-test" and PATH in (caught.value.url or "")


def test_an_html_error_page_served_with_200_is_refused(server: FeedServer) -> None:
    server.route(PATH, Reply.text("<html><body>Down for maintenance</body></html>", content_type="text/html"))
    with pytest.raises(FeedError, match="text/html"):
        ap_feed(server).poll(None)


def test_a_server_that_hangs_is_a_timeout(server: FeedServer) -> None:
    server.route(PATH, Reply(hang=3.0))
    feed = ApFeed(FeedSpec("ap-test", "ap", server.url(PATH)), fast_http("ap-test", read_timeout=0.3))
    with pytest.raises(FeedError, match="timed out"):
        feed.poll(None)


def test_gzip_replies_are_read(server: FeedServer) -> None:
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_full.json"), gzip=True))
    assert ap_feed(server).poll(None) is not None
    assert "gzip" in server.requests_to(PATH)[0].headers["accept-encoding"]


def test_live_data_after_test_data_starts_again_with_a_full_request(server: FeedServer) -> None:
    test_night = ap_doc("20171212_al_senate_test.json")
    server.route(PATH, Reply.json(test_night))
    feed = ap_feed(server)
    rehearsal = feed.poll(None)
    assert rehearsal is not None and rehearsal.test
    server.route(PATH, Reply.json(not_truncated("20171212_al_senate_delta1.json")), query=AFTER_FULL)
    server.route(PATH, Reply.json(ap_doc("20171212_al_senate_full.json")))
    live = feed.poll(rehearsal)
    assert live is not None and not live.test and list(live.races) == ["AL-1000", "AL-2001"]
    assert min_date_times(server) == [None, AFTER_FULL["minDateTime"], None]


def test_a_saved_reply_on_disk_is_replayed_as_a_full_reply() -> None:
    path = AP_FIXTURES / "20171212_al_senate_full.json"
    feed = ApFeed(FeedSpec("ap-file", "ap", str(path)), fast_http("ap-file"))
    snap = feed.poll(None)
    assert snap is not None and len(snap.races) == 2 and feed.cursor() == {}
    assert feed.poll(snap) is None  # the file has not changed


def test_an_api_mirrored_to_disk_is_asked_like_the_api_nextrequest_included(tmp_path: Path) -> None:
    """``replay --via disk`` lays AP's URLs out as files (the query in the file name): the feed
    must follow its cursor there and merge deltas, unlike a saved reply."""
    endpoint = tmp_path / "v2" / "elections" / "2017-12-12"
    endpoint.parent.mkdir(parents=True)

    def publish(query: str, name: str) -> None:
        Path(f"{endpoint}?{query}").write_bytes(ap_bytes(name))

    publish("level=ru&statePostal=AL&format=json", "20171212_al_senate_full.json")
    after = "format=json&level=ru&statePostal=AL&minDateTime=2017-12-13T"
    publish(after + "02%3a00%3a00.000Z", "20171212_al_senate_delta1.json")
    publish(after + "02%3a30%3a00.000Z", "20171212_al_senate_delta2.json")
    feed = ApFeed(FeedSpec("ap-mirror", "ap", endpoint.as_uri() + "?level=ru&statePostal=AL"), fast_http("ap-mirror"))
    first = feed.poll(None)
    assert first is not None and len(first.races) == 2 and not first.races["AL-1000"].winners
    merged = feed.poll(first)
    assert merged is not None and merged.races["AL-1000"].call_status is CallStatus.CALLED
    assert list(merged.races) == ["AL-1000", "AL-2001"]
    assert feed.cursor()["nextrequest"].endswith("?" + after + "03%3a30%3a00.000Z")
    with pytest.raises(FeedError, match="cannot read file"):
        feed.poll(merged)  # the next delta is not on disk yet


def test_the_three_adapters_register_their_kinds(server: FeedServer) -> None:
    assert {"ap", "clarity", "csv", "json"} <= set(source_kinds())
    assert isinstance(make_source(FeedSpec("x", "ap", server.url(PATH))), ApFeed)


def test_requests_carry_no_key_when_none_is_configured(server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AP_API_KEY")
    script_night(server)
    ap_feed(server).poll(None)
    request: Request = server.requests_to(PATH)[0]
    assert "x-api-key" not in request.headers


def test_a_truncated_sequence_that_switches_to_test_data_is_refused(server: FeedServer) -> None:
    first = ap_doc("20171212_al_senate_full.json")
    first["isTruncated"] = True
    rest = ap_doc("20171212_al_senate_test.json")
    rest["races"] = rest["races"][1:]
    server.route(PATH, Reply.json(first))
    server.route(PATH, Reply.json(rest), query=AFTER_FULL)
    feed = ap_feed(server)
    with pytest.raises(FeedError, match="mix test and live"):
        feed.poll(None)
    assert feed.cursor() == {}
