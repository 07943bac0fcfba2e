"""A PostgreSQL database of the test's own, made on the local server and dropped after it.

The lease and claim tests need PostgreSQL itself (advisory locks, ``FOR UPDATE SKIP LOCKED``)
whatever ``--database`` chose, and a whole database rather than a schema: advisory locks are
per database, and these tests kill connections and processes. When no server answers at
127.0.0.1:5432 they skip, saying so (the suite's ``--database postgres`` run fails instead).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

#: the server (trust authentication); ``ELECTIONBOT_TEST_POSTGRES`` may name another one
SERVER = os.environ.get("ELECTIONBOT_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


def _connect():  # type: ignore[no-untyped-def]  # psycopg's Connection, imported lazily (an optional extra)
    import psycopg

    return psycopg.connect(SERVER, autocommit=True, connect_timeout=3)


def server_missing() -> str | None:
    """Why PostgreSQL cannot be used here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    try:
        with _connect():
            return None
    except Exception as exc:
        return f"no PostgreSQL server at {SERVER!r}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"


@contextmanager
def own_database(prefix: str = "electionbot_lease") -> Iterator[str]:
    """``postgresql+psycopg://`` URL of a fresh database, dropped (its connections ended) afterwards."""
    reason = server_missing()
    if reason:
        pytest.skip(f"PostgreSQL test skipped: {reason}")
    name = f"{prefix}_{secrets.token_hex(5)}"
    with _connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        params = dict(part.split("=", 1) for part in SERVER.split())
        yield f"postgresql+psycopg://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:{params.get('port', '5432')}/{name}"
    finally:
        with _connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def terminate(url: str, backend_pid: int) -> None:
    """End one server connection from outside, as a dropped network or a dead process would."""
    with _connect() as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
