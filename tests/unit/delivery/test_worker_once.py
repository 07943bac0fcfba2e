"""Exactly once and in order per channel: the worker's decisions after a lost answer, a 429, a
5xx and a gone channel, against the in-memory sink (no HTTP: the wire is tests/integration)."""

from __future__ import annotations

import logging

from bot.delivery.sink import DeliveryError
from tests.fakes.sample_alerts import alert
from tests.unit.delivery.desk import desk


def test_a_lost_answer_is_found_in_the_channel_and_never_posted_twice(tmp_path):
    d = desk(tmp_path, {"C1": "messages"})
    alerts = [alert(n) for n in range(4)]
    d.queue("C1", *alerts)
    d.sink.lose_next_answer("send")  # the first post lands; its answer never comes back
    d.drain()
    assert d.sink.posted_keys("C1") == d.keys(alerts)
    assert d.backlog() == {"sent": 4}
    assert d.worker.stats["reconciled"] == 1 and len(d.sink.calls_to("find_posted")) == 1
    assert len(d.sink.calls_to("send")) == 4  # no second post of the lost one
    (lost,) = [c for c in d.sink.calls if c.outcome == "lost"]
    assert d.message_ids()[0] == lost.message_id  # the row keeps the id of the message that landed


def test_a_5xx_may_hide_a_post_so_the_channel_is_read_before_the_next_try(tmp_path):
    """Nothing landed: the check finds nothing and the alert goes once, after the backoff."""
    d = desk(tmp_path, {"C1": "messages"})
    d.queue("C1", alert(0))
    d.sink.fail_next("send")
    d.drain()
    assert [(c.method, c.outcome) for c in d.sink.calls] == [("send", "server_error"), ("find_posted", "ok"), ("send", "ok")]
    assert d.sink.posted_keys("C1") == [alert(0).key] and d.backlog() == {"sent": 1}


def test_when_the_check_itself_fails_nothing_is_posted_until_it_answers(tmp_path):
    d = desk(tmp_path, {"C1": "messages"})
    d.queue("C1", alert(0), alert(1))
    d.sink.lose_next_answer("send")
    d.sink.fail_next("find_posted", times=2)
    d.drain()
    assert d.sink.posted_keys("C1") == [alert(0).key, alert(1).key]
    assert [c.outcome for c in d.sink.calls_to("find_posted")] == ["server_error", "server_error", "ok"]


def test_a_lost_reply_in_a_cards_thread_is_looked_for_in_that_thread(tmp_path):
    d = desk(tmp_path, {"C1": "cards"})
    alerts = [alert(n) for n in range(3)]
    d.queue("C1", *alerts)
    d.run(1.5)  # the card first, then the first reply
    (card,) = d.sink.cards("C1")
    d.sink.lose_next_answer("send")
    d.drain()
    assert d.sink.posted_keys("C1") == d.keys(alerts)
    assert all(m.thread_id == card.id for m in d.sink.thread(card.id)) and len(d.sink.thread(card.id)) == 3
    assert [c.thread_id for c in d.sink.calls_to("find_posted")] == [card.id]
    assert d.worker.stats["reconciled"] == 1


def test_order_is_kept_per_channel_and_one_channels_429_holds_up_no_other(tmp_path):
    d = desk(tmp_path, {"C1": "messages", "C2": "messages"})
    first = [alert(n, "AL-1") for n in range(3)]
    second = [alert(n, "AL-2") for n in range(3)]
    for a, b in zip(first, second, strict=True):
        d.queue("C1", a)
        d.queue("C2", b)
    d.sink.rate_limit_next("send", retry_after=30, channel="C1")
    d.run(5, tick=1.0)
    assert d.sink.posted_keys("C1") == [] and d.sink.posted_keys("C2") == d.keys(second)
    assert len(d.sink.calls_to("send", "C1")) == 1  # nothing newer tried while the head waits
    d.drain(tick=5.0)
    assert d.sink.posted_keys("C1") == d.keys(first)  # the head first, then the rest, in order


def test_a_gone_channel_is_set_aside_with_its_rows_kept_and_said_once(tmp_path, caplog):
    caplog.set_level(logging.ERROR, "electionbot.delivery")
    d = desk(tmp_path, {"CGONE": "messages", "C1": "messages"})
    d.sink.missing_channels.add("CGONE")
    for n in range(3):
        d.queue("CGONE", alert(n))
        d.queue("C1", alert(n))
    d.drain()
    assert d.sink.posted_keys("C1") == [alert(n).key for n in range(3)]
    assert d.backlog() == {"sent": 3, "failed": 3}  # kept, not deleted: /results status lists them
    assert d.store.delivery_failures() == [("memory", "CGONE", "channel_not_found")]
    assert len(d.sink.calls_to("send", "CGONE")) == 3  # each row tried once: a permanent error is not retried
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "CGONE" in lines[0] and "check the channel" in lines[0]


def test_a_history_check_refused_for_good_posts_anyway_and_tells_the_operator(tmp_path, caplog):
    caplog.set_level(logging.ERROR, "electionbot.delivery")
    d = desk(tmp_path, {"C1": "messages"})
    d.queue("C1", alert(0))
    d.sink.lose_next_answer("send")
    d.sink.refuse_next("find_posted", DeliveryError("missing_scope", permanent=True, code="missing_scope"))
    d.drain()
    assert d.sink.posted_keys("C1") == [alert(0).key, alert(0).key]  # a possible duplicate beats a lost alert
    assert d.backlog() == {"sent": 1}
    assert len(caplog.records) == 1 and "cannot check the channel for duplicates" in caplog.records[0].getMessage()
