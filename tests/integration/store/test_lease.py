"""The poller's lease on SQLite (a file lock) and PostgreSQL (an advisory lock): one holder; a
holder that dies is replaced at the standby's next try, one interval after its last, never
before; a holder whose lock is gone stops at once; the holder is recorded for /healthz.

The holder that dies is a real process (SIGKILL: the kernel drops its file lock, the server
its connection and the lock with it). The standby runs here on a mocked monotonic clock, so
the takeover is pinned at the interval boundary: not a try before it, the lease at it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.database import Store
from bot.store.lease import PollerLease, current_holder
from tests.fakes.slack_api import wait_for
from tests.integration.store.own_postgres import own_database, terminate

ROOT = Path(__file__).resolve().parents[3]
INTERVAL = 5.0

HOLDER = """
import sys, time
from bot.store.database import Store
from bot.store.lease import PollerLease
lease = PollerLease(Store(sys.argv[1]), interval=1.0, host="dying-host")
assert lease.ensure()
print("HELD", flush=True)
time.sleep(120)
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        st = Store(f"sqlite:///{tmp_path / 'bot.db'}")
        yield st
        st.close()
        return
    with own_database() as url:
        st = Store(url)
        yield st
        st.close()


def _holder_process(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "HELD", proc.stderr.read() if proc.stderr else ""
    return proc


def test_one_holder_at_a_time_and_it_is_recorded(store: Store) -> None:
    clock = Clock()
    a = PollerLease(store, interval=INTERVAL, host="web-1", pid=101, monotonic=clock)
    b = PollerLease(store, interval=INTERVAL, host="worker-2", pid=202, monotonic=clock)
    assert a.ensure() and not b.ensure()
    assert a.ensure(), "the holder keeps it from one poll to the next"
    holder = current_holder(store)
    assert holder is not None and (holder.host, holder.pid) == ("web-1", 101)
    assert holder.verified is store.url.startswith("postgresql")
    assert holder.since <= holder.renewed_at
    a.release()
    clock.now += INTERVAL
    assert b.ensure(), "released (SIGTERM): the standby's next try takes it, no timeout to wait out"
    holder = current_holder(store)
    assert holder is not None and holder.pid == 202
    b.release()


def test_a_dead_holder_is_replaced_exactly_one_interval_after_the_last_try(store: Store) -> None:
    clock = Clock()
    standby = PollerLease(store, interval=INTERVAL, monotonic=clock, pid=303)
    proc = _holder_process(store.url)
    try:
        assert not standby.ensure() and standby.attempts == 1  # t = 0: held by the other process
        holder = current_holder(store)
        assert holder is not None and holder.host == "dying-host" and holder.pid == proc.pid
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    if store.url.startswith("postgresql"):  # the server ends the dead process's session
        wait_for(lambda: current_holder(store) is None, timeout=10)
    clock.now += INTERVAL - 0.001
    assert not standby.ensure() and standby.attempts == 1, "tried before the interval was up"
    clock.now += 0.001
    assert standby.ensure() and standby.attempts == 2, "not taken over at the interval boundary"
    holder = current_holder(store)
    assert holder is not None and holder.pid == 303
    standby.release()


def test_a_holder_whose_lock_is_gone_stops_at_once(store: Store, tmp_path: Path) -> None:
    clock = Clock()
    a = PollerLease(store, interval=INTERVAL, monotonic=clock, pid=1)
    b = PollerLease(store, interval=INTERVAL, monotonic=clock, pid=2)
    assert a.ensure()
    if store.url.startswith("postgresql"):
        # the connection is dropped (a network cut, a server restart): the server lets the lock go
        terminate(store.url, a._lock.backend_pid or 0)  # noqa: SLF001  # the lock's own connection, ended from outside
    else:
        # the lock file is removed (a dyno's disk wiped): a new file means a new lock
        database = store.engine.url.database
        assert database is not None
        os.unlink(f"{database}.poller.lock")
    assert b.ensure(), "the lock was free: the standby takes it"
    assert not a.ensure(), "the old holder must stop polling at once"
    assert a.ensure() is False and b.ensure() is True
    a.release()
    b.release()


def test_in_memory_store_uses_a_lock_local_to_the_process() -> None:
    store = Store("sqlite://")
    other = Store("sqlite://")
    clock = Clock()
    a = PollerLease(store, interval=INTERVAL, monotonic=clock)
    b = PollerLease(store, interval=INTERVAL, monotonic=clock)
    c = PollerLease(other, interval=INTERVAL, monotonic=clock)
    assert a.ensure() and not b.ensure()
    assert c.ensure(), "another in-memory database is another lease"
    a.release()
    clock.now += INTERVAL
    assert b.ensure()
    for lease in (b, c):
        lease.release()
    store.close()
    other.close()


def test_renewal_is_recorded_at_most_once_a_second(store: Store) -> None:
    clock = Clock()
    a = PollerLease(store, interval=INTERVAL, monotonic=clock)
    assert a.ensure()
    first = current_holder(store)
    assert first is not None
    time.sleep(0.01)  # the row's wall-clock stamp must be able to move
    clock.now += 0.999
    assert a.ensure()
    same = current_holder(store)
    assert same is not None and same.renewed_at == first.renewed_at
    clock.now += 0.001
    assert a.ensure()
    later = current_holder(store)
    assert later is not None and later.renewed_at > first.renewed_at and later.since == first.since
    a.release()
