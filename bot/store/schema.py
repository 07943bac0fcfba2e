"""The database's schema at start: migrated to this code's head, adopted, or refused (issue 16).

Every process that opens the store calls ``prepare`` (``Store`` does), so a laptop, the demo and
the tests need no separate step, and ``python -m bot migrate`` (Heroku's release phase) is the
same call made explicit. What it finds:

- the head this code knows: nothing to do (one small read, no lock);
- an empty database: upgraded from nothing to the head, the revisions in ``migrations/versions``;
- tables made by the store before Alembic (no ``alembic_version``): brought to the baseline as
  that store's ``create_all`` plus column adding did, checked, stamped 0001, then upgraded;
- an older revision: upgraded;
- a revision this code does not know (a newer release migrated it): ``SchemaError``, one line,
  and the database is left exactly as it is.

Changes run under a lock, so two processes starting together do not both migrate: on
PostgreSQL a transaction-scoped advisory lock around the whole upgrade (its DDL is
transactional: it commits at once or not at all); on SQLite ``BEGIN IMMEDIATE``, the database's
write lock, held for the same transaction. The second process then finds the head and goes on.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect, make_url, text

from bot.store.migrations import baseline

log = logging.getLogger("electionbot.store")
# Alembic says "Context impl …" and "Will assume … DDL" at INFO on every check, in every process
# that opens the store; the one line that matters, what changed, is ours (``prepare``).
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
#: the key of ``pg_advisory_xact_lock`` held while the schema changes ("elec" in ASCII); the
#: poller's lease uses keys of its own.
LOCK_KEY = 0x656C6563


class SchemaError(Exception):
    """The database holds a schema this code will not run on or change; the message says which."""


@functools.cache
def scripts() -> ScriptDirectory:
    """The revisions, read once per process (each ``Store`` would otherwise import them again)."""
    return ScriptDirectory(str(MIGRATIONS))


def heads() -> tuple[str, ...]:
    return tuple(sorted(scripts().get_heads()))


def current(conn: Connection) -> tuple[str, ...]:
    """The revisions stamped in the database (none for an empty or pre-Alembic one)."""
    return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def prepare(engine: Engine) -> tuple[str, ...]:
    """Bring the database to this code's head (see the module's docstring); returns the revisions."""
    target = heads()
    with engine.connect() as conn:
        found = current(conn)
    if found == target:
        return found
    _refuse_unknown(found, engine)
    with engine.connect() as conn:
        _lock(conn)
        found = current(conn)  # another process may have migrated while this one waited
        _refuse_unknown(found, engine)
        if found != target:
            if not found and _ours(conn):
                _adopt(conn)
            _run(conn, _upgrade_to("heads"))
            log.info("database schema: %s → %s", ", ".join(found) or "none", ", ".join(target))
        conn.commit()
        return target


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade to ``revision`` under the lock (tests; ``prepare`` is the way in for the bot)."""
    with engine.connect() as conn:
        _lock(conn)
        _run(conn, _upgrade_to(revision))
        conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade to ``revision`` (``"-1"``: one step; ``"base"``: nothing), under the lock."""
    script = scripts()
    with engine.connect() as conn:
        _lock(conn)
        _run(conn, lambda rev, _ctx: script._downgrade_revs(revision, rev))
        conn.commit()


def sql(url: str, start: str | None = None) -> str:
    """The SQL that upgrades a database of ``url``'s dialect from ``start`` (default: empty) to
    the head, without connecting (``python -m bot migrate --sql``: for a DBA to read or run)."""
    script = scripts()
    out = io.StringIO()
    destination = "heads" if start is None else f"{start}:heads"
    try:
        with EnvironmentContext(
            _config(),
            script,
            fn=lambda rev, _ctx: script._upgrade_revs("heads", rev),
            as_sql=True,
            starting_rev=start,
            destination_rev=destination,
        ) as env:
            env.configure(url=url, literal_binds=True, output_buffer=out, transactional_ddl=True)
            with env.begin_transaction():
                env.run_migrations()
    except CommandError as exc:  # SQLite's batch rebuilds read the live table: no script without it
        raise SchemaError(
            f"the upgrade cannot be written as SQL for {make_url(url).get_backend_name()} "
            f"({str(exc).split(';')[0]}); run `python -m bot migrate` against the database instead"
        ) from None
    return out.getvalue()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade_to(revision: str) -> Callable[[Any, Any], Iterable[Any]]:
    script = scripts()
    return lambda rev, _ctx: script._upgrade_revs(revision, rev)


def _run(conn: Connection, fn: Callable[[Any, Any], Iterable[Any]]) -> None:
    """Run revisions in the caller's transaction (the lock's), committed by the caller."""
    with EnvironmentContext(_config(), scripts(), fn=fn) as env:
        env.configure(connection=conn)
        env.run_migrations()


def _lock(conn: Connection) -> None:
    """Begin the transaction that holds the schema lock until the caller commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # pysqlite begins a transaction only before DML; this one takes the write lock now and
        # keeps the DDL that follows inside it (SQLite's DDL is transactional).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_unknown(found: tuple[str, ...], engine: Engine) -> None:
    known = {script.revision for script in scripts().walk_revisions()}
    unknown = [rev for rev in found if rev not in known]
    if unknown:
        raise SchemaError(
            f"the database ({engine.url.render_as_string(hide_password=True)}) is at schema revision "
            f"{', '.join(unknown)}, which this version of electionbot does not know (a newer release migrated it); "
            f"not starting, and nothing was changed: run the release that made it (this one knows up to {', '.join(heads())})"
        )


def _ours(conn: Connection) -> bool:
    """Does the database hold tables the pre-Alembic store made?"""
    present = set(inspect(conn).get_table_names())
    return any(name in present for name, _ in baseline.definitions())


def _adopt(conn: Connection) -> None:
    """A pre-Alembic database, brought to the baseline as that store's ``create_all`` and column
    adding would have (its older files lack later nullable columns and indexes), then stamped.
    A table without a column that cannot be added (not nullable) is not ours to change."""
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    tables = baseline.metadata().sorted_tables
    missing: dict[str, list[str]] = {}
    for table in tables:
        if table.name in present:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            missing[table.name] = [c.name for c in table.columns if c.name not in have]
            required = [name for name in missing[table.name] if not table.columns[name].nullable]
            if required:
                raise SchemaError(
                    f"the database's table {table.name!r} has no column {', '.join(required)}: "
                    "not a schema electionbot made; not starting, and nothing was changed"
                )
    for table in tables:
        if table.name not in present:
            table.create(conn)
            continue
        for name in missing[table.name]:
            kind = table.columns[name].type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    MigrationContext.configure(conn).stamp(scripts(), BASELINE)
    log.warning("database made before migrations: checked against the baseline and stamped %s", BASELINE)
