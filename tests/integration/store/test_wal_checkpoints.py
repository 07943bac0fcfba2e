"""SQLite's WAL is copied into the database file by a thread of its own (bot/store/checkpoints.py),
never inside a commit: the poll's commit returns once its frames are in the log.

These are about SQLite itself, so they keep literal ``sqlite:///`` URLs (tests/databases.py says
why); a PostgreSQL store has no checkpointer.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot
from bot.core.rules import RaceMemory
from bot.store.checkpoints import WalCheckpointer
from bot.store.database import Store

AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def _snapshot(n: int, votes: int = 1) -> Snapshot:
    """``n`` races with a county each: a few hundred pages of log."""
    races = [
        Race(
            state="AL",
            race_id=str(i),
            office="State House",
            candidates=(Candidate("a", "Ann Able"), Candidate("b", "Bo Baker")),
            units=(
                ReportingUnit("AL", Level.STATE, "Alabama", {"a": votes, "b": i}),
                ReportingUnit("01001", Level.COUNTY, "Autauga", {"a": votes, "b": i}, fips="01001"),
            ),
            call_status=CallStatus.NONE,
        )
        for i in range(n)
    ]
    return Snapshot.of("f", AT, races)


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _left_in_log(path: Path) -> tuple[int, int]:
    """(frames in the log, frames copied) as a PASSIVE checkpoint of our own finds them."""
    conn = sqlite3.connect(path)
    try:
        _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()
    return frames, copied


def test_the_stores_connections_never_checkpoint_inside_a_commit(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert store.checkpointer is not None
    finally:
        store.close()


def test_a_commit_is_copied_into_the_database_file_by_the_checkpointer_soon_after(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = Store(f"sqlite:///{path}")
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None
        assert checkpointer.threshold == 4096 * 1000  # SQLite's own: 1,000 pages
        checkpointer.threshold = 64 * 1024  # this test's log is smaller
        runs_before = checkpointer.runs
        store.commit_poll(_snapshot(300), {"AL-1": RaceMemory(had_votes=True)}, {}, [], AT)
        assert _wait_for(lambda: checkpointer.runs > runs_before and checkpointer.frames_copied > 50)
        # the thread's checkpoint left nothing to copy: every frame of the log is in the file
        frames, copied = _left_in_log(path)
        assert frames == copied
        assert checkpointer.frames_copied >= frames > 50
    finally:
        store.close()
    reopened = Store(f"sqlite:///{path}")
    try:
        stored = reopened.load("f")
        assert stored is not None and len(stored.snapshot.races) == 300
    finally:
        reopened.close()


def test_commits_within_the_interval_are_copied_by_one_checkpoint_and_close_does_not_wait_out_the_pause(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.db"
    store = Store(f"sqlite:///{path}")
    store.close()  # the schema is made; the checkpointer under test is this one
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x TEXT)")
    checkpointer = WalCheckpointer(str(path), interval=60.0, threshold=0)
    try:
        conn.execute("INSERT INTO t VALUES ('one')")
        checkpointer.nudge()
        assert _wait_for(lambda: checkpointer.runs == 1)
        conn.execute("INSERT INTO t VALUES ('two')")
        checkpointer.nudge()
        conn.execute("INSERT INTO t VALUES ('three')")
        checkpointer.nudge()
        time.sleep(0.2)
        assert checkpointer.runs == 1  # the next one waits for the interval
    finally:
        started = time.monotonic()
        checkpointer.close(timeout=30)
        closed_in = time.monotonic() - started
        conn.close()
    thread = checkpointer._thread  # noqa: SLF001  # whether the thread is gone is the point
    assert thread is not None and not thread.is_alive()
    assert closed_in < 30  # not the 60 s pause: close wakes it
    checkpointer.nudge()  # after close: nothing starts again
    assert checkpointer._thread is thread  # noqa: SLF001


def test_a_checkpoint_that_cannot_open_the_database_logs_one_line_and_raises_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = WalCheckpointer(str(tmp_path / "gone" / "bot.db"))
    with caplog.at_level(logging.WARNING, logger="electionbot.store"):
        assert checkpointer.checkpoint() is None
    lines = [r for r in caplog.records if "WAL checkpoint" in r.getMessage()]
    assert len(lines) == 1 and "bot.db" in lines[0].getMessage()
    assert checkpointer.runs == 0


def test_a_small_log_starts_no_thread_and_is_copied_when_the_store_closes(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = Store(f"sqlite:///{path}")
    checkpointer = store.checkpointer
    assert checkpointer is not None
    store.commit_poll(_snapshot(20), {}, {}, [], AT)
    wal = Path(f"{path}-wal")
    assert 0 < wal.stat().st_size < checkpointer.threshold
    assert checkpointer._thread is None and checkpointer.runs == 0  # noqa: SLF001
    checkpointer.threshold = wal.stat().st_size + 1  # a byte short: still asleep
    checkpointer.nudge()
    time.sleep(0.1)
    assert checkpointer._thread is None and checkpointer.runs == 0  # noqa: SLF001
    checkpointer.threshold = wal.stat().st_size  # at the threshold: woken
    checkpointer.nudge()
    assert _wait_for(lambda: checkpointer.runs == 1)
    store.close()
    assert not wal.exists()  # the last connection's close copied the rest and removed the log


def test_a_store_in_memory_or_on_postgresql_has_no_checkpointer() -> None:
    store = Store("sqlite://")
    try:
        assert store.checkpointer is None
        store.commit_poll(_snapshot(3), {}, {}, [], AT)  # commits as before
    finally:
        store.close()


def test_readers_keep_reading_while_the_checkpointer_copies(tmp_path: Path) -> None:
    """A PASSIVE checkpoint blocks no reader: /results reads the store while a poll's log is copied."""
    path = tmp_path / "bot.db"
    store = Store(f"sqlite:///{path}")
    reader = Store(f"sqlite:///{path}")
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.wait(0.005):  # a desk's /results now and then, not a spin on the GIL
                reader.load("f")
        except BaseException as exc:  # noqa: BLE001  # any failure is the finding
            errors.append(exc)

    thread = threading.Thread(target=read)
    assert store.checkpointer is not None
    store.checkpointer.threshold = 0
    store.checkpointer.interval = 0.05
    try:
        store.commit_poll(_snapshot(200), {}, {}, [], AT)
        thread.start()
        for votes in range(2, 6):
            store.commit_poll(_snapshot(200, votes), {}, {}, [], AT.replace(minute=votes))
        checkpointer = store.checkpointer
        assert checkpointer is not None
        assert _wait_for(lambda: checkpointer.runs >= 2)
    finally:
        done.set()
        if thread.is_alive():
            thread.join(10)
        reader.close()
        store.close()
    assert errors == []
    reopened = Store(f"sqlite:///{path}")
    try:
        stored = reopened.load("f")
        assert stored is not None
        race = stored.snapshot.races["AL-0"]
        assert race.state_unit is not None and race.state_unit.votes["a"] == 5
    finally:
        reopened.close()


