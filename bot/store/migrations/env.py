"""The ``alembic`` command line's entry (developers: ``alembic -c bot/store/migrations/alembic.ini
revision -m "what"``, or ``--autogenerate`` against ``DATABASE_URL``). The bot does not come
through here: ``bot.store.schema`` runs the same revisions with its own checks and lock."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

import bot.store.database  # noqa: F401  # every table's module, so that Base.metadata holds them all
from bot.store.base import Base

config = context.config
url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or "sqlite:///electionbot.db"
if url.startswith("postgres://"):
    url = "postgresql+psycopg://" + url[len("postgres://") :]

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
