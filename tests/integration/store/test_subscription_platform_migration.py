"""Alembic 0004: a store whose subscriptions predate platforms keeps every one as Slack's, and a
Discord channel may then subscribe to the same state under the same id; down again keeps Slack's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.store import schema, subscriptions
from bot.store.database import Store


def test_existing_subscriptions_become_slacks_and_discord_gets_its_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    schema.upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO subscriptions (channel, scope, level, created_at) VALUES ('C1', 'AL', 'quiet', :at)"),
            {"at": datetime(2017, 12, 12, tzinfo=UTC)},
        )
    engine.dispose()

    store = Store(url)  # prepares the schema: 0003 → head
    try:
        assert subscriptions.all_subscriptions(store) == [subscriptions.Subscription("C1", "AL", "quiet", "slack")]
        assert subscriptions.subscribe(store, "C1", "AL", "all", platform="discord") is True
        assert subscriptions.subscribe(store, "C1", "AL", "cards") is False  # Slack's row, updated
        assert {(s.platform, s.level) for s in subscriptions.all_subscriptions(store)} == {
            ("slack", "cards"),
            ("discord", "all"),
        }
    finally:
        store.close()

    engine = create_engine(url)
    schema.downgrade(engine, "0003")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT channel, scope, level FROM subscriptions")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("C1", "AL", "cards")]
