"""The database's schema at start: migrated to this code's head, adopted, or refused (issue 16).

Every process that opens the store calls ``prepare`` (``Store`` does), so a laptop, the demo and
the tests need no separate step, and ``python -m bot migrate`` (Heroku's release phase) is the
same call made explicit. What it finds:

- the head this code knows: nothing to do (one small read, no lock, no Alembic imported: the
  head is read from the revision files' ``revision =`` lines);
- an empty database: the models' tables created and the head stamped, the schema the revisions
  in ``migrations/versions`` build (a test compares the two on both databases);
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

import ast
import functools
import importlib
import io
import logging
import pkgutil
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection, Engine, MetaData

log = logging.getLogger("electionbot.store")
# Alembic says "Context impl …" and "Will assume … DDL" at INFO on every check, in every process
# that opens the store; the one line that matters, what changed, is ours (``prepare``).
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
#: Alembic's table of the stamped revisions (its default name, which ``env.py`` keeps)
VERSION_TABLE = "alembic_version"
#: the key of ``pg_advisory_xact_lock`` held while the schema changes ("elec" in ASCII); the
#: poller's lease uses keys of its own.
LOCK_KEY = 0x656C6563


class SchemaError(Exception):
    """The database holds a schema this code will not run on or change; the message says which."""


@functools.cache
def scripts() -> ScriptDirectory:
    """The revisions as Alembic reads them, once per process: only to change the schema (or print
    the SQL); knowing the head needs no Alembic (``revision_graph``)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


#: a revision file's ``revision = "0007"`` and ``down_revision: str | None = "0006"`` lines
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def revision_graph() -> dict[str, tuple[str, ...]]:
    """Each revision and the ones it revises, read from the files' assignment lines: a process
    whose database is at the head starts without importing Alembic (a third of a second).
    ``tests/integration/store/test_migrations.py`` holds this reading equal to Alembic's."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            raise SchemaError(f"{path.name}: no `revision = ...` line")
        down = ast.literal_eval(found.get("down_revision", "None"))
        graph[ast.literal_eval(found["revision"])] = (
            () if down is None else (down,) if isinstance(down, str) else tuple(down)
        )
    return graph


def heads() -> tuple[str, ...]:
    graph = revision_graph()
    revised = {down for downs in graph.values() for down in downs}
    return tuple(sorted(revision for revision in graph if revision not in revised))


def current(conn: Connection) -> tuple[str, ...]:
    """The revisions stamped in the database (none for an empty or pre-Alembic one), read as
    Alembic reads them: the rows of ``alembic_version`` when the table exists."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table(VERSION_TABLE):
        return ()
    return tuple(sorted(row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))))


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
            if not found and _empty(conn):
                _create(conn, target)
            else:
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
    from alembic.runtime.environment import EnvironmentContext
    from alembic.util import CommandError
    from sqlalchemy import make_url

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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade_to(revision: str) -> Callable[[Any, Any], Iterable[Any]]:
    script = scripts()
    return lambda rev, _ctx: script._upgrade_revs(revision, rev)


def _run(conn: Connection, fn: Callable[[Any, Any], Iterable[Any]]) -> None:
    """Run revisions in the caller's transaction (the lock's), committed by the caller."""
    from alembic.runtime.environment import EnvironmentContext

    with EnvironmentContext(_config(), scripts(), fn=fn) as env:
        env.configure(connection=conn)
        env.run_migrations()


def _lock(conn: Connection) -> None:
    """Begin the transaction that holds the schema lock until the caller commits."""
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # pysqlite begins a transaction only before DML; this one takes the write lock now and
        # keeps the DDL that follows inside it (SQLite's DDL is transactional).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_unknown(found: tuple[str, ...], engine: Engine) -> None:
    known = revision_graph()
    unknown = [rev for rev in found if rev not in known]
    if unknown:
        raise SchemaError(
            f"the database ({engine.url.render_as_string(hide_password=True)}) is at schema revision "
            f"{', '.join(unknown)}, which this version of electionbot does not know (a newer release migrated it); "
            f"not starting, and nothing was changed: run the release that made it (this one knows up to {', '.join(heads())})"
        )


def _empty(conn: Connection) -> bool:
    """Does the database hold none of the store's tables (a new one; slack_sdk's own may be there)?"""
    from sqlalchemy import inspect

    return not set(models().tables) & set(inspect(conn).get_table_names())


def _create(conn: Connection, head: tuple[str, ...]) -> None:
    """An empty database made at once at the head: the models' tables, then the head stamped as
    Alembic stamps it. No revision runs and Alembic is not imported (a third of a second, plus
    seven revisions' batch copies on SQLite, in every throwaway replay); the schema is the one
    the revisions build, which ``tests/integration/store/test_migrations.py`` compares table by
    table, column by column and index by index, on SQLite and on PostgreSQL."""
    from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table

    models().create_all(conn)
    stamps = MetaData()
    version = Table(
        VERSION_TABLE,
        stamps,
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )
    stamps.create_all(conn)
    conn.execute(version.insert(), [{"version_num": revision} for revision in head])


def models() -> MetaData:
    """The store's tables: every ``bot.store`` module imported, found by name as ``env.py`` finds
    them (a table module imports the store's base, so a static import back would be a cycle)."""
    import bot.store
    from bot.store.base import Base

    for module in pkgutil.iter_modules(bot.store.__path__, "bot.store."):
        if not module.name.endswith(".migrations"):
            importlib.import_module(module.name)
    return Base.metadata


def _ours(conn: Connection) -> bool:
    """Does the database hold tables the pre-Alembic store made?"""
    from sqlalchemy import inspect

    from bot.store.migrations import baseline

    present = set(inspect(conn).get_table_names())
    return any(name in present for name, _ in baseline.definitions())


def _adopt(conn: Connection) -> None:
    """A pre-Alembic database, brought to the baseline as that store's ``create_all`` and column
    adding would have (its older files lack later nullable columns and indexes), then stamped.
    A table without a column that cannot be added (not nullable) is not ours to change."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect, text

    from bot.store.migrations import baseline

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
