"""Who polls, and who delivers to which channel, when many ``worker`` processes share one database.

The poller's lease (``PollerLease``): exactly one process polls the feeds. On PostgreSQL it is a
session-level advisory lock held on a connection of its own, kept open: when the holder dies its
connection drops and the server releases the lock, with no expiry to wait out. On SQLite it is an
``flock`` on a file beside the database (the kernel releases it with the process); an in-memory
database gets a lock local to the process. Every process asks ``ensure()`` before each poll: the
holder checks its lock is still there (a holder that lost its connection stops polling at once),
the others try to take it, at most once per poll interval, so a dead holder is replaced within
one interval. The holder writes who it is to ``poller_lease`` so ``/healthz`` can show it
(``current_holder``).

Channel claims (``ChannelClaims``, PostgreSQL): every worker delivers, but a channel belongs to
one worker at a time, so its messages stay in order and paced as one. A claim is a session-level
advisory lock per (platform, channel) on the worker's own connection, taken in the transaction
that locks the channel's oldest unsent row ``FOR UPDATE SKIP LOCKED`` (two workers claiming at
once skip each other's heads instead of waiting). It lasts while the worker has work there and
dies with the worker's connection; a row "sending" is only ever looked at by the channel's
holder, so the crash check never runs against a live worker's post. On SQLite (one writer, one
delivering process) ``SoleClaims`` gives every channel to the lease holder.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from bot.store.database import Store
from bot.store.moments import utcnow
from bot.store.tables import PollerLeaseRow

log = logging.getLogger("electionbot.lease")

#: the lease's name: its advisory-lock key and its row in ``poller_lease``.
POLLER = "poller"
#: the holder rewrites ``renewed_at`` at most this often (it checks its lock before every poll).
RENEW_EVERY = 1.0


def advisory_key(name: str, scope: str = "") -> int:
    """A fixed signed 64-bit key for ``pg_try_advisory_lock(bigint)``, derived from the name.
    ``scope``: advisory locks are per database, not per schema; two stores in one database under
    different ``search_path`` options (the test suite's schemas) must not share a lease."""
    return int.from_bytes(hashlib.sha256(f"electionbot:{name}{scope}".encode()).digest()[:8], "big", signed=True)


def claim_space(scope: str = "") -> int:
    """The first half of the two-int advisory keys of channel claims (apart from the bigint lease key)."""
    return int.from_bytes(hashlib.sha256(f"electionbot:channel{scope}".encode()).digest()[:4], "big", signed=True)


def lock_scope(store: Store) -> str:
    """What tells this store's tables apart within its database: the connection's options
    (``-csearch_path=…``), empty for the default schema."""
    options = store.engine.url.query.get("options", "")
    return "" if not options else "@" + (options if isinstance(options, str) else " ".join(options))


def channel_key(platform: str, channel: str) -> int:
    """The second half of a channel's claim key (a signed 32-bit hash of platform and channel)."""
    value = zlib.crc32(f"{platform}/{channel}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """Who holds the poller's lease. ``verified``: the lock itself was seen held by that holder
    (PostgreSQL); on SQLite only the row is known, so judge it by ``renewed_at``."""

    host: str
    pid: int
    since: datetime
    renewed_at: datetime
    verified: bool


def current_holder(store: Store, name: str = POLLER) -> LeaseHolder | None:
    """The lease's holder as recorded, or None. On PostgreSQL None also when the recorded holder's
    connection no longer holds the lock (it died; a successor may not have written its row yet)."""
    with store.session() as s:
        row = s.scalar(select(PollerLeaseRow).where(PollerLeaseRow.name == name))
        if row is None:
            return None
        verified = False
        if is_postgres(store.url):
            key = advisory_key(name, lock_scope(store))
            held = s.execute(
                text(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                    " AND classid = :hi AND objid = :lo AND pid = :pid"
                ),
                {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF, "pid": row.backend_pid or -1},
            ).first()
            if held is None:
                return None
            verified = True
        return LeaseHolder(row.host, row.pid, _aware(row.since), _aware(row.renewed_at), verified)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- the locks ------------------------------------------------------------------------------


class _Lock(Protocol):
    def acquire(self) -> bool: ...
    def alive(self) -> bool: ...
    def release(self) -> None: ...
    @property
    def backend_pid(self) -> int | None: ...


def _lock_engine(url: str) -> Engine:
    """A pool of its own without pooling: the lock's connection is never handed to anyone else,
    and keepalives make a dead server show up as an error rather than a hang."""
    return create_engine(
        url,
        poolclass=NullPool,
        connect_args={"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2},
    )


class _PgLock:
    """``pg_try_advisory_lock`` on a dedicated autocommit connection (session level: no
    transaction stays open, and the lock goes with the connection)."""

    def __init__(self, url: str, key: int):
        self._engine = _lock_engine(url)
        self._key = key
        self._conn: Connection | None = None
        self.backend_pid: int | None = None

    def acquire(self) -> bool:
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except Exception as exc:
            log.warning("poller lease: cannot connect to take it (%s)", type(exc).__name__)
            return False
        try:
            got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}))
            pid = conn.scalar(text("SELECT pg_backend_pid()"))
        except Exception as exc:
            log.warning("poller lease: could not ask for it (%s)", type(exc).__name__)
            conn.close()
            return False
        if not got:
            conn.close()
            return False
        self._conn, self.backend_pid = conn, int(pid or 0)
        return True

    def alive(self) -> bool:
        """Whether this connection still holds the lock (a dropped connection does not)."""
        if self._conn is None:
            return False
        try:
            return bool(
                self._conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                        " AND classid = :hi AND objid = :lo AND pid = pg_backend_pid()"
                    ),
                    {"hi": (self._key >> 32) & 0xFFFFFFFF, "lo": self._key & 0xFFFFFFFF},
                )
            )
        except Exception:
            return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            except Exception:
                pass  # a dropped connection already let it go
            finally:
                conn.close()

    def close(self) -> None:
        self.release()
        self._engine.dispose()


class _FileLock:
    """``flock`` on a file beside the SQLite database; the kernel drops it with the process."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self.backend_pid: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def alive(self) -> bool:
        """Still ours: the file we locked is still the one at the path (not deleted or replaced)."""
        if self._fd is None:
            return False
        try:
            return os.fstat(self._fd).st_ino == os.stat(self.path).st_ino
        except OSError:
            return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        self.release()


_local_guard = threading.Lock()
_local_held: set[str] = set()


class _LocalLock:
    """An in-memory database exists in one process only: a lock in this process is enough."""

    def __init__(self, key: str):
        self._key = key
        self._mine = False
        self.backend_pid: int | None = None

    def acquire(self) -> bool:
        with _local_guard:
            if self._key in _local_held:
                return False
            _local_held.add(self._key)
            self._mine = True
            return True

    def alive(self) -> bool:
        return self._mine

    def release(self) -> None:
        with _local_guard:
            if self._mine:
                _local_held.discard(self._key)
                self._mine = False

    def close(self) -> None:
        self.release()


def _lock_for(store: Store, name: str) -> _PgLock | _FileLock | _LocalLock:
    url = store.url
    if is_postgres(url):
        return _PgLock(url, advisory_key(name, lock_scope(store)))
    database = store.engine.url.database
    if url.startswith("sqlite") and database and database != ":memory:" and not database.startswith("file:"):
        return _FileLock(Path(f"{database}.{name}.lock"))
    return _LocalLock(f"{url}#{id(store)}#{name}")


# --- the lease ------------------------------------------------------------------------------


class PollerLease:
    """The poller's lease, as one process sees it. Thread-safe: every feed's poll job asks."""

    def __init__(
        self,
        store: Store,
        *,
        interval: float,
        name: str = POLLER,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        host: str | None = None,
        pid: int | None = None,
    ):
        self.store = store
        self.name = name
        self.interval = interval
        self.clock = clock
        self.monotonic = monotonic
        self.host = host or socket.gethostname()
        self.pid = pid if pid is not None else os.getpid()
        self.attempts = 0  # tries to take it (tests pin when they happen)
        self._lock = _lock_for(store, name)
        self._guard = threading.Lock()
        self._held = False
        self._closed = False
        self._next_try = float("-inf")
        self._renewed = float("-inf")
        self._since: datetime | None = None

    @property
    def held(self) -> bool:
        """As last checked (``ensure`` checks)."""
        return self._held

    def ensure(self) -> bool:
        """True when this process holds the lease now and may poll: the holder checks its lock is
        still there; anyone else tries to take it, at most once per ``interval``."""
        with self._guard:
            if self._closed:
                return False
            now = self.monotonic()
            if self._held:
                if self._lock.alive():
                    if now - self._renewed >= RENEW_EVERY:
                        self._record(renew=True)
                        self._renewed = now
                    return True
                log.error("poller lease lost (its database connection is gone): polling stops here at once")
                self._lock.release()
                self._held = False
                self._next_try = now  # another may hold it now; asking costs one query
            if now < self._next_try:
                return False
            self._next_try = now + self.interval
            self.attempts += 1
            if not self._lock.acquire():
                return False
            self._held = True
            self._since = self.clock()
            self._record(renew=False)
            self._renewed = now
            log.info("poller lease taken by %s pid %d: this process polls", self.host, self.pid)
            return True

    def release(self) -> None:
        """Let it go now (SIGTERM): another process takes it at its next try, not after a timeout."""
        with self._guard:
            self._closed = True
            if self._held:
                self._held = False
                log.info("poller lease released by %s pid %d", self.host, self.pid)
            self._lock.close()

    def _record(self, *, renew: bool) -> None:
        """The holder's row; a failure to write it is said and does not stop polling (the lock decides)."""
        now = self.clock()
        try:
            with self.store.session() as s, s.begin():
                row = s.get(PollerLeaseRow, self.name)
                if row is None:
                    row = PollerLeaseRow(name=self.name)
                    s.add(row)
                if not renew or row.pid != self.pid or row.host != self.host:
                    row.host, row.pid, row.since = self.host, self.pid, self._since or now
                    row.backend_pid = self._lock.backend_pid
                row.renewed_at = now
        except Exception as exc:
            log.warning("poller lease: could not record the holder (%s)", type(exc).__name__)


# --- channel claims -------------------------------------------------------------------------


class Claims(Protocol):
    """Which channels this process may deliver to now (the worker asks each round)."""

    def hold(self, platform: str, channels: Iterable[str]) -> tuple[set[str], set[str]]:
        """Of ``channels``: (all held now, the ones newly taken)."""
        ...

    def release_idle(self, platform: str) -> None: ...
    def release_all(self) -> None: ...

    def refreshes_cards(self) -> bool:
        """Whether this process edits live cards (one process does: one edit pace per workspace)."""
        ...


class SoleClaims:
    """SQLite: the lease holder delivers to every channel, nobody else to any."""

    def __init__(self, lease: PollerLease):
        self.lease = lease
        self._had = False

    def hold(self, platform: str, channels: Iterable[str]) -> tuple[set[str], set[str]]:
        wanted = set(channels)
        if not self.lease.ensure():
            self._had = False
            return set(), set()
        fresh = set() if self._had else wanted
        self._had = True
        return wanted, fresh

    def release_idle(self, platform: str) -> None:
        return None

    def release_all(self) -> None:
        self._had = False

    def refreshes_cards(self) -> bool:
        return self.lease.held


class ChannelClaims:
    """PostgreSQL: per (platform, channel), a session advisory lock on this worker's connection.

    Fair shares: each worker also holds a presence lock (its backend pid under a key space of
    its own) for as long as its connection lives, so the live workers can be counted in
    ``pg_locks``; a worker claims at most its share of the channels with work (rounded up), and
    hands back what it holds beyond it between rounds, so a worker that starts later (or a
    desk's added process) gets channels within a round or two instead of when the first runs dry.
    """

    def __init__(self, store: Store, lease: PollerLease | None = None):
        self.store = store
        self.lease = lease
        self._space = claim_space(lock_scope(store))
        self._presence = claim_space(lock_scope(store) + "#workers")
        self._engine = _lock_engine(store.url)
        self._conn: Connection | None = None
        #: per platform, the channels held, in the order they were claimed (dict as ordered set)
        self._held: dict[str, dict[str, None]] = {}
        self._guard = threading.Lock()
        self.stats = {"claims": 0, "skipped": 0, "handed_back": 0}

    def _connection(self) -> Connection:
        if self._conn is not None:
            try:
                self._conn.scalar(text("SELECT 1"))
                self._conn.commit()  # never idle in a transaction between rounds
                return self._conn
            except Exception:
                log.error("channel claims: connection lost; every claim is gone with it")
                self._held.clear()
                self._conn.close()
                self._conn = None
        conn = self._engine.connect()
        conn.execute(text("SELECT pg_advisory_lock(:a, pg_backend_pid())"), {"a": self._presence})
        conn.commit()
        self._conn = conn
        return conn

    def workers(self) -> int:
        """Live delivering workers (presence locks held), this one included."""
        with self._guard:
            return self._workers(self._connection())

    def _workers(self, conn: Connection) -> int:
        n = conn.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
                " AND classid = :a AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"a": self._presence & 0xFFFFFFFF},
        )
        conn.commit()
        return max(1, int(n or 0))

    def _share(self, conn: Connection, channels: int) -> int:
        return max(1, -(-channels // self._workers(conn)))

    def hold(self, platform: str, channels: Iterable[str]) -> tuple[set[str], set[str]]:
        with self._guard:
            order = list(dict.fromkeys(channels))
            wanted = set(order)
            try:
                conn = self._connection()
            except Exception as exc:
                log.warning("channel claims: cannot connect (%s); delivering nothing this round", type(exc).__name__)
                return set(), set()
            mine = self._held.setdefault(platform, {})
            new = [c for c in order if c not in mine]
            got: set[str] = set()
            if new:
                room = self._share(conn, len(wanted | set(mine))) - len(mine)
                if room <= 0:
                    return wanted & set(mine), set()
                try:
                    taken = self.store.claim_channels(conn, platform, new, lambda c: (self._space, channel_key(platform, c)))
                except Exception as exc:
                    conn.rollback()
                    log.warning("channel claims: claiming failed (%s)", type(exc).__name__)
                    taken = set()
                ranked = [c for c in new if c in taken]
                got = set(ranked[:room])
                for channel in got:
                    mine[channel] = None
                self._unlock(platform, set(ranked[room:]))  # claimed in the same breath, beyond the share
                self.stats["claims"] += len(got)
                self.stats["skipped"] += len(new) - len(taken)
            return wanted & set(mine), got

    def refreshes_cards(self) -> bool:
        return self.lease is None or self.lease.held

    @property
    def backend_pid(self) -> int | None:
        """The server process of this worker's claims connection (ending it ends every claim)."""
        with self._guard:
            return int(self._conn.scalar(text("SELECT pg_backend_pid()")) or 0) if self._conn is not None else None

    def release_idle(self, platform: str) -> None:
        """Between rounds: channels with nothing left to send go back, and so do channels held
        beyond this worker's share (the last claimed first), for another worker to take."""
        with self._guard:
            mine = self._held.get(platform)
            if not mine or self._conn is None:
                return
            try:
                busy = self.store.unsent_channels(platform, mine)
                self._unlock(platform, set(mine) - busy)
                waiting = set(self.store.due_channels(platform)) | busy
                surplus = len(busy) - self._share(self._conn, len(waiting))
            except Exception as exc:
                log.warning("channel claims: could not review them (%s)", type(exc).__name__)
                return
            if surplus > 0:
                extra = [c for c in mine if c in busy][-surplus:]
                self.stats["handed_back"] += len(extra)
                self._unlock(platform, set(extra))

    def release_all(self) -> None:
        with self._guard:
            for platform, mine in list(self._held.items()):
                self._unlock(platform, set(mine))
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._engine.dispose()

    def _unlock(self, platform: str, channels: set[str]) -> None:
        if not channels or self._conn is None:
            return
        try:
            for channel in channels:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:a, :b)"), {"a": self._space, "b": channel_key(platform, channel)}
                )
            self._conn.commit()
        except Exception as exc:
            log.warning("channel claims: release failed (%s)", type(exc).__name__)
        held = self._held.get(platform, {})
        for channel in channels:
            held.pop(channel, None)


def claims_for(store: Store, lease: PollerLease) -> Claims:
    return ChannelClaims(store, lease) if is_postgres(store.url) else SoleClaims(lease)


__all__ = [
    "POLLER",
    "ChannelClaims",
    "Claims",
    "LeaseHolder",
    "PollerLease",
    "SoleClaims",
    "advisory_key",
    "channel_key",
    "claims_for",
    "current_holder",
]
