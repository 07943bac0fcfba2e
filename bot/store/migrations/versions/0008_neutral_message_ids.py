"""Neutral names for a platform's message ids (issue 14): what the outbox and the cards store is a
message's id on whichever platform posted it (Slack's ``ts``, Discord's snowflake), so
``outbox.message_ts`` and ``cards.ts`` become ``message_id`` and ``cards.retired_ts``
``retired_message_ids``. A rename: every value stays, on the way up and on the way down (on
PostgreSQL ``ALTER TABLE … RENAME COLUMN``; on SQLite batch mode, which copies the tables when it
must, their indexes included).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None

#: (table, old name, new name, type)
RENAMED = (
    ("outbox", "message_ts", "message_id", sa.String(40)),
    ("cards", "ts", "message_id", sa.String(40)),
    ("cards", "retired_ts", "retired_message_ids", sa.Text()),
)


def _rename(up: bool) -> None:
    for table in dict.fromkeys(t for t, *_ in RENAMED):
        with op.batch_alter_table(table) as batch:
            for name, old, new, type_ in RENAMED:
                if name == table:
                    batch.alter_column(
                        old if up else new, new_column_name=new if up else old, existing_type=type_, existing_nullable=True
                    )


def upgrade() -> None:
    _rename(up=True)


def downgrade() -> None:
    _rename(up=False)
