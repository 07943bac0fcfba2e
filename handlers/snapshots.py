"""The latest snapshots as listeners see them: decoded once per poll, not once per request.

The poller commits from another process, so nothing in the web process is told when a snapshot
changes. Each read therefore asks the store for the feeds' versions (one small query, no
documents) and reloads the snapshots only when those differ from the ones it holds.
"""

from __future__ import annotations

import threading
from typing import Any

from bot.core.model import Snapshot
from bot.store.database import Store

Versions = dict[str, tuple[Any, int]]


class LatestSnapshots:
    """Every feed's last snapshot, reloaded when ``Store.snapshot_versions`` changes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._versions: Versions | None = None
        self._snapshots: tuple[Snapshot, ...] = ()

    def get(self) -> list[Snapshot]:
        versions = self._store.snapshot_versions()
        with self._lock:
            if versions == self._versions:
                return list(self._snapshots)
        # Read after the versions: if a poll lands in between, these snapshots are newer than
        # ``versions`` and the next request, seeing the newer versions, reloads. Never staler.
        snapshots = tuple(self._store.latest_snapshots())
        with self._lock:
            self._versions, self._snapshots = versions, snapshots
        return list(snapshots)

    def if_current(self) -> list[Snapshot] | None:
        """The snapshots held, if the store's versions are still theirs (the one small query);
        ``None`` when nothing is held yet or a poll has landed since, and reading would mean
        decoding (seconds for a national snapshot): the caller then answers where it may take its
        time (Discord's handler: on its executor, deferring past ``defer_after``)."""
        versions = self._store.snapshot_versions()
        with self._lock:
            if self._versions is not None and versions == self._versions:
                return list(self._snapshots)
        return None

    def clear(self) -> None:
        """Forget what was decoded (a test, or a store swapped underneath)."""
        with self._lock:
            self._versions, self._snapshots = None, ()
