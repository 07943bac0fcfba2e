"""The whole suite, on SQLite (default) or PostgreSQL: ``pytest --database postgres`` (the server
at 127.0.0.1:5432), ``--database postgresql+psycopg://user@host/db``, or the same values in
``ELECTIONBOT_TEST_DATABASE`` (``make test-postgres``). The stores of the tests then live in a
database made for the session and dropped after it (tests/databases.py).

A server that cannot be reached stops the run with one line saying so: a suite asked for
PostgreSQL never passes quietly on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests import databases


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        default=None,
        help=f"where the tests' stores live: sqlite (default), postgres, or a postgresql URL (also ${databases.ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        chosen = databases.choose(config.getoption("--database"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if chosen == "sqlite":
        return
    try:
        databases.start_postgres(chosen)
    except Exception as exc:  # the driver's and SQLAlchemy's connection errors differ by cause
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise pytest.UsageError(
            f"PostgreSQL was asked for (--database / {databases.ENV}) but {chosen} cannot be used: {first}. "
            "Start the server, or run the suite on SQLite (make test)."
        ) from None


def pytest_unconfigure(config: pytest.Config) -> None:
    databases.stop_postgres()


def pytest_report_header(config: pytest.Config) -> str:
    name = databases.server_database()
    return f"database: PostgreSQL, session database {name}" if name else "database: SQLite files"


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """The CLI's and the web process's log setup (bot/app/logs.py) set the root logger's level and
    add a handler in-process; a test that runs them must not change what later tests capture
    (caplog sees INFO lines only where something lowered the root level). Seen under xdist's order."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in handlers and getattr(handler, "_electionbot", False):
            root.removeHandler(handler)
    root.setLevel(level)
