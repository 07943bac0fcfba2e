"""What ``/healthz`` and ``/metrics`` cost on a big night's store (a script, not a timed test).

Both read the store at every request (the web process shares only the database with the
worker): ``/healthz`` the feed-health rows, the unsent/failed outbox rows grouped by platform and
the lease row; ``/metrics`` the store collector's queue count, feed health, snapshot counters and
the latest 1,000 sent rows. (A first version grouped the whole outbox by platform and status:
1.2-1.6 s per scrape at 200,000 rows, a full table read; now the queue is a seek in the status
index.) The outbox is the table that grows: a national night queues an alert per
race and channel plus digests, so the store here holds ``--rows`` outbox rows (default 200,000:
7,000 races, a dozen alerts each over the night, two channels, and some), almost all sent, a few
hundred pending, a handful failed, and three feeds' health.

    .venv/bin/python -m benchmarks.bench_ops [--rows 200000] [--requests 200] [--database URL]

Target: p95 <= 50 ms for ``/healthz`` and <= 250 ms for ``/metrics`` (a scrape every 15 s; a
health check every few seconds). Exit status 2 when the answers were right but a target was
missed, 1 when an answer was wrong.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest
from sqlalchemy import insert

from bot.app.health import Health
from bot.app.metrics import Metrics
from bot.store.database import OutboxRow, Store

FEEDS = {"ap-national": 30.0, "ga-clarity": 20.0, "fulton-csv": 60.0}
TARGETS_MS = {"/healthz": 50.0, "/metrics": 250.0}


def fill(store: Store, rows: int) -> None:
    start = datetime(2024, 11, 6, 0, 0, tzinfo=UTC)
    for feed in FEEDS:
        store.record_success(feed, True, start)
    batch = []
    for i in range(rows):
        status = "pending" if i >= rows - 300 else "failed" if i % 20_000 == 7 else "sent"
        created = start + timedelta(seconds=i // 50)
        batch.append(
            {
                "alert_key": f"ap-national/race-{i % 7000}/{i}",
                "feed": "ap-national",
                "race_key": f"XX-{i % 7000}",
                "channel": "C0ELECTION" if i % 2 else "C0DESK",
                "platform": "slack",
                "payload": "{}",
                "status": status,
                "attempts": 1,
                "next_attempt_at": created,
                "created_at": created,
                "sent_at": created + timedelta(seconds=1 + i % 30) if status == "sent" else None,
            }
        )
        if len(batch) == 10_000:
            _write(store, batch)
    _write(store, batch)


def _write(store: Store, batch: list[dict[str, object]]) -> None:
    if batch:
        with store.session() as s, s.begin():
            s.execute(insert(OutboxRow), batch)
        batch.clear()


def timed(label: str, call, requests: int) -> list[float]:  # type: ignore[no-untyped-def]
    call()  # warm: the first query plans and fills caches
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"{label:9} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms   max {times[-1]:7.2f} ms")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", help="a database URL (default: a temp SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.database or f"sqlite:///{Path(tmp) / 'ops.db'}")
        started = time.perf_counter()
        fill(store, args.rows)
        print(f"store: {args.rows:,} outbox rows, {len(FEEDS)} feeds ({time.perf_counter() - started:.1f} s to fill)")
        now = datetime(2024, 11, 6, 1, 0, tzinfo=UTC)
        health = Health(store, FEEDS, clock=lambda: now, started_at=now)
        metrics = Metrics(store)
        report = health.report()
        text = generate_latest(metrics.registry).decode()
        right = (
            report["outbox"] == {"slack": {"pending": 300, "sending": 0, "failed": len(range(7, args.rows - 300, 20_000))}}
            and 'electionbot_outbox_rows{platform="slack",status="pending"} 300.0' in text
            and 'electionbot_recent_delivery_latency_seconds{quantile="1"}' in text
        )
        if not right:
            print("wrong answer:", report["outbox"], file=sys.stderr)
            return 1
        results = {
            "/healthz": timed("/healthz", health.report, args.requests),
            "/metrics": timed("/metrics", lambda: generate_latest(metrics.registry), args.requests),
        }
        store.close()
    missed = [
        f"{path} p95 above {TARGETS_MS[path]:.0f} ms"
        for path, times in results.items()
        if times[int(0.95 * (len(times) - 1))] > TARGETS_MS[path]
    ]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"load average {load} on {os.cpu_count()} CPUs")
    print("targets met" if not missed else "target missed: " + "; ".join(missed))
    return 2 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
