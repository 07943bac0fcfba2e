"""The schema's migrations (issue 16), on the database the suite runs on (SQLite by default,
PostgreSQL with ``--database postgres``): the revisions form one line ending in one head; the
migrated schema is the models'; every revision upgrades, downgrades and upgrades again; data
survives a step down and back; a pre-Alembic database is adopted; a newer one is refused and
left alone; two stores starting at once migrate once, the second waiting for the first."""

from __future__ import annotations

import importlib
import pkgutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

import bot.store
from bot.app.cli import main
from bot.core.events import Alert, Event, EventKind
from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot
from bot.store import schema
from bot.store.base import Base
from bot.store.database import Store
from bot.store.migrations import baseline
from bot.store.subscriptions import for_channel, subscribe
from tests.databases import db_url, on_postgres

AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


def models() -> Base:
    """Every table of the store's models: each ``bot.store`` module is imported, so a model
    added in a new module is compared too."""
    for module in pkgutil.iter_modules(bot.store.__path__, "bot.store."):
        if not module.name.endswith(".migrations"):
            importlib.import_module(module.name)
    return Base


def revisions() -> list[str]:
    """The revisions from the first to the head."""
    return [script.revision for script in reversed(list(schema.scripts().walk_revisions()))]


def engine_for(url: str) -> Engine:
    return create_engine(url)


def differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), models().metadata)


