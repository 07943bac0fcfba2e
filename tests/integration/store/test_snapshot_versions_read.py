"""``Store.snapshot_versions``, asked by every ``/results``, reads an index and never a snapshot's
row: on SQLite the row's ``polls`` and ``stored_at`` lie after the rules' memory (megabytes on a
national night), and reading them from the row walked it all (revision 0009)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rehearsal.scenarios import load_scenario
from bot.store.database import Store
from bot.store.snapshots import _SNAPSHOT_VERSIONS_SQL
from tests.databases import db_url


def test_the_versions_query_is_answered_from_the_covering_index(tmp_path: Path) -> None:
    night = load_scenario()
    store = Store(db_url(tmp_path / "versions.db"))
    try:
        if store.engine.dialect.name != "sqlite":
            pytest.skip("the plan asked for is SQLite's (PostgreSQL keeps a long memory out of line)")
        store.commit_poll(night[-1], {}, {}, [])
        conn = store.engine.raw_connection()
        try:
            plan = " ".join(str(row[-1]) for row in conn.cursor().execute("EXPLAIN QUERY PLAN " + _SNAPSHOT_VERSIONS_SQL))
        finally:
            conn.close()
        assert "COVERING INDEX ix_snapshots_version" in plan, plan
        assert store.snapshot_versions() == {night[-1].feed: (store.snapshot_versions()[night[-1].feed][0], 1)}
    finally:
        store.close()
