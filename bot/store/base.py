"""The declarative base every table of the store is declared on (``bot.store.database``,
``bot.store.history``): one metadata for ``create_all``, the migrations and their checks, in a
module of its own so a table module beside ``database`` needs no import of it (no cycle)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Moment(TypeDecorator[datetime]):
    """A point in time, written as UTC and read back aware: SQLite's DATETIME keeps the wall
    clock of an aware datetime and drops its offset (20:30-05:00 came back as 20:30 UTC, five
    hours early), where PostgreSQL's ``timestamptz`` keeps the instant. Same instant on both; the
    database type is ``DateTime(timezone=True)``, so no migration."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
