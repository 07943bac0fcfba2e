"""One bad alert costs one alert, never its channel's night: an error no platform gives (a
renderer or client bug) is tried a bounded number of times, then the row is set aside as failed,
said once, and the channel's next alerts go on. A platform's own errors (5xx, an outage) are
retried as long as they last, and a bug that struck after the post landed is found in the channel
before anything is set aside or posted again."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.delivery.worker import UNEXPECTED_TRIES
from tests.fakes.sample_alerts import alert
from tests.unit.delivery.desk import desk

N = UNEXPECTED_TRIES


def _boom() -> Exception:
    return TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")


def _bugs(d, key: str) -> int:
    return sum(1 for c in d.sink.calls if c.outcome == "bug" and key in c.keys)


def test_an_alert_that_cannot_be_rendered_is_set_aside_after_n_tries_and_its_channel_goes_on(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, "electionbot.delivery")
    d = desk(tmp_path, {"C1": "messages", "C2": "messages"})
    bad, *rest = [alert(n) for n in range(3)]
    other = [alert(n, "AL-2") for n in range(2)]
    d.queue("C1", bad, *rest)
    d.queue("C2", *other)
    d.sink.bug_on(bad.key, _boom)

    while _bugs(d, bad.key) < N - 1:
        d.deliver()
        d.clock.advance(0.5)
    d.run(14.5)  # the longest wait before try N is 15 s: N - 1 tries, and it is still kept
    assert _bugs(d, bad.key) == N - 1
    assert "failed" not in d.backlog() and d.sink.posted_keys("C1") == []  # order kept meanwhile
    assert d.sink.posted_keys("C2") == d.keys(other)  # another channel is not held up

    d.drain()
    assert _bugs(d, bad.key) == N  # exactly N tries, then set aside
    assert d.sink.posted_keys("C1") == d.keys(rest)
    assert d.backlog() == {"sent": 4, "failed": 1}
    ((platform, channel, error),) = d.store.delivery_failures()
    assert (platform, channel) == ("memory", "C1")
    assert bad.key in error and f"{N} unexpected errors" in error and "TypeError" in error
    said = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(said) == 1 and bad.key in said[0].getMessage() and "C1" in said[0].getMessage()
    assert "TypeError: unsupported operand" in said[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG]  # tracebacks at DEBUG only


def test_an_outage_longer_than_n_tries_loses_nothing(tmp_path):
    d = desk(tmp_path, {"C1": "messages"})
    alerts = [alert(n) for n in range(3)]
    d.queue("C1", *alerts)
    d.sink.fail_next("send", times=3 * N)  # 5xx after 5xx: a platform's outage, not a bug
    d.drain(limit=600)
    assert d.sink.posted_keys("C1") == d.keys(alerts)
    assert d.backlog() == {"sent": 3}
    assert len([c for c in d.sink.calls_to("send") if c.outcome == "server_error"]) == 3 * N


def test_a_bug_after_the_post_landed_is_found_in_the_channel_not_set_aside_nor_posted_twice(tmp_path):
    """With one try allowed, the row is due to be set aside at once: the channel is read first."""
    d = desk(tmp_path, {"C1": "messages"}, unexpected_tries=1)
    first, second = alert(0), alert(1)
    d.queue("C1", first, second)
    d.sink.bug_on(first.key, _boom, after_post=True)  # lands, then the client fails on the reply
    d.drain()
    assert d.sink.posted_keys("C1") == [first.key, second.key]
    assert d.backlog() == {"sent": 2} and d.worker.stats["reconciled"] == 1


def test_a_bad_alert_in_a_catch_up_message_is_set_aside_and_the_others_go_one_by_one(tmp_path):
    d = desk(tmp_path, {"C1": "messages"}, summarize_after=timedelta(minutes=15))
    alerts = [alert(n) for n in range(4)]
    d.queue("C1", *alerts)
    d.sink.bug_on(alerts[1].key, _boom)
    d.clock.advance(20 * 60)  # an outage's backlog: one catch-up message is due
    d.drain()
    assert [c.method for c in d.sink.calls if c.outcome == "bug"] == ["send_summary"] + ["send"] * N
    assert d.sink.posted_keys("C1") == [alerts[0].key, alerts[2].key, alerts[3].key]
    assert d.backlog() == {"sent": 3, "failed": 1}


def test_a_picture_that_cannot_be_drawn_is_one_line_and_holds_nothing_up(tmp_path, caplog):
    from bot.core.events import EventKind
    from tests.fakes.sample_alerts import picture_order

    caplog.set_level(logging.DEBUG, "electionbot.delivery")
    call, after = alert(0, kind=EventKind.RACE_CALLED), alert(1)

    def draw(order):
        raise ValueError("no such projection")

    d = desk(tmp_path, {"C1": "messages"}, draw=draw)
    d.queue("C1", call, picture_order(call), after)
    d.drain()
    assert d.sink.posted_keys("C1") == [call.key, after.key] and d.sink.pictures("C1") == []
    assert d.backlog() == {"sent": 2, "skipped": 1}
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1 and "ValueError: no such projection" in said[0].getMessage() and not said[0].exc_info
