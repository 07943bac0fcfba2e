"""Subscriptions carry their chat platform (issue 15): a Slack channel id and a Discord channel id
are different namespaces, so the unique key becomes (platform, channel, scope). Rows written
before this revision were all Slack's (the one platform with a slash command then).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite cannot alter a constraint in place; the table is copied with the new key
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("platform", sa.String(16), nullable=False, server_default="slack"))
        batch.drop_constraint("uq_subscription", type_="unique")
        batch.create_unique_constraint("uq_subscription", ["platform", "channel", "scope"])


def downgrade() -> None:
    # two platforms' subscriptions of one (channel, scope) cannot share the old key: keep Slack's
    op.execute("DELETE FROM subscriptions WHERE platform <> 'slack'")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_constraint("uq_subscription", type_="unique")
        batch.create_unique_constraint("uq_subscription", ["channel", "scope"])
        batch.drop_column("platform")