def test_a_process_that_ends_without_closing_its_store_still_leaves_no_log_behind(tmp_path: Path) -> None:
    """Nothing ties the store to itself in a cycle (the commit listener holds the checkpointer
    only), so the interpreter's exit closes its connections and SQLite removes the log."""
    path = tmp_path / "bot.db"
    script = (
        "from datetime import UTC, datetime\n"
        "from bot.core.model import Snapshot\n"
        "from bot.store.database import Store\n"
        f"store = Store({f'sqlite:///{path}'!r})\n"
        "store.commit_poll(Snapshot.of('f', datetime(2026, 11, 4, tzinfo=UTC), []), {}, {}, [])\n"
        "assert store.checkpointer is not None\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert path.exists() and not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_starts_its_own_checkpoint_thread(tmp_path: Path) -> None:
    """The parent's thread is not in the child (nor is a lock it held): the child's first nudge
    starts a thread of its own, and its checkpoint runs."""
    path = tmp_path / "bot.db"
    Store(f"sqlite:///{path}").close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("INSERT INTO t VALUES ('parent')")
    checkpointer = WalCheckpointer(str(path), interval=0.01, threshold=0)
    checkpointer.nudge()
    assert _wait_for(lambda: checkpointer.runs >= 1)
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        code = 1
        try:
            before = checkpointer.runs
            child_conn = sqlite3.connect(path, isolation_level=None)
            child_conn.execute("INSERT INTO t VALUES ('child')")
            checkpointer.nudge()
            code = 0 if _wait_for(lambda: checkpointer.runs > before, 10) else 3
            child_conn.close()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    checkpointer.close()
    conn.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_unexpected_error_in_a_checkpoint_is_logged_and_the_thread_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    Store(f"sqlite:///{path}").close()

    class Odd(WalCheckpointer):
        """Its first checkpoint meets a bug (not a database error); the next ones work."""

        failed = False

        def checkpoint(self) -> tuple[int, int, int] | None:
            if not self.failed:
                self.failed = True
                raise RuntimeError("a bug")
            return super().checkpoint()

    conn = sqlite3.connect(path, isolation_level=None)  # a log to copy, kept while the test runs
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x TEXT)")
    checkpointer = Odd(str(path), interval=0.01, threshold=0)
    try:
        with caplog.at_level(logging.ERROR, logger="electionbot.store"):
            checkpointer.nudge()
            assert _wait_for(lambda: checkpointer.failed)
            conn.execute("INSERT INTO t VALUES ('after')")
            checkpointer.nudge()
            assert _wait_for(lambda: checkpointer.runs == 1)
    finally:
        checkpointer.close()
        conn.close()
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [f"WAL checkpoint of {path} failed"]
