"""The poller finds the races a delta poll left alone in C calls (``Poller._maybe_changed``,
issue 13): the same alerts, memory and counts as looking at every race in turn, on a national
night as AP's deltas merge it and as full replies, with and without a follow list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.national import replies
from bot.app.poller import Poller, RaceFilter, with_targets
from bot.core.model import Race, Snapshot
from bot.core.rules import RaceMemory, RuleSettings
from bot.core.targets import Target
from bot.feeds.ap.reply import parse_ap
from bot.feeds.source import FeedSource, FeedSpec
from bot.store.database import Store
from tests.databases import db_url

AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


class Night(FeedSource):
    """Each poll, the next snapshot of the night."""

    kind = "night"

    def __init__(self, snapshots: list[Snapshot]):
        super().__init__(FeedSpec("national", "ap", "memory://national"), None)  # type: ignore[arg-type]
        self.snapshots = iter(snapshots)

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        return next(self.snapshots)


class EveryRace(Poller):
    """The obvious way: every race of the snapshot looked at in turn."""

    def _maybe_changed(self, previous: Snapshot | None, snapshot: Snapshot, memory: dict[str, RaceMemory]) -> list[str]:
        return list(snapshot.races)


def _night(full: bool) -> list[Snapshot]:
    """A small national night: deltas merged into the races before (untouched races the same
    objects), or every poll a full reply (every race a new object, most of them equal)."""
    snapshots: list[Snapshot] = []
    races: dict[str, Race] = {}
    for n, (body, _) in enumerate(replies(seed=23, polls=6, scale=0.03, full=full)):
        read = {race.key: race for race in parse_ap(body, "national").races}
        races = read if full else {**races, **read}
        snapshots.append(Snapshot("national", AT + timedelta(minutes=n), races))
    return snapshots


def _run(kind: type[Poller], tmp_path: Path, name: str, night: list[Snapshot], follow: tuple[str, ...]) -> list[object]:
    """The night's first two polls following every race, then a restart with ``follow``: the
    memory then holds races the follow list leaves out."""
    store = Store(db_url(tmp_path / f"{name}.db"))
    source = Night(night)
    seen: list[object] = []
    try:
        for rules, polls in (((), 2), (follow, len(night) - 2)):
            poller = kind(
                source,
                store,
                RuleSettings(),
                with_targets([Target("console", "#desk")]),
                races=RaceFilter(rules),
                clock=lambda: AT + timedelta(hours=1),
            )
            for _ in range(polls):
                result = poller.poll()
                seen.append((result.status, [a.to_dict() for a in result.alerts], result.queued, dict(poller.stats)))
        seen.append(store.memory("national"))
        return seen
    finally:
        store.close()


@pytest.mark.parametrize("full", [False, True], ids=["deltas", "full replies"])
@pytest.mark.parametrize("follow", [(), ("GA", "TX", "office:G")], ids=["every race", "a follow list"])
def test_the_races_left_alone_are_skipped_as_looking_at_every_race_skips_them(
    tmp_path: Path, full: bool, follow: tuple[str, ...]
) -> None:
    night = _night(full)
    fast = _run(Poller, tmp_path, "fast", night, follow)
    every = _run(EveryRace, tmp_path, "every", night, follow)
    assert fast == every
    stats = fast[-2][-1]  # type: ignore[index]
    assert stats["races_unchanged"] > stats["races_evaluated"] > 0
    assert any(alerts for _, alerts, _, _ in fast[1:-1])  # type: ignore[misc]


def test_a_race_with_no_memory_is_looked_at_even_when_it_is_the_same_object() -> None:
    night = _night(False)
    previous, snapshot = night[1], night[2]
    memory = {key: RaceMemory() for key in snapshot.races}
    forgotten = list(snapshot.races)[::7]
    for key in forgotten:
        del memory[key]
    poller = Poller(Night([]), None, RuleSettings(), with_targets([]))  # type: ignore[arg-type]
    keys = poller._maybe_changed(previous, snapshot, memory)
    obvious = [k for k, r in snapshot.races.items() if not (previous.races.get(k) is r and k in memory)]
    assert keys == obvious
    assert set(forgotten) <= set(keys) and len(keys) < len(snapshot.races)
    assert poller.stats["races_unchanged"] == len(snapshot.races) - len(keys)
    assert poller._maybe_changed(None, snapshot, memory) == list(snapshot.races)
    left = next(k for k in snapshot.races if k not in keys)  # an equal race, another object: looked at
    moved = Snapshot("national", AT, {**snapshot.races, left: replace(snapshot.races[left])})
    assert left in poller._maybe_changed(snapshot, moved, memory)
