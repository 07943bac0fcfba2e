"""Subscriptions carry the Slack workspace (team) that made them (issue 16, many workspaces): with
OAuth distribution the delivery worker posts to a channel with its team's own bot token, and an
uninstall removes that team's subscriptions. NULL is the single-workspace install
(SLACK_BOT_TOKEN), which is what every row written before this revision was.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("team_id", sa.String(32), nullable=True))
        batch.create_index("ix_subscriptions_team_id", ["team_id"])


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_index("ix_subscriptions_team_id")
        batch.drop_column("team_id")
