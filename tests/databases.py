"""The database the tests' stores live in: SQLite files (the default) or the PostgreSQL server.

A test names its store by a path, as it always did (``db_url(tmp_path / "bot.db")``): on SQLite
that is the file; on PostgreSQL (``pytest --database postgres`` or ``ELECTIONBOT_TEST_DATABASE``,
see tests/conftest.py) it is a schema of its own, named after the path, in a database made for
this pytest session and dropped after it. The same path gives the same schema, so a test that
reopens its store, runs a web and a worker store side by side, or hands the URL to a subprocess
sees one database, as with a file; another test's path is another schema, empty. Each schema is
upgraded by the store itself (bot/store/schema.py), as a fresh production database would be.

Tests that are about SQLite itself (a corrupt file, WAL) keep a literal ``sqlite:///`` URL and
say why; they run on SQLite whatever is chosen.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.engine import URL

ENV = "ELECTIONBOT_TEST_DATABASE"
#: ``--database postgres`` with no URL: the server CI and this machine run (trust authentication)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class _Postgres:
    """The session's own database on the server, and the schemas made in it so far."""

    server: URL  # where the session's database is created (its own database is never touched)
    name: str
    admin: Engine
    schemas: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> URL:
        return self.server.set(database=self.name)


_postgres: _Postgres | None = None


def choose(option: str | None) -> str:
    """``sqlite``, or the PostgreSQL URL the tests create their database beside."""
    value = (option or os.environ.get(ENV) or "sqlite").strip()
    if value in ("", "sqlite"):
        return "sqlite"
    if value in ("postgres", "postgresql"):
        return DEFAULT_POSTGRES
    if value.startswith("postgres://"):
        value = "postgresql+psycopg://" + value[len("postgres://") :]
    if not value.startswith("postgresql"):
        raise ValueError(f"{ENV} / --database: 'sqlite', 'postgres' or a postgresql:// URL, not {value!r}")
    return value


def start_postgres(server_url: str) -> str:
    """Create this session's database (``electionbot_test_<pid>_<random>``); returns its name.
    Raises the driver's error when the server cannot be reached: the caller says so and stops."""
    global _postgres
    server = make_url(server_url)
    name = f"electionbot_test_{os.getpid()}_{secrets.token_hex(4)}"
    maintenance = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as conn:
            _drop_abandoned(conn)
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        maintenance.dispose()
    admin = create_engine(server.set(database=name), isolation_level="AUTOCOMMIT", pool_size=1)
    _postgres = _Postgres(server, name, admin)
    return name


def _drop_abandoned(conn: Any) -> None:
    """Drop the databases of earlier runs that were killed before ``stop_postgres`` (a SIGKILL,
    a CI timeout): named for a process that no longer runs here and with no one connected to
    them. Without this each killed run left a database behind for good."""
    rows = conn.execute(
        text(
            "SELECT d.datname FROM pg_database d WHERE d.datname LIKE 'electionbot\\_test\\_%' "
            "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"
        )
    ).scalars()
    for name in rows:
        match = re.fullmatch(r"electionbot_test_(\d+)_[0-9a-f]+", name)
        if match is None or _alive(int(match.group(1))):
            continue
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def stop_postgres() -> None:
    """Drop the session's database (connections still open in it, a test's stores, are ended)."""
    global _postgres
    if _postgres is None:
        return
    pg, _postgres = _postgres, None
    pg.admin.dispose()
    maintenance = create_engine(pg.server, isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg.name}" WITH (FORCE)'))
    finally:
        maintenance.dispose()


def on_postgres() -> bool:
    return _postgres is not None


def db_url(path: Path | str) -> str:
    """The store URL for ``path``: the SQLite file, or its PostgreSQL schema (created once)."""
    if _postgres is None:
        return f"sqlite:///{path}"
    schema = "t_" + hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:20]
    with _postgres.lock:
        if schema not in _postgres.schemas:
            with _postgres.admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            _postgres.schemas.add(schema)
    url = _postgres.url.render_as_string(hide_password=False)
    return f"{url}?options={quote(f'-csearch_path={schema}')}"


def server_database() -> str | None:
    """The session database's name on PostgreSQL (tests that make databases of their own
    create them beside it and drop them)."""
    return _postgres.name if _postgres is not None else None


def server_url() -> URL | None:
    return _postgres.server if _postgres is not None else None
