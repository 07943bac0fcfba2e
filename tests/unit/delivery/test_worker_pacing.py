"""Pacing and the 429 hold, pinned to the millisecond on the desk's clock: a channel's next post
goes exactly ``min_interval`` after the last answer, and a 429 holds it exactly its Retry-After
(not a millisecond less), while the other channels go on."""

from __future__ import annotations

from itertools import pairwise

from tests.fakes.sample_alerts import alert
from tests.unit.delivery.desk import desk

MS = 0.001


def test_the_next_post_waits_the_whole_interval_and_not_a_millisecond_more(tmp_path):
    d = desk(tmp_path, {"C1": "messages"}, min_interval=1.0, min_gap=1.0)  # the platform refuses anything faster
    d.queue("C1", alert(0), alert(1), alert(2))
    assert d.deliver() == 1
    d.clock.advance(1.0 - MS)
    assert d.deliver() == 0 and len(d.sink.posts("C1")) == 1
    d.clock.advance(MS)
    assert d.deliver() == 1
    d.drain(tick=0.25)
    times = [c.at for c in d.sink.posts("C1")]
    assert [round(b - a, 6) for a, b in pairwise(times)] == [1.0, 1.0]
    assert all(c.outcome == "ok" for c in d.sink.calls)  # the platform's own limit never had to say no


def test_a_429_holds_the_channel_exactly_its_retry_after(tmp_path):
    d = desk(tmp_path, {"C1": "messages", "C2": "messages"}, min_interval=1.0)
    d.queue("C1", alert(0, "AL-1"), alert(1, "AL-1"))
    d.queue("C2", alert(0, "AL-2"), alert(1, "AL-2"))
    d.sink.rate_limit_next("send", retry_after=5.0, channel="C1")
    d.deliver()
    limited_at = d.sink.posts("C1")[0].at
    d.clock.advance(5.0 - MS)
    d.deliver()
    assert len(d.sink.posts("C1")) == 1  # still held at Retry-After − 1 ms
    assert len(d.sink.posts("C2")) == 2  # the other channel went on meanwhile
    d.clock.advance(MS)
    assert d.deliver() == 1
    retried = d.sink.posts("C1")[1]
    assert retried.outcome == "ok" and round(retried.at - limited_at, 6) == 5.0
    assert d.worker.stats["rate_limited"] == 1 and d.worker.stats.get("backoffs", 0) == 0


def test_a_429_does_not_count_as_a_server_error(tmp_path):
    """Six 429s then a 5xx: the 5xx waits the first backoff (the base, 1 s), not a seventh."""
    d = desk(tmp_path, {"C1": "messages"}, min_interval=0.5, backoff_base=1.0)
    d.queue("C1", alert(0))
    d.sink.rate_limit_next("send", retry_after=1.0, times=6)
    d.sink.fail_next("send")
    d.drain(tick=0.25)
    sends = d.sink.calls_to("send")
    failed = next(c for c in sends if c.outcome == "server_error")
    after = sends[-1]
    assert after.outcome == "ok" and after.at - failed.at <= 1.0 + 0.25  # one backoff base, plus one tick
    assert d.sink.posted_keys("C1") == [alert(0).key]
