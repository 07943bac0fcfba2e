"""Baseline: the schema the store created before migrations (snapshots, snapshot_races, outbox,
cards, feed_health, subscriptions), as frozen in ``bot.store.migrations.baseline``.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from bot.store.migrations import baseline

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name, items in baseline.definitions():
        op.create_table(name, *items)


def downgrade() -> None:
    for name, _ in reversed(baseline.definitions()):
        op.drop_table(name)
