"""The store's clock: now in UTC, and a stored moment read back aware (SQLite hands back naive
datetimes even for ``timezone=True`` columns)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
