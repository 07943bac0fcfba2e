"""The store's engine and its sessions, what every part of the store works through: SQLite with
WAL and a busy timeout, and the schema brought to this code's head before the first session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.store import schema
from bot.store.checkpoints import WalCheckpointer


class Sessions:
    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        #: a database file's WAL is copied by a thread of its own (bot/store/checkpoints.py)
        self.checkpointer: WalCheckpointer | None = None
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            path = self.engine.url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                self.checkpointer = WalCheckpointer(path)
        schema.prepare(self.engine)  # migrated to this code's head, or SchemaError (bot/store/schema.py)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if self.checkpointer is not None:
            # the checkpointer's own method, not one of ours: a listener holding this object would
            # tie it to its sessionmaker in a cycle, and a process ending without close() would
            # then leave its connections (and the log file) unclosed
            nudge = self.checkpointer.nudge
            event.listen(self._sessions, "after_commit", lambda _session: nudge())

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.engine.dispose()

    def abandon(self) -> None:
        """For a process that ends next and a database deleted with it (a replay's temporary
        file): no more checkpoints, and nothing closed. Closing copies the log into the file and
        syncs it (20-25 ms after a national reply) for a file about to be unlinked."""
        if self.checkpointer is not None:
            self.checkpointer.stop()

    def session(self) -> Session:
        return self._sessions()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets /results read while the poller writes; the busy timeout rides out short locks.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # no checkpoint inside a commit: WalCheckpointer copies the log on a thread of its own
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()
