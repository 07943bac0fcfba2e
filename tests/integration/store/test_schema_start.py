"""The schema at a process's start without Alembic (issue 13: start-up of a national replay): the
head is read from the revision files as Alembic reads it, and an empty database created from the
models is the database the revisions build, on the database the suite runs on (SQLite by
default, PostgreSQL with ``--database postgres``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from bot.store import schema
from bot.store.database import Store
from tests.databases import db_url


def test_the_head_read_from_the_files_is_alembics() -> None:
    script = schema.scripts()
    assert schema.revision_graph() == {s.revision: tuple(s._normalized_down_revisions) for s in script.walk_revisions()}
    assert schema.heads() == tuple(sorted(script.get_heads()))


def test_a_revision_file_without_its_revision_line_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "0001_x.py").write_text("down_revision = None\n", encoding="utf-8")
    monkeypatch.setattr(schema, "MIGRATIONS", tmp_path)
    schema.revision_graph.cache_clear()
    try:
        with pytest.raises(schema.SchemaError, match="0001_x.py: no `revision = ...` line"):
            schema.heads()
    finally:
        monkeypatch.undo()
        schema.revision_graph.cache_clear()


def shape(engine: Engine) -> dict[str, Any]:
    """Everything a later revision could depend on, as the database reports it: each table's
    columns (type, nullability, default), primary key, indexes, unique constraints and foreign
    keys, by name; and the stamped revisions."""
    inspector = inspect(engine)
    found: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        found[table] = {
            # by name: a column a revision added comes last in its table, and the store names columns
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table),
            "indexes": sorted(
                (
                    i["name"],
                    tuple(i["column_names"]),
                    bool(i["unique"]),
                    str(sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items())),
                )
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted((u["name"] or "", tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "foreign keys": sorted(str(sorted(fk.items())) for fk in inspector.get_foreign_keys(table)),
        }
    with engine.connect() as conn:
        found["stamped"] = schema.current(conn)
        if engine.dialect.name == "sqlite":  # partial indexes' conditions live only in their DDL
            found["index sql"] = sorted(
                (name, " ".join(sql.split()))
                for name, sql in conn.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                )
            )
    return found


def test_an_empty_database_is_created_as_the_revisions_build_it(tmp_path: Path) -> None:
    migrated = create_engine(db_url(tmp_path / "migrated.db"))
    created = create_engine(db_url(tmp_path / "created.db"))
    try:
        schema.upgrade(migrated, "heads")
        assert schema.prepare(created) == schema.heads()
        assert shape(created) == shape(migrated)
    finally:
        migrated.dispose()
        created.dispose()


def test_a_created_database_is_one_alembic_upgrades_and_downgrades(tmp_path: Path) -> None:
    """Alembic reads the stamp written without it: a step down and back up works."""
    url = db_url(tmp_path / "stamped.db")
    Store(url).close()
    engine = create_engine(url)
    try:
        schema.downgrade(engine, "-1")
        with engine.connect() as conn:
            assert schema.current(conn) == tuple(sorted(schema.revision_graph()[schema.heads()[0]]))
        schema.upgrade(engine)
        with engine.connect() as conn:
            assert schema.current(conn) == schema.heads()
    finally:
        engine.dispose()
