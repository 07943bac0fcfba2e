"""GET /healthz: the feeds' last polls, the outbox's depth and the poller's lease, read from the
store; 503 once the poller has missed three intervals (pinned at the boundary, mocked clock)."""

from __future__ import annotations

import os
import socket

import pytest

from bot.app.health import MIN_STALE_SECONDS, STALE_AFTER_INTERVALS, min_stale_seconds, stale_after
from config.settings import ConfigError
from tests.integration.ops.conftest import CHANNEL, FEED, INTERVAL


def test_a_fresh_poll_is_healthy_and_the_report_says_what_it_read(ops_bot) -> None:
    bot = ops_bot()
    bot.runtime.pollers[0].on_queued = None  # deliver later, by hand, to see the outbox hold it
    assert bot.runtime.lease is not None and bot.runtime.lease.ensure()  # as the scheduler asks before a poll
    assert bot.runtime.pollers[0].poll().status == "changed"
    polled_at = bot.clock.now.isoformat()
    queued = bot.runtime.store.backlog().get("pending", 0)
    assert queued > 0
    status, report = bot.health()
    assert status == 200 and report["status"] == "ok" and report["stale_feeds"] == []
    (feed,) = report["feeds"]
    assert feed == {
        "feed": FEED,
        "configured": True,
        "interval_seconds": INTERVAL,
        "last_poll_at": polled_at,
        "last_success_at": polled_at,
        "consecutive_failures": 0,
        "last_error": None,
        "stale": False,
    }
    assert report["outbox"] == {"slack": {"pending": queued, "sending": 0, "failed": 0}}
    # this process polled, so it holds the poller's lease (bot/store/lease.py)
    assert report["poller"]["holder"] == f"{socket.gethostname()}:{os.getpid()}", report["poller"]
    assert report["poller"]["since"] and report["poller"]["renewed"]

    bot.clock.advance(5)
    assert bot.runtime.worker.deliver_due() == queued
    assert len(bot.slack.posts(CHANNEL)) == queued
    assert bot.health()[1]["outbox"] == {}, "nothing unsent or failed is left to count"


def test_stale_at_three_intervals_and_not_a_moment_before(ops_bot) -> None:
    bot = ops_bot()
    assert stale_after(INTERVAL).total_seconds() == STALE_AFTER_INTERVALS * INTERVAL == 90
    bot.runtime.pollers[0].poll()
    bot.clock.advance(90)
    assert bot.health()[0] == 200
    bot.clock.advance(0.001)
    status, report = bot.health()
    assert status == 503 and report["status"] == "stale" and report["stale_feeds"] == [FEED]
    assert report["feeds"][0]["stale"] is True
    bot.runtime.pollers[0].poll()  # the poller is back: healthy at once
    assert bot.health()[0] == 200


def test_a_failing_feed_is_polled_so_not_stale_and_its_error_shows_without_secrets(ops_bot) -> None:
    bot = ops_bot(feed_url="http://127.0.0.1:9/v2/elections?apiKey=sekrit-ap-key")
    for _ in range(3):
        assert bot.runtime.pollers[0].poll().status == "failed"
        bot.clock.advance(60)
    bot.runtime.store.record_failure(
        FEED, "HTTP 403 at https://api.ap.org/v2/elections?apiKey=sekrit-ap-key (xoxb-12-34-abc)", bot.clock()
    )
    status, report = bot.health()
    assert status == 200, "a failing feed is the feed's trouble, not a stopped poller"
    feed = report["feeds"][0]
    assert feed["consecutive_failures"] == 4 and feed["last_success_at"] is None and feed["stale"] is False
    assert "HTTP 403" in feed["last_error"]
    text = bot.get("/healthz").text
    assert "sekrit-ap-key" not in text and "xoxb-12-34-abc" not in text and "[redacted]" in text


def test_a_feed_never_polled_counts_from_the_web_process_start(ops_bot) -> None:
    """Right after a deploy the worker has not polled yet: that is not an outage until it is late."""
    bot = ops_bot()
    limit = max(STALE_AFTER_INTERVALS * INTERVAL, MIN_STALE_SECONDS)
    status, report = bot.health()
    assert status == 200 and report["feeds"][0]["last_poll_at"] is None
    bot.clock.advance(limit)
    assert bot.health()[0] == 200
    bot.clock.advance(1)
    assert bot.health()[0] == 503


def test_a_short_interval_still_waits_a_minute(ops_bot) -> None:
    assert stale_after(1).total_seconds() == MIN_STALE_SECONDS
    assert stale_after(20).total_seconds() == MIN_STALE_SECONDS
    assert stale_after(21).total_seconds() == 63


def test_the_floor_can_be_set_for_a_desk_polling_every_few_seconds() -> None:
    assert min_stale_seconds({}) == MIN_STALE_SECONDS == 60
    assert min_stale_seconds({"HEALTHZ_MIN_STALE_SECONDS": "3"}) == 3
    assert stale_after(1, min_stale_seconds({"HEALTHZ_MIN_STALE_SECONDS": "3"})).total_seconds() == 3
    for bad in ("0", "-5", "soon", "nan"):
        with pytest.raises(ConfigError, match="HEALTHZ_MIN_STALE_SECONDS"):
            min_stale_seconds({"HEALTHZ_MIN_STALE_SECONDS": bad})
