"""One store committing a national night's snapshots, races stored apart: each race's JSON is
reused while the race is the object written before, its row rewritten only then; whatever the
polls do to the races (some change, come, go, move), what a fresh store reads back is the snapshot
written, and every row holds its race's own JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from benchmarks.national import replies
from bot.codec import native
from bot.core.model import Race, Snapshot
from bot.feeds.ap.reply import parse_ap
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
