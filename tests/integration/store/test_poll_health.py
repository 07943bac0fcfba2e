"""A poll that changes the snapshot writes the feed's health in its own transaction (issue 13:
one commit a poll, not two), and the "recovered" alert still counts the failures in a row
before that success, as when the health had a transaction of its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.app.poller import Poller, with_targets
from bot.codec.errors import FeedError
from bot.core.events import EventKind
from bot.core.model import Snapshot
from bot.core.rules import RuleSettings
from bot.core.targets import Target
from bot.feeds.source import FeedSource, FeedSpec
from bot.rehearsal.scenarios import load_scenario
from bot.store.database import Store
from bot.store.health import PollSuccess
from tests.databases import db_url

T0 = datetime(2017, 12, 13, 2, 0, tzinfo=UTC)
FEED = "al-2017"


class Scripted(FeedSource):
    """Each poll takes the next step: a snapshot (changed), ``None`` (unchanged) or an error."""

    kind = "scripted"

    def __init__(self, steps: list[Snapshot | None | FeedError]):
        super().__init__(FeedSpec(FEED, "json", "memory://al-2017"), None)  # type: ignore[arg-type]
        self.steps = iter(steps)

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        step = next(self.steps)
        if isinstance(step, FeedError):
            raise step
        return step


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(db_url(tmp_path / "health.db"))
    yield store
    store.close()


def _poller(store: Store, steps: list[Snapshot | None | FeedError], clock: Clock) -> Poller:
    return Poller(Scripted(steps), store, RuleSettings(), with_targets([Target("console", "#desk")]), clock=clock)


def _recovered(store: Store) -> list[int]:
    """The failures each queued "recovered" alert states."""
    return [
        e.details["failures"]
        for d in store.due("console", T0 + timedelta(days=1), limit=1000)
        for e in d.alert.events
        if e.kind is EventKind.FEED_RECOVERED
    ]


@pytest.mark.parametrize(("failures", "announced"), [(0, []), (2, []), (3, [3]), (5, [5])])
def test_a_changed_poll_after_failures_is_announced_as_recovered_when_they_reached_failing_after(
    store: Store, failures: int, announced: list[int]
) -> None:
    night = load_scenario()
    clock = Clock()
    steps: list[Snapshot | None | FeedError] = [night[0], *[FeedError("busy", feed=FEED)] * failures, night[1]]
    poller = _poller(store, steps, clock)
    statuses = [poller.poll().status for _ in steps]
    assert statuses == ["changed", *["failed"] * failures, "changed"]
    assert _recovered(store) == announced
    health = store.health()[0]
    assert health.consecutive_failures == 0
    assert health.last_poll_at == health.last_success_at == health.last_change_at == clock.now


def test_an_unchanged_poll_after_failures_is_announced_as_recovered_too(store: Store) -> None:
    night = load_scenario()
    clock = Clock()
    steps: list[Snapshot | None | FeedError] = [night[0], *[FeedError("busy", feed=FEED)] * 3, None]
    poller = _poller(store, steps, clock)
    changed_at = None
    for n, _ in enumerate(steps):
        poller.poll()
        if n == 0:
            changed_at = clock.now
    assert _recovered(store) == [3]
    health = store.health()[0]
    assert health.consecutive_failures == 0 and health.last_success_at == clock.now
    assert health.last_change_at == changed_at  # nothing changed since the first poll


def test_a_changed_poll_commits_once(store: Store) -> None:
    night = load_scenario()
    poller = _poller(store, [night[0], night[1]], Clock())
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda conn: commits.append(1))
    assert poller.poll().status == "changed"
    first = len(commits)
    assert poller.poll().status == "changed"
    assert (first, len(commits) - first) == (1, 1)


def test_commit_poll_fills_in_the_failures_before_its_success(store: Store) -> None:
    night = load_scenario()
    for n in range(4):
        store.record_failure(FEED, "busy", T0 + timedelta(seconds=n))
    success = PollSuccess(changed=False)
    store.commit_poll(night[0], {}, {}, [], T0 + timedelta(minutes=1), success=success)
    assert success.failures_before == 4
    health = store.health()[0]
    assert (health.consecutive_failures, health.last_success_at) == (0, T0 + timedelta(minutes=1))
    assert health.last_change_at == T0 + timedelta(minutes=1)  # the first success sets it, changed or not
    again = PollSuccess(changed=False)
    store.commit_poll(night[1], {}, {}, [], T0 + timedelta(minutes=2), success=again)
    assert again.failures_before == 0
    assert store.health()[0].last_change_at == T0 + timedelta(minutes=1)
