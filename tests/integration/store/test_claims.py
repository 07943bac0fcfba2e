"""Channel claims on PostgreSQL: every worker delivers, a channel belongs to one at a time.

The Alabama night for four channels, queued by one poller, delivered by two workers running at
once (threads here, each with its own store and claims connection, as two processes would
have): every alert posted once, in order per channel, and each channel's posts at least the
pacing interval apart although two workers share the channels. A channel taken over from the
other worker waits out the interval from that worker's last post. A claim dies with its
connection; a channel head another worker is claiming is skipped, not waited for.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.delivery.slack import SlackSink, make_client
from bot.delivery.worker import DeliveryWorker
from bot.store.database import Store
from bot.store.lease import ChannelClaims
from tests.fakes.slack_api import FakeSlack, wait_for
from tests.integration.delivery.harness import alert_keys, build, unsent
from tests.integration.store.own_postgres import own_database, terminate

CHANNELS = ["C1", "C2", "C3", "C4"]
INTERVAL = 0.25


@pytest.fixture()
def pg_url() -> Iterator[str]:
    with own_database() as url:
        yield url


def _queue_night(url: str, slack: FakeSlack) -> Store:
    """The whole night queued (not delivered) for CHANNELS, one message per alert."""
    poller, _, store = build(url, slack.base_url, {c: "messages" for c in CHANNELS})
    while poller.poll().status == "changed":
        pass
    return store


def _worker(url: str, slack: FakeSlack, interval: float = INTERVAL) -> tuple[DeliveryWorker, ChannelClaims, Store]:
    store = Store(url)
    claims = ChannelClaims(store)
    sink = SlackSink(make_client("xoxb-test", slack.base_url, timeout=5), interval, 0.0)
    worker = DeliveryWorker(
        store, {"slack": sink}, min_interval=interval, budget_seconds=1.0, default_style="messages", claims=claims
    )
    return worker, claims, store


def _post_times(slack: FakeSlack) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for call in slack.calls_to("chat.postMessage"):
        if call.ok:
            times.setdefault(call.params["channel"], []).append(call.at)
    return times


def test_two_workers_share_the_channels_each_alert_once_in_order_and_paced(pg_url: str) -> None:
    with FakeSlack() as slack:
        queued = _queue_night(pg_url, slack)
        rows = queued.due("slack", limit=10_000)
        order = {c: [r.alert.key for r in rows if r.channel == c] for c in CHANNELS}
        assert all(len(keys) == 40 for keys in order.values()), {c: len(k) for c, k in order.items()}
        workers = [_worker(pg_url, slack) for _ in range(2)]
        stop = threading.Event()
        delivered = Counter[int]()

        def run(i: int) -> None:
            worker = workers[i][0]
            while not stop.is_set():
                delivered[i] += worker.deliver_due()
                time.sleep(0.01)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: unsent(queued) == 0, timeout=60)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        for c in CHANNELS:
            assert alert_keys(slack.posts(c)) == order[c], f"{c}: not each alert once, in order"
        assert delivered[0] > 0 and delivered[1] > 0, f"one worker did everything: {dict(delivered)}"
        gaps = [b - a for times in _post_times(slack).values() for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= INTERVAL * 0.95, f"a channel was posted to faster than its pace: {min(gaps):.3f} s"
        print(f"\nclaims: worker posts {dict(delivered)}; smallest gap in a channel {min(gaps):.3f} s")
        for _, claims, store in workers:
            claims.release_all()
            store.close()
        queued.close()


def test_a_channel_taken_over_waits_out_the_pace_from_the_other_workers_last_post(pg_url: str) -> None:
    with FakeSlack() as slack:
        queued = _queue_night(pg_url, slack)
        # a pace long beside the test's own overheads: a post right after the take-over shows
        a, a_claims, a_store = _worker(pg_url, slack, interval=2.0)
        b, b_claims, b_store = _worker(pg_url, slack, interval=2.0)
        # A takes every channel and posts each channel's first alert; then lets C1 go (as it
        # does when a channel has nothing left: here by hand, mid-queue, to hand it over).
        held, _ = a_claims.hold("slack", CHANNELS)
        assert held == set(CHANNELS)
        assert b_claims.hold("slack", CHANNELS) == (set(), set())
        a.budget_seconds = 0.5  # one post per channel, then the round ends (the next is 2 s away)
        sent_before = a.deliver_due()
        assert sent_before == len(CHANNELS)
        a_claims._unlock("slack", {"C1"})  # noqa: SLF001  # the release_idle path, for one busy channel
        last_a = _post_times(slack)["C1"][-1]
        b.budget_seconds = 3.0
        b.deliver_due()
        c1 = _post_times(slack)["C1"]
        first_b = next(t for t in c1 if t > last_a)
        assert first_b - last_a >= 2.0 * 0.95, f"taken over and posted {first_b - last_a:.3f} s after A's last post"
        for claims, store in ((a_claims, a_store), (b_claims, b_store)):
            claims.release_all()
            store.close()
        queued.close()


def test_a_claim_dies_with_its_connection_and_a_locked_head_is_skipped(pg_url: str) -> None:
    with FakeSlack() as slack:
        store = _queue_night(pg_url, slack)
        a = ChannelClaims(store)
        b = ChannelClaims(store)
        assert a.hold("slack", ["C1", "C2"]) == ({"C1", "C2"}, {"C1", "C2"})
        assert b.hold("slack", ["C1", "C2"]) == (set(), set())
        terminate(pg_url, a.backend_pid or 0)
        wait_for(lambda: b.hold("slack", ["C1", "C2"])[0] == {"C1", "C2"}, timeout=10)
        held, fresh = a.hold("slack", ["C1", "C2", "C3"])
        assert held == {"C3"}, "a worker whose connection dropped has lost its claims"
        # Another worker in the middle of claiming C4 (its head row locked): skipped at once.
        head = min(r.id for r in store.due("slack", limit=10_000) if r.channel == "C4")
        with store.engine.connect() as other:
            other.exec_driver_sql("SELECT id FROM outbox WHERE id = %(id)s FOR UPDATE", {"id": head})
            done: list[tuple[set[str], set[str]]] = []
            c = ChannelClaims(store)  # a third worker, with room for C4 in its share
            t = threading.Thread(target=lambda: done.append(c.hold("slack", ["C4"])))
            t.start()
            t.join(timeout=10)
            assert done == [(set(), set())], "a locked channel head was waited for or taken"
            other.rollback()
        assert c.hold("slack", ["C4"]) == ({"C4"}, {"C4"})
        for claims in (a, b, c):
            claims.release_all()
        store.close()


def test_sqlite_gives_every_channel_to_the_lease_holder(tmp_path: Path) -> None:
    from bot.store.lease import PollerLease, SoleClaims

    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    holder = SoleClaims(PollerLease(store, interval=5.0))
    other = SoleClaims(PollerLease(store, interval=5.0))
    assert holder.hold("slack", CHANNELS) == (set(CHANNELS), set(CHANNELS))
    assert other.hold("slack", CHANNELS) == (set(), set())
    assert holder.hold("slack", CHANNELS) == (set(CHANNELS), set())
    holder.lease.release()
    other.lease.release()
    store.close()
