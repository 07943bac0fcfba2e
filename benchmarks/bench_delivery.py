"""Delivery cost against the backlog: queries per message and messages per second.

    .venv/bin/python -m benchmarks.bench_delivery [--rows 10000] [--channels 1]

Queues ``--rows`` alerts (spread over ``--channels`` channels) in a fresh SQLite store, then lets
the real :class:`~bot.delivery.worker.DeliveryWorker` drain them to the console sink (written to
nowhere), counting every SQL statement with SQLAlchemy's ``before_cursor_execute`` hook. Why:
issue 13's national night left 4,027 messages pending because each message re-read every pending
row; a message must cost the same few queries whether 10 or 10,000 wait behind it. The figure
that matters is queries per message for a small and a large backlog side by side (a count, so a
busy machine cannot blur it); messages per second is printed for the record.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event

from bot.core.events import Alert, Event, EventKind
from bot.delivery.console import ConsoleSink
from bot.delivery.worker import DeliveryWorker
from bot.store.database import Store

NOW = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)
#: at most this many queries per message, whatever the backlog (a due batch, a head seek, the
#: attempt mark, the sent mark, plus slack for a batch boundary).
TARGET_QUERIES = 6.0


@contextmanager
def counted(store: Store) -> Iterator[list[int]]:
    """Counts the statements ``store`` sends while the block runs (``box[0]``)."""
    box = [0]

    def hook(*_: object) -> None:
        box[0] += 1

    event.listen(store.engine, "before_cursor_execute", hook)
    try:
        yield box
    finally:
        event.remove(store.engine, "before_cursor_execute", hook)


def fill(store: Store, rows: int, channels: int = 1) -> None:
    """``rows`` distinct first-votes alerts queued for the console, round-robin over channels."""

    def deliveries() -> Iterator[tuple[Alert, str, str]]:
        for i in range(rows):
            race = f"ST-{i}"
            alert = Alert(
                "bench",
                race,
                NOW.isoformat(),
                False,
                (Event(EventKind.FIRST_VOTES, f"bench/{race}/first", "bench", race, {}),),
                None,
            )
            yield alert, f"#ch{i % channels}", "console"

    store.enqueue(deliveries(), NOW)


def drain(store: Store) -> tuple[int, int, float]:
    """(messages sent, queries, seconds) for draining everything pending to the console."""
    worker = DeliveryWorker(
        store, {"console": ConsoleSink(io.StringIO())}, clock=lambda: NOW + timedelta(seconds=1), budget_seconds=3600
    )
    with counted(store) as queries:
        start = time.perf_counter()
        sent = worker.deliver_due()
        seconds = time.perf_counter() - start
    return sent, queries[0], seconds


def measure(rows: int, channels: int = 1) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            fill(store, rows, channels)
            return drain(store)
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=1)
    args = parser.parse_args(argv)
    worst = 0.0
    for rows in (100, args.rows):
        sent, queries, seconds = measure(rows, args.channels)
        per = queries / max(sent, 1)
        worst = max(worst, per)
        print(
            f"backlog {rows:>6,}: {sent:>6,} sent, {queries:>7,} queries, {per:5.2f} queries/message, {sent / seconds:8,.0f} messages/s"
        )
        if sent != rows:
            print(f"  NOT drained: {rows - sent} left", file=sys.stderr)
            return 1
    met = worst <= TARGET_QUERIES
    print(f"queries per message ≤ {TARGET_QUERIES:g} at any backlog: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
