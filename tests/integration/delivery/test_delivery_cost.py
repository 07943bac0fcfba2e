"""A message costs the same number of queries whatever waits behind it (issue 13).

A count of SQL statements, never a timing: the first 40 posts of a backlog of 100 and of 2,000
must send exactly as many statements. Before the fix, every post re-read every pending row (one
statement, but rows × messages work); the count stays pinned here so that no per-row query
(a statement per pending row) can creep back in either.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

from benchmarks.bench_delivery import NOW, counted, fill
from bot.delivery.console import ConsoleSink
from bot.delivery.worker import DeliveryWorker
from bot.store.database import Store

POSTS = 40


class _Enough(Exception):
    pass


def vm_steps(store: Store) -> list[int]:
    """SQLite's own count of the work it did (a tick per 100 virtual-machine instructions) on
    every connection the store uses: reading every pending row shows here, not in a count of
    statements, and it is as deterministic as the data."""
    box = [0]

    def tick() -> int:
        box[0] += 1
        return 0

    def hook(conn, *_: object) -> None:  # type: ignore[no-untyped-def]
        conn.connection.dbapi_connection.set_progress_handler(tick, 100)

    event.listen(store.engine, "before_cursor_execute", hook)
    return box


def queries_for_first_posts(backlog: int, channels: int) -> tuple[int, dict[str, int], int]:
    with tempfile.TemporaryDirectory(prefix="delivery-cost-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'cost.db'}")  # SQLite only: its VM steps (vm_steps) are the measure
        try:
            fill(store, backlog, channels)
            worker = DeliveryWorker(
                store, {"console": ConsoleSink(io.StringIO())}, clock=lambda: NOW + timedelta(seconds=1), budget_seconds=3600
            )
            posted = []

            def stop_after(row: object) -> None:
                posted.append(row)
                if len(posted) == POSTS:
                    raise _Enough

            worker.on_posted = stop_after
            steps = vm_steps(store)
            with counted(store) as queries, contextlib.suppress(_Enough):
                worker.deliver_due()
            assert len(posted) == POSTS
            work = steps[0]
            return queries[0], store.backlog(), work
        finally:
            store.close()


def test_queries_per_message_do_not_grow_with_the_backlog() -> None:
    small, small_backlog, small_work = queries_for_first_posts(100, 1)
    large, large_backlog, large_work = queries_for_first_posts(2_000, 1)
    assert small == large
    # and each statement does about the same work: index seeks, not a scan of the backlog
    # (reading every pending row per post made this about 20 times larger at 2,000 rows)
    assert large_work < 1.5 * small_work, (small_work, large_work)
    # per post: the due batch, the channel's head seek, the "sending" mark and the "sent" mark;
    # the 40th post is stopped before its "sent" mark
    assert small == 4 * POSTS - 1
    assert small_backlog == {"sent": POSTS - 1, "sending": 1, "pending": 100 - POSTS}
    assert large_backlog["pending"] == 2_000 - POSTS


def test_with_several_channels_each_post_still_costs_the_same() -> None:
    small, _, small_work = queries_for_first_posts(100, 4)
    large, _, large_work = queries_for_first_posts(2_000, 4)
    assert small == large
    assert large_work < 1.5 * small_work, (small_work, large_work)
