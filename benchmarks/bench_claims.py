"""Channel claims on PostgreSQL: two workers draining a 10,000-row outbox together.

    .venv/bin/python -m benchmarks.bench_claims [--rows 10000] [--channels 100] [--workers 2]

Makes a database of its own on the local server (``electionbot_lease_bench_<random>``, dropped
afterwards), queues ``--rows`` alerts round-robin over ``--channels`` channels, then runs
``--workers`` real :class:`~bot.delivery.worker.DeliveryWorker` instances at once (threads, each
with its own store and claims connection, as processes would have) delivering to the console
sink (written to nowhere, no pacing). Why: with every worker delivering, claiming must stay a
few indexed queries per round whatever the backlog, and split the channels between the workers.

Figures printed: one claim round at the full backlog (``due_channels`` + ``hold`` + ``due_in``:
what a worker does before it posts), queries per message over the whole drain (a count, which a
busy machine cannot blur), messages per second over the first ``--drain`` messages (2,000 by
default: each message is two commits, so a full drain is minutes on a busy disk), and each
worker's share. The target is on
queries per message; the times are for the record. Skips (status 0, one line) without a server.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import threading
import time
from collections import Counter

from benchmarks.bench_delivery import NOW, counted
from bot.core.events import Alert, Event, EventKind
from bot.delivery.console import ConsoleSink
from bot.delivery.worker import DeliveryWorker
from bot.store.database import Store
from bot.store.lease import ChannelClaims

#: at most this many queries per message, claims included (bench_delivery's 6 for one worker,
#: plus the claim round's share: due_channels, the claims connection's check, due_in).
TARGET_QUERIES = 10.0


def fill(store: Store, rows: int, channels: int) -> None:
    def deliveries():  # noqa: ANN202
        for i in range(rows):
            race = f"ST-{i}"
            event = Event(EventKind.FIRST_VOTES, f"bench/{race}/first", "bench", race, {})
            yield Alert("bench", race, NOW.isoformat(), False, (event,), None), f"#ch{i % channels}", "console"

    store.enqueue(deliveries(), NOW)


def claim_round(store: Store, claims: ChannelClaims) -> float:
    """Seconds for what a worker does before posting: the due channels, the claim, the due rows."""
    start = time.perf_counter()
    held, _ = claims.hold("console", store.due_channels("console", NOW))
    store.due_in("console", held, NOW)
    return time.perf_counter() - start


def run(url: str, rows: int, channels: int, workers: int, drain_up_to: int) -> bool:
    store = Store(url)
    fill(store, rows, channels)
    probe = ChannelClaims(store)
    rounds = []
    for _ in range(5):  # claim, release, again: the first round at the full backlog each time
        rounds.append(claim_round(store, probe))
        probe.release_all()
    crew = []
    for _ in range(workers):
        own = Store(url)
        claims = ChannelClaims(own)
        worker = DeliveryWorker(
            own,
            {"console": ConsoleSink(io.StringIO())},
            clock=lambda: NOW,
            min_interval=0.0,
            budget_seconds=2.0,  # rounds as short as production's (20 s) or shorter: shares settle between rounds
            claims=claims,
        )
        crew.append((worker, claims, own))
    sent: Counter[int] = Counter()
    queries: Counter[int] = Counter()

    def drain(i: int) -> None:
        worker, _, own = crew[i]
        with counted(own) as box:
            while True:
                n = worker.deliver_due()
                sent[i] += n
                if sum(sent.values()) >= drain_up_to:
                    break
                if n == 0 and not own.unsent_channels("console", [f"#ch{c}" for c in range(channels)]):
                    break
        queries[i] = box[0]

    start = time.perf_counter()
    threads = [threading.Thread(target=drain, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    total = sum(sent.values())
    per_message = sum(queries.values()) / max(1, total)
    backlog = store.backlog()
    print(
        f"claims: {rows:,} rows over {channels} channels, {workers} workers (PostgreSQL)\n"
        f"  one claim round at the full backlog: median {statistics.median(rounds) * 1000:.1f} ms "
        f"(min {min(rounds) * 1000:.1f}, max {max(rounds) * 1000:.1f})\n"
        f"  drained {total:,} in {seconds:.1f} s: {total / seconds:,.0f} messages/s; "
        f"shares {', '.join(str(sent[i]) for i in range(workers))}\n"
        f"  queries per message {per_message:.2f} (target <= {TARGET_QUERIES}); left: {dict(backlog)}"
    )
    for _, claims, own in crew:
        claims.release_all()
        own.close()
    store.close()
    return total >= min(rows, drain_up_to) and backlog.get("sent") == total and per_message <= TARGET_QUERIES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--drain",
        type=int,
        default=2_000,
        help="stop once this many are delivered (each is two commits: minutes on a busy disk)",
    )
    args = parser.parse_args(argv)
    from tests.integration.store.own_postgres import own_database, server_missing

    reason = server_missing()
    if reason:
        print(f"claims: skipped, {reason}")
        return 0
    with own_database("electionbot_lease_bench") as url:
        return 0 if run(url, args.rows, args.channels, args.workers, args.drain) else 1


if __name__ == "__main__":
    sys.exit(main())
