"""``load`` reads a feed's version from the version index and the cursor its own commit wrote from
memory (issue 13: both columns sit after the megabytes of rule memory in the row): the cursor,
polls and snapshot of each feed as last committed, by this store or another process's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.model import Snapshot
from bot.core.rules import RaceMemory
from bot.rehearsal.scenarios import load_scenario
from bot.store.database import Store
from tests.databases import db_url

AT = datetime(2017, 12, 13, 2, 0, tzinfo=UTC)


def test_each_feed_loads_its_own_cursor_polls_and_snapshot_whoever_committed_last(tmp_path: Path) -> None:
    night = load_scenario()
    url = db_url(tmp_path / "cursor.db")
    worker, other = Store(url), Store(url)
    try:
        worker.commit_poll(night[0], {}, {"nextrequest": "a-1", "url": "u"}, [], AT)
        worker.commit_poll(Snapshot(feed="b", generated_at=AT, races=night[1].races), {}, {"etag": "b-1"}, [], AT)
        worker.commit_poll(night[2], {"AL-1000": RaceMemory(calls=1)}, {"nextrequest": "a-2", "url": "u"}, [], AT)
        a, b = worker.load(night[0].feed), worker.load("b")
        assert a is not None and b is not None
        assert (a.cursor, a.polls, a.snapshot, a.memory) == (
            {"nextrequest": "a-2", "url": "u"},
            2,
            night[2],
            {"AL-1000": RaceMemory(calls=1)},
        )
        assert (b.cursor, b.polls, b.snapshot.races) == ({"etag": "b-1"}, 1, night[1].races)
        a.cursor["nextrequest"] = "changed by the caller"  # a copy: the next load is not affected
        same = worker.load(night[0].feed)
        assert same is not None and same.cursor == {"nextrequest": "a-2", "url": "u"}
        # another process commits: the worker's own cursor is no longer the feed's
        other.commit_poll(night[3], {}, {"nextrequest": "a-3", "url": "u"}, [], AT + timedelta(minutes=1))
        again = worker.load(night[0].feed)
        assert again is not None
        assert (again.cursor, again.polls, again.snapshot) == ({"nextrequest": "a-3", "url": "u"}, 3, night[3])
        worker.commit_poll(night[4], {}, {}, [], AT + timedelta(minutes=2))
        last = worker.load(night[0].feed)
        assert last is not None and (last.cursor, last.polls, last.snapshot) == ({}, 4, night[4])
        fresh = Store(url)
        try:
            read = fresh.load(night[0].feed)
            assert read is not None and (read.cursor, read.polls, read.snapshot) == ({}, 4, night[4])
        finally:
            fresh.close()
    finally:
        worker.close()
        other.close()
