"""The declarative base every table of the store is declared on (``bot.store.database``,
``bot.store.history``): one metadata for ``create_all``, the migrations and their checks, in a
module of its own so a table module beside ``database`` needs no import of it (no cycle)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
