"""One store committing a national night's snapshots, races stored apart: each race's JSON is
reused while the race is the object written before, its row rewritten only then; whatever the
polls do to the races (some change, come, go, move), what a fresh store reads back is the snapshot
written, and every row holds its race's own JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from benchmarks.national import replies
from bot.codec import native
from bot.core.model import Race, Snapshot
from bot.core.rules import RaceMemory
from bot.feeds.ap.reply import parse_ap
from bot.store import snapshots
from bot.store.database import Store
from bot.store.tables import SnapshotRaceRow
from tests.databases import db_url

AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


def _polls() -> list[dict[str, Race]]:
    """A small national night as a delta chain merges it: each poll's races, the changed ones new objects."""
    merged: dict[str, Race] = {}
    polls = []
    for body, _ in replies(seed=17, polls=3, scale=0.02):
        merged = {**merged, **{race.key: race for race in parse_ap(body, "national").races}}
        polls.append(merged)
    return polls


def _snapshots() -> list[tuple[str, dict[str, Race]]]:
    first, second, third = _polls()
    keys = list(third)
    some = keys[4]
    equal_again = {**third, some: replace(third[some])}  # an equal race, another object
    return [
        ("full", first),
        ("a delta", second),
        ("another delta", third),
        ("an equal race anew", equal_again),
        ("a race added", {**equal_again, "ZZ-1": replace(third[keys[0]], state="ZZ", race_id="1")}),
        ("a race gone", {k: r for k, r in equal_again.items() if k != keys[7]}),
        ("races moved", dict(reversed(list(second.items())))),
        ("few races: one document", dict(list(third.items())[:5])),
        ("many again", third),
    ]


def test_what_one_store_writes_poll_after_poll_reads_back_as_written(tmp_path: Path) -> None:
    url = db_url(tmp_path / "texts.db")
    store = Store(url)
    store.split_races_at = 10
    written = []
    try:
        for n, (what, races) in enumerate(_snapshots()):
            snapshot = Snapshot("national", AT + timedelta(minutes=n), races)
            before = store.stats["races_written"]
            store.commit_poll(snapshot, {}, {}, [], AT + timedelta(minutes=n))
            written.append(store.stats["races_written"] - before)
            fresh = Store(url)
            try:
                stored = fresh.load("national")
                with fresh.session() as s:
                    rows = s.execute(
                        select(SnapshotRaceRow.race_key, SnapshotRaceRow.document)
                        .where(SnapshotRaceRow.feed == "national")
                        .order_by(SnapshotRaceRow.position)
                    ).all()
            finally:
                fresh.close()
            assert stored is not None and stored.snapshot == snapshot, what
            assert list(stored.snapshot.races) == list(races), what
            if len(races) >= store.split_races_at:
                assert [(key, text) for key, text in rows] == [(k, native.race_json(r)) for k, r in races.items()], what
            else:
                assert rows == [], what
    finally:
        store.close()
    polls = _polls()
    changed = [sum(1 for k, r in polls[i].items() if polls[i - 1].get(k) is not r) for i in (1, 2)]
    total = len(polls[2])
    # only what changed is written while the rows are what this store last wrote
    assert written == [len(polls[0]), *changed, 1, 1, total - 1, len(polls[1]), 0, total]


@pytest.mark.parametrize(
    "now",
    [AT, AT.astimezone(timezone(timedelta(hours=-5))), AT.replace(tzinfo=None)],
    ids=["UTC", "New York", "naive UTC"],
)
def test_what_a_store_committed_it_reads_back_without_decoding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: datetime
) -> None:
    """The version ``commit_poll`` keeps its snapshot and memory under is the one a read finds."""
    races = _polls()[0]
    url = db_url(tmp_path / "version.db")
    store = Store(url)
    store.split_races_at = 10
    decodes: list[str] = []
    real_read, real_memory = native.read, snapshots._memory_of

    def counted(document: str, feed: str) -> Any:
        decodes.append("snapshot")
        return real_read(document, feed)

    def counted_memory(text: str | None, feed: str) -> Any:
        decodes.append("memory")
        return real_memory(text, feed)

    monkeypatch.setattr(native, "read", counted)
    monkeypatch.setattr(snapshots, "_memory_of", counted_memory)
    memory = {key: RaceMemory(had_votes=True) for key in races}
    try:
        for n in range(2):
            snapshot = Snapshot("national", AT + timedelta(minutes=n), races)
            store.commit_poll(snapshot, memory, {}, [], now + timedelta(minutes=n))
            stored = store.load("national")
            assert stored is not None and stored.snapshot is snapshot and stored.memory == memory
            assert store.latest_snapshots() == [snapshot]
        assert decodes == []
        other = Store(url)  # the control: another process's store decodes each once
        try:
            assert other.load("national") is not None and other.load("national") is not None
        finally:
            other.close()
        assert sorted(decodes) == ["memory", "snapshot"]
    finally:
        store.close()
