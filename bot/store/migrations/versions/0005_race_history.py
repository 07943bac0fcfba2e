"""Each race's night, one row per poll in which its count or call moved (``race_history``,
bot/store/history.py): what the night's chart draws, read without decoding a snapshot.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "race_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("feed", sa.String(60), nullable=False),
        sa.Column("race_key", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("votes", sa.Text, nullable=False),
        sa.Column("precincts_reporting", sa.Integer, nullable=True),
        sa.Column("precincts_total", sa.Integer, nullable=True),
        sa.Column("expected_vote_pct", sa.Float, nullable=True),
        sa.Column("call_status", sa.String(12), nullable=False),
        sa.Column("winners", sa.Text, nullable=False),
        sa.Column("race_call_status", sa.Text, nullable=True),
    )
    op.create_index("ix_race_history_race", "race_history", ["feed", "race_key", "id"])
    op.create_index("ix_race_history_recorded_at", "race_history", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_race_history_recorded_at", table_name="race_history")
    op.drop_index("ix_race_history_race", table_name="race_history")
    op.drop_table("race_history")
