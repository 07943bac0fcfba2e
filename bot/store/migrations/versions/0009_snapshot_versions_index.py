"""An index that covers ``Store.snapshot_versions`` (feed, stored_at, polls), the query every
``/results`` makes to learn whether a poll has landed since its snapshots were decoded.

Why: on SQLite a row's columns are read in order, and ``polls`` and ``stored_at`` come after the
rules' ``memory``, which on a national night is about 4 MB of text in overflow pages; reading the
two small columns walked them all, 4.8 ms per request (measured on a national store, the query
alone), most of a ``/results``'s time. Read from this index the same query touches no row:
0.02 ms. PostgreSQL keeps ``memory`` out of line (TOAST) and gains little, and loses nothing.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_snapshots_version", "snapshots", ["feed", "stored_at", "polls"])


def downgrade() -> None:
    op.drop_index("ix_snapshots_version", table_name="snapshots")
