"""The decoded-snapshot cache behind /results: fast while nothing changes, never stale after a poll.

The poller commits from another process, so these tests write through a second ``Store`` on the
same database file, exactly as the worker does, and ask through Bolt's signed WSGI path.
"""

from __future__ import annotations

import time
from dataclasses import replace

from bot.store.database import Store
from handlers.snapshots import LatestSnapshots
from tests.databases import db_url
from tests.integration.commands.conftest import HALF, LAST, ZONE, texts


def poller_store(bot) -> Store:
    """Another connection pool on the bot's database: the worker process, as far as SQLite can tell."""
    return Store(bot.store.url)


def test_a_snapshot_committed_elsewhere_shows_on_the_next_request(make_bot, night) -> None:
    bot = make_bot(night[HALF])
    first = texts(bot.answer("alabama"))
    assert "Moore leads by 65,211 votes" in first and "1,156 of 2,235 precincts" in first
    assert texts(bot.answer("alabama")) == first  # served from the cache, same answer

    worker = poller_store(bot)
    try:
        worker.commit_poll(night[ZONE], {}, {}, [])
        zone = texts(bot.answer("alabama"))
        assert "Moore leads by 3,783 votes (0.29 points)" in zone and "65,211" not in zone
        worker.commit_poll(night[LAST], {}, {}, [])
        last = texts(bot.answer("alabama"))
        assert "49.92 %" in last and "20,715" in last and "Called" in last
    finally:
        worker.close()


def test_a_new_feed_is_picked_up_and_unchanged_reads_skip_the_documents(make_bot, night, monkeypatch) -> None:
    bot = make_bot(night[LAST])
    loads: list[int] = []
    real = bot.store.latest_snapshots

    def counting() -> list:
        loads.append(1)
        return real()

    monkeypatch.setattr(bot.store, "latest_snapshots", counting)
    for _ in range(5):
        assert "20,715" in texts(bot.answer("alabama"))
    assert len(loads) <= 1, "documents re-read although no poll happened"

    before = len(loads)
    worker = poller_store(bot)
    try:
        worker.commit_poll(replace(night[LAST], feed="al-2017-second"), {}, {}, [])
    finally:
        worker.close()
    assert "20,715" in texts(bot.answer("alabama"))
    assert len(loads) == before + 1, "a feed that appeared was not loaded"
    assert "20,715" in texts(bot.answer("alabama"))
    assert len(loads) == before + 1


def test_signatures_are_still_checked_when_the_answer_is_cached(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    assert bot.ask("alabama").status_code == 200
    assert bot.ask("alabama", secret="wrong-secret").status_code == 401


def test_the_share_button_acks_before_posting_to_a_slow_response_url(make_bot, night) -> None:
    bot = make_bot(night[LAST])
    value = [b for b in bot.answer("alabama")["blocks"] if b["type"] == "actions"][0]["elements"][0]["value"]
    bot.slack.latency = 1.5  # the response URL (and any Slack call) now takes 1.5 s to answer
    started = time.perf_counter()
    assert bot.click_share(value).status_code == 200
    assert time.perf_counter() - started < 1.0, "the ack waited for the post to response_url"
    bot.slack.wait_for(lambda: bot.slack.responses or None)
    assert bot.slack.responses[-1][1]["response_type"] == "in_channel"


def test_snapshot_versions_change_with_every_commit(tmp_path, night) -> None:
    store = Store(db_url(tmp_path / "v.db"))
    try:
        assert store.snapshot_versions() == {}
        store.commit_poll(night[HALF], {}, {}, [])
        first = store.snapshot_versions()
        assert list(first) == [night[HALF].feed] and first[night[HALF].feed][1] == 1
        assert store.snapshot_versions() == first
        store.commit_poll(night[HALF], {}, {}, [])  # same document, another poll: still a new version
        assert store.snapshot_versions()[night[HALF].feed][1] == 2
    finally:
        store.close()


class _RacingStore:
    """A store whose snapshot lands between the version check and the document read."""

    def __init__(self) -> None:
        self.version, self.snapshots = 1, ["v1"]

    def snapshot_versions(self) -> dict:
        return {"feed": ("t", self.version)}

    def latest_snapshots(self) -> list:
        current = list(self.snapshots)
        self.version, self.snapshots = 2, ["v2"]  # the poller commits right after this read
        return current


def test_a_poll_racing_a_read_is_reloaded_on_the_next_request() -> None:
    store = _RacingStore()
    latest = LatestSnapshots(store)  # type: ignore[arg-type]
    assert latest.get() == ["v1"]
    assert latest.get() == ["v2"], "kept the snapshots of the older version"
    assert latest.get() == ["v2"]