def stamped(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return schema.current(conn)


def race(votes: dict[str, int]) -> Race:
    unit = ReportingUnit("AL", Level.STATE, "Alabama", votes, precincts_reporting=10, precincts_total=100)
    return Race("AL", "1000", "U.S. Senate", (Candidate("a", "Ann Able"), Candidate("b", "Bo Baker")), (unit,))


def alert() -> Alert:
    return Alert(
        "al", "AL-1000", AT.isoformat(), False, (Event(EventKind.LEAD_CHANGE, "lead:AL-1000:a", "al", "AL-1000", {}),), None
    )


def test_the_revisions_are_one_line_with_one_head() -> None:
    script = schema.scripts()
    assert len(script.get_heads()) == 1, f"more than one head: {script.get_heads()}; set down_revision to the single head"
    assert len(script.get_bases()) == 1
    names = sorted(p.name for p in (schema.MIGRATIONS / "versions").glob("*.py"))
    assert [n.split("_")[0] for n in names] == revisions(), "files are named NNNN_<what>.py after their revision, in order"


def test_the_migrated_schema_is_the_models(tmp_path: Path) -> None:
    store = Store(db_url(tmp_path / "head.db"))
    try:
        assert stamped(store.engine) == schema.heads()
        assert differences(store.engine) == [], "a model changed without a revision in bot/store/migrations/versions"
    finally:
        store.close()


def test_the_comparison_sees_a_column_without_a_revision(tmp_path: Path) -> None:
    """The test above can fail: a column dropped from the database is a difference."""
    engine = engine_for(db_url(tmp_path / "drift.db"))
    try:
        schema.prepare(engine)
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE cards DROP COLUMN retired_message_ids"))
        assert [d[0] for d in differences(engine)] == ["add_column"]
    finally:
        engine.dispose()


def test_every_revision_upgrades_from_the_one_before_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = engine_for(db_url(tmp_path / "stairs.db"))
    try:
        previous: tuple[str, ...] = ()
        for revision in revisions():
            schema.upgrade(engine, revision)
            assert stamped(engine) == (revision,)
            schema.downgrade(engine, "-1")
            assert stamped(engine) == previous
            schema.upgrade(engine, revision)
            previous = (revision,)
        assert previous == schema.heads() and differences(engine) == []
        schema.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_a_step_down_and_back_up_keeps_the_night(tmp_path: Path) -> None:
    """Downgrade the last revision under a store with a poll, its alert and a subscription, then
    start again: the upgrade from the previous revision finds them all."""
    url = db_url(tmp_path / "night.db")
    store = Store(url)
    snapshot = Snapshot.of("al", AT, [race({"a": 10, "b": 9})])
    try:
        assert store.commit_poll(snapshot, {}, {"etag": "x"}, [(alert(), "C1", "slack")], AT) == 1
        subscribe(store, "C1", "AL", "quiet")
    finally:
        store.close()
    engine = engine_for(url)
    try:
        schema.downgrade(engine, "-1")
        assert stamped(engine) == (revisions()[-2],)
    finally:
        engine.dispose()
    again = Store(url)
    try:
        assert stamped(again.engine) == schema.heads()
        stored = again.load("al")
        assert stored is not None and stored.snapshot == snapshot and stored.cursor == {"etag": "x"}
        assert [d.alert.key for d in again.due("slack", AT)] == [alert().key]
        assert [(s.scope, s.level) for s in for_channel(again, "C1")] == [("AL", "quiet")]
    finally:
        again.close()


def test_the_message_ids_keep_their_values_down_to_0007_and_up_again(tmp_path: Path) -> None:
    """Revision 0008 renames the stored message ids (``outbox.message_ts``, ``cards.ts`` and
    ``retired_ts`` become ``message_id`` and ``retired_message_ids``): every value is where the
    code of each side reads it, after the step down and after the step back up."""
    url = db_url(tmp_path / "ids.db")
    store = Store(url)
    try:
        store.enqueue([(alert(), "C1", "slack")], AT)
        [row] = store.due("slack", AT)
        store.mark_sent(row.id, "1700000000.000100", AT)
        card = store.begin_card("al", "AL-1000", "C1", "slack", AT)
        store.card_live(card.id, "1700000000.000200", None, AT)
        store.card_retire(card.id, "1700000000.000200", AT)
        store.card_live(card.id, "1700000000.000300", "drawn", AT, channel_id="C0ID")
    finally:
        store.close()
    engine = engine_for(url)
    try:
        schema.downgrade(engine, "0007")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT message_ts FROM outbox")).scalars().all() == ["1700000000.000100"]
            assert conn.execute(text("SELECT ts, retired_ts, rendered_hash FROM cards")).all() == [
                ("1700000000.000300", "1700000000.000200", "drawn")
            ]
        schema.upgrade(engine, "0008")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT message_id FROM outbox")).scalars().all() == ["1700000000.000100"]
    finally:
        engine.dispose()
    again = Store(url)
    try:
        kept = again.card("AL-1000", "C1", "slack")
        assert kept is not None and (kept.message_id, kept.retired, kept.channel_id) == (
            "1700000000.000300",
            ("1700000000.000200",),
            "C0ID",
        )
        assert [a.key for _, a in again.sent_alerts("slack")] == [alert().key]
    finally:
        again.close()


def _legacy(url: str, *, without: tuple[str, str] | None = None) -> Engine:
    """A database as the store made it before Alembic: the baseline's tables by ``create_all``,
    no ``alembic_version``; ``without``: (table, column) dropped, as an older file lacks it."""
    engine = engine_for(url)
    baseline.metadata().create_all(engine)
    with engine.begin() as conn:
        if without:
            conn.execute(text(f"DROP INDEX IF EXISTS {'ix_outbox_unsent'}"))
            conn.execute(text(f"ALTER TABLE {without[0]} DROP COLUMN {without[1]}"))
        conn.execute(
            text("INSERT INTO subscriptions (channel, scope, level, created_at) VALUES ('C9', 'GA', 'all', :at)"), {"at": AT}
        )
    return engine


def test_a_database_made_before_migrations_is_checked_stamped_and_upgraded(tmp_path: Path) -> None:
    url = db_url(tmp_path / "legacy.db")
    legacy = _legacy(url, without=("outbox", "attempt_at"))  # an early file: nullable column and index added since
    try:
        assert stamped(legacy) == ()
    finally:
        legacy.dispose()
    store = Store(url)
    try:
        assert stamped(store.engine) == schema.heads()
        assert differences(store.engine) == []
        assert [(s.scope, s.level) for s in for_channel(store, "C9")] == [("GA", "all")]
    finally:
        store.close()


def test_tables_without_a_required_column_are_refused_untouched(tmp_path: Path) -> None:
    url = db_url(tmp_path / "alien.db")
    legacy = _legacy(url, without=("snapshots", "document"))
    try:
        before = _shape(legacy)
        with pytest.raises(schema.SchemaError, match="'snapshots' has no column document"):
            Store(url)
        assert _shape(legacy) == before and stamped(legacy) == ()
    finally:
        legacy.dispose()


def _shape(engine: Engine) -> dict[str, list[str]]:
    inspector = inspect(engine)
    return {t: sorted(c["name"] for c in inspector.get_columns(t)) for t in sorted(inspector.get_table_names())}


def test_a_database_at_a_revision_this_code_does_not_know_is_refused_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = db_url(tmp_path / "future.db")
    Store(url).close()
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        before = _shape(engine)
        with pytest.raises(schema.SchemaError) as refused:
            Store(url)
        assert "revision 9999, which this version of electionbot does not know" in str(refused.value)
        assert "\n" not in str(refused.value)
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.delenv("ELECTIONBOT_CONFIG", raising=False)
        assert main(["migrate"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("electionbot: the database (") and "9999" in err
        assert _shape(engine) == before and stamped(engine) == ("9999",)
    finally:
        engine.dispose()


def test_migrate_brings_the_database_to_the_head_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = db_url(tmp_path / "release.db")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ELECTIONBOT_CONFIG", raising=False)
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out == f"database schema at revision {', '.join(schema.heads())} (this release's head)\n"
    engine = engine_for(url)
    try:
        assert stamped(engine) == schema.heads() and differences(engine) == []
    finally:
        engine.dispose()


def test_migrate_sql_prints_the_upgrade_without_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")  # as Heroku writes it; port 1: nobody
    monkeypatch.delenv("ELECTIONBOT_CONFIG", raising=False)
    assert main(["migrate", "--sql"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("BEGIN;") and out.rstrip().endswith("COMMIT;")
    assert "CREATE TABLE outbox" in out and "TIMESTAMP WITH TIME ZONE" in out
    assert f"UPDATE alembic_version SET version_num='{schema.heads()[0]}'" in out


def test_migrate_sql_on_sqlite_says_in_one_line_why_not(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite changes a constraint by copying the table (Alembic's batch mode), which reads the
    live table: there is no script without the database, and the command says so."""
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent/dir/x.db")
    monkeypatch.delenv("ELECTIONBOT_CONFIG", raising=False)
    assert main(["migrate", "--sql"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be written as SQL for sqlite" in err and "python -m bot migrate" in err


def _hold_schema_lock(url: str) -> tuple[Engine, object]:
    """Another process's migration in progress: the lock ``prepare`` takes, held open."""
    engine = engine_for(url)
    conn = engine.connect()
    if on_postgres():
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": schema.LOCK_KEY})
    else:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # as the store's connections set it
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    return engine, conn


def test_a_store_starting_while_another_migrates_waits_then_finds_the_head(tmp_path: Path) -> None:
    url = db_url(tmp_path / "race.db")
    engine, held = _hold_schema_lock(url)
    opened: list[Store] = []
    starting = threading.Thread(target=lambda: opened.append(Store(url)))
    try:
        starting.start()
        starting.join(1.0)
        assert starting.is_alive(), "the store did not wait for the schema lock"
        assert "outbox" not in inspect(engine).get_table_names()
    finally:
        held.rollback()  # type: ignore[attr-defined]
        held.close()  # type: ignore[attr-defined]
        starting.join(30)
    try:
        assert opened and stamped(engine) == schema.heads()
    finally:
        for store in opened:
            store.close()
        engine.dispose()


def test_stores_starting_together_on_an_empty_database_migrate_it_once(tmp_path: Path) -> None:
    url = db_url(tmp_path / "together.db")
    gate = threading.Barrier(4)
    opened: list[Store] = []
    failed: list[BaseException] = []

    def start() -> None:
        gate.wait()
        try:
            opened.append(Store(url))
        except BaseException as exc:  # noqa: BLE001  # reported by the assertion below
            failed.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert failed == [] and len(opened) == 4
        with opened[0].engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert stamped(opened[0].engine) == schema.heads()
    finally:
        for store in opened:
            store.close()
