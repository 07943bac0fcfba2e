"""SQLite's WAL checkpoints on a thread of their own, off the committing thread's path.

Why: with SQLite's default (``wal_autocheckpoint``, 1,000 pages) the commit that takes the log
past 4 MB copies the whole log into the database file and syncs both before it returns. A
national first poll writes about 16 MB in one transaction, so that commit spent about 40 ms
(of a 0.7 s poll) checkpointing while the poller waited, and a delta poll did it again every few
commits. Here every connection of the engine has ``wal_autocheckpoint=0`` and commits return
once their frames are in the log; this thread, woken after each commit, runs a ``PASSIVE``
checkpoint on its own connection (it waits for no reader and no writer, and never blocks one).
The copy runs in SQLite's C code, which releases the GIL, so the process goes on meanwhile.

A nudge wakes the thread only once the log file holds ``threshold`` bytes (SQLite's own default,
1,000 pages of 4 KiB): a store that writes little (a test's, a quiet night's first minutes)
starts no thread, and what it wrote is copied when it closes. At most one checkpoint runs per
``interval`` seconds, so a burst of small commits (a delivery run marks rows one by one) costs
one copy and one sync. :meth:`close` waits for a running checkpoint; what is left is copied by
SQLite itself when the engine closes its last connection (that does not depend on the setting).

A thread does not survive a fork, and a lock it held stays held in the child: a forked child's
checkpointers start afresh (``os.register_at_fork``), their thread started again by the next
nudge. (The bot forks before it opens a store, bot/app/web_server.py; this keeps a store opened
before a fork from growing its log without end in the child.)
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref

log = logging.getLogger("electionbot.store")

#: seconds between two checkpoints at most (a commit in between is copied by the next one)
DEFAULT_INTERVAL = 0.5
#: the log's size in bytes from which a commit wakes the thread (SQLite checkpoints at 1,000 pages)
DEFAULT_THRESHOLD = 1000 * 4096


class WalCheckpointer:
    """Checkpoints one SQLite database file's write-ahead log when nudged after a commit."""

    def __init__(
        self,
        path: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        threshold: int = DEFAULT_THRESHOLD,
        busy_timeout_ms: int = 30_000,
    ) -> None:
        self.path = os.path.abspath(path)  # as the engine opened it, whatever the process does next
        self._log = self.path + "-wal"
        self.interval = interval
        self.threshold = threshold
        self._busy_timeout_ms = busy_timeout_ms
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # one checkpoint at a time (the thread's, or a caller's)
        self._thread: threading.Thread | None = None
        #: checkpoints run and frames copied, over the checkpointer's life (tests, benchmarks)
        self.runs = 0
        self.frames_copied = 0
        _LIVE.add(self)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None

    def nudge(self) -> None:
        """A commit went into the log: copy it soon once the log is ``threshold`` bytes (the
        thread starts then). The log file is not shortened by a checkpoint (SQLite writes it
        again from the start), so a log that grew once keeps waking the thread, at most once
        per ``interval``."""
        if self._stopped.is_set():
            return
        try:
            if os.stat(self._log).st_size < self.threshold:
                return
        except OSError:  # no log (yet, or any more): nothing to copy
            return
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopped.is_set():
                    self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
                    self._thread.start()
        self._wake.set()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the thread, after the checkpoint it is running if it is running one."""
        self.stop()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """No checkpoint after the one running, if one is: not waited for."""
        self._stopped.set()
        self._wake.set()

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One ``PASSIVE`` checkpoint: (busy, frames in the log, frames copied), or ``None`` when
        it could not run (the file is gone, or SQLite refused): logged, never raised."""
        with self._lock:
            try:
                conn = sqlite3.connect(self.path, timeout=self._busy_timeout_ms / 1000, check_same_thread=False)
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint of %s could not open the database: %s", self.path, exc)
                return None
            try:
                row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint of %s failed: %s", self.path, exc)
                return None
            finally:
                conn.close()
            busy, frames, copied = (int(v) for v in row)
            self.runs += 1
            self.frames_copied += max(copied, 0)
            return busy, frames, copied

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stopped.is_set():
                return
            self._wake.clear()
            started = time.monotonic()
            try:
                self.checkpoint()
            except Exception:  # a bug here must not end the thread: the log would grow without end
                log.exception("WAL checkpoint of %s failed", self.path)
            # a nudge meanwhile is kept (the event stays set) and served after the pause
            if self._stopped.wait(max(0.0, self.interval - (time.monotonic() - started))):
                return


#: every checkpointer of this process, for the fork hook (weakly: a closed store's goes away)
_LIVE: weakref.WeakSet[WalCheckpointer] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for checkpointer in list(_LIVE):
        checkpointer._after_fork_in_child()  # noqa: SLF001  # the module's own hook


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
