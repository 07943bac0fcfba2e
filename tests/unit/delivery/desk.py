"""The worker on a desk of its own: a real store (a SQLite file), the real DeliveryWorker and
CardKeeper, the in-memory sink (tests/fakes/memory_sink.py) and one clock the test moves.

A delivery round never waits by itself here: the worker's budget is one microsecond, so a round
sends what is due now and returns; the test moves the clock (``Clock.advance``) and calls
``deliver`` again. That is how the boundaries are pinned to the millisecond."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.core.events import Alert, RaceFacts
from bot.delivery.worker import DeliveryWorker
from bot.store.database import OutboxRow, Store
from tests.fakes.memory_sink import MemorySink

START = datetime(2017, 12, 13, 1, 0, tzinfo=UTC)
PLATFORM = "memory"


class Clock:
    """Whole microseconds, so gaps compare exactly (no float drift at a boundary)."""

    def __init__(self) -> None:
        self.micros = 0

    def monotonic(self) -> float:
        return 1000.0 + self.micros / 1_000_000

    def now(self) -> datetime:
        return START + timedelta(microseconds=self.micros)

    def advance(self, seconds: float) -> None:
        self.micros += round(seconds * 1_000_000)


@dataclass
class Numbers:
    """What the live cards show (the CardRefresher's part): the test sets a race's numbers."""

    throttle: float = 0.0
    facts: dict[str, RaceFacts] = field(default_factory=dict)

    def facts_for(self, feed: str, race_key: str) -> RaceFacts | None:
        return self.facts.get(race_key)


@dataclass
class Desk:
    store: Store
    sink: MemorySink
    worker: DeliveryWorker
    clock: Clock
    numbers: Numbers

    def queue(self, channel: str, *alerts: Any) -> None:
        self.store.enqueue([(a, channel, PLATFORM) for a in alerts], self.clock.now())

    def deliver(self) -> int:
        return self.worker.deliver_due()

    def run(self, seconds: float, tick: float = 0.5) -> None:
        """A delivery round every ``tick`` for ``seconds`` of the desk's time."""
        for _ in range(round(seconds / tick)):
            self.deliver()
            self.clock.advance(tick)

    def drain(self, tick: float = 0.5, limit: float = 120.0) -> float:
        """Delivery rounds every ``tick`` until nothing is left unsent; the seconds it took."""
        started = self.clock.micros
        while True:
            self.deliver()
            backlog = self.store.backlog()
            if not backlog.get("pending") and not backlog.get("sending"):
                return (self.clock.micros - started) / 1_000_000
            assert self.clock.micros - started < limit * 1_000_000, f"still unsent after {limit} s: {backlog}"
            self.clock.advance(tick)

    def message_ids(self) -> list[str | None]:
        """Each outbox row's stored message id, in queue order."""
        with self.store.session() as s:
            return list(s.scalars(select(OutboxRow.message_id).order_by(OutboxRow.id)))

    def backlog(self) -> dict[str, int]:
        return self.store.backlog()

    def keys(self, alerts: Iterable[Alert]) -> list[str]:
        return [a.key for a in alerts]


def desk(
    tmp_path: Path,
    styles: dict[str, str],
    *,
    min_interval: float = 1.0,
    min_gap: float | None = None,
    summarize_after: timedelta | None = None,
    **worker: Any,
) -> Desk:
    clock = Clock()
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    sink = MemorySink(clock.monotonic, platform=PLATFORM, min_interval=min_interval, min_gap=min_gap)
    numbers = Numbers()
    made = DeliveryWorker(
        store,
        {PLATFORM: sink},
        clock=clock.now,
        monotonic=clock.monotonic,
        sleep=clock.advance,
        budget_seconds=1e-6,
        styles=styles,
        cards=numbers,  # type: ignore[arg-type]  # the refresher's two members, without a snapshot
        summarize_after=summarize_after,
        jitter=lambda: 1.0,
        **worker,
    )
    return Desk(store, sink, made, clock, numbers)
