"""The poller's lease holder (``poller_lease``): who polls, since when, last renewed, so
``/healthz`` can show it (bot/store/lease.py). The lock itself is an advisory lock (PostgreSQL)
or a file lock (SQLite); this table only records its holder.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poller_lease",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("backend_pid", sa.Integer, nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("poller_lease")
