"""Each feed's health: its last poll, success and change, and its failures in a row (for the
"feed down" and "recovered" alerts, ``/healthz`` and ``/results status``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.moments import aware, utcnow
from bot.store.sessions import Sessions
from bot.store.tables import FeedHealthRow


@dataclass(frozen=True, slots=True)
class FeedHealth:
    feed: str
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_change_at: datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(slots=True)
class PollSuccess:
    """A poll that changed the snapshot, its health written in the poll's own transaction
    (``Store.commit_poll(..., success=...)``): one session, transaction and commit a poll
    instead of two. ``failures_before`` is filled in by that write: the failures in
    a row that preceded this success (for a "recovered" alert), as ``record_success`` returns them."""

    changed: bool = True
    failures_before: int = 0


def write_success(s: Session, feed: str, changed: bool, now: datetime) -> int:
    """The feed's health after a good poll, in the caller's transaction; returns the failures
    in a row that preceded it."""
    row = s.get(FeedHealthRow, feed) or FeedHealthRow(feed=feed, consecutive_failures=0)
    s.add(row)
    before = row.consecutive_failures or 0
    row.last_poll_at = now
    row.last_success_at = now
    if changed or row.last_change_at is None:
        row.last_change_at = now
    row.consecutive_failures = 0
    return before


class FeedHealthStore(Sessions):
    def record_success(self, feed: str, changed: bool, now: datetime | None = None) -> int:
        """Returns the failures that preceded this success (for a "recovered" alert)."""
        with self.session() as s, s.begin():
            return write_success(s, feed, changed, now or utcnow())

    def record_failure(self, feed: str, error: str, now: datetime | None = None) -> int:
        now = now or utcnow()
        with self.session() as s, s.begin():
            row = s.get(FeedHealthRow, feed) or FeedHealthRow(feed=feed, consecutive_failures=0)
            s.add(row)
            row.last_poll_at = now
            row.consecutive_failures = (row.consecutive_failures or 0) + 1
            row.last_error = error[:500]
            row.last_error_at = now
            return row.consecutive_failures

    def health(self) -> list[FeedHealth]:
        with self.session() as s:
            rows = s.scalars(select(FeedHealthRow).order_by(FeedHealthRow.feed)).all()
            return [
                FeedHealth(
                    r.feed,
                    aware(r.last_poll_at),
                    aware(r.last_success_at),
                    aware(r.last_change_at),
                    r.consecutive_failures or 0,
                    r.last_error,
                )
                for r in rows
            ]
