"""The ``alembic`` command line's entry (developers: ``alembic -c bot/store/migrations/alembic.ini
revision -m "what"``, or ``--autogenerate`` against ``DATABASE_URL``). The bot does not come
through here: ``bot.store.schema`` runs the same revisions with its own checks and lock."""

from __future__ import annotations

import importlib
import os
import pkgutil

from alembic import context
from sqlalchemy import create_engine

import bot.store
from bot.store.base import Base

# Every table module of the store, found rather than listed, so that Base.metadata holds them all
# and --autogenerate compares a model added in a new module too (the walk of
# tests/integration/store/test_migrations.py). Found by name, too, because bot.store.database
# imports the migrations (bot/store/schema.py): a static import back would be a cycle.
for _module in pkgutil.iter_modules(bot.store.__path__, "bot.store."):
    if not _module.name.endswith(".migrations"):
        importlib.import_module(_module.name)

# slack_sdk's OAuth stores keep their own tables in this database (many workspaces:
# bot/app/slack_oauth.py creates them with the library's create_tables); they are not ours to
# migrate, so autogenerate neither drops nor compares them.
SLACK_SDK_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name in SLACK_SDK_TABLES)


config = context.config
url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or "sqlite:///electionbot.db"
if url.startswith("postgres://"):
    url = "postgresql+psycopg://" + url[len("postgres://") :]

if context.is_offline_mode():
    context.configure(
        url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
