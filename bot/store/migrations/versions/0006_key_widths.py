"""Room for the longest keys the model admits (PostgreSQL enforces VARCHAR lengths, SQLite did
not): a race key is up to 123 characters (a postal code, "-", a race id of up to
``bot.core.invariants.MAX_ID`` = 120), so the race keys of the outbox, the cards, the
subscriptions' scopes and the race history go from 80 to 200; an alert key (feed name of up to
60, "/", race key, "/", a 20-digit hash) from 200 to 400. On PostgreSQL a plain widening (no
rewrite); on SQLite batch mode copies the tables (their indexes, partial ones included, follow).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

#: (table, column, nullable, before, after)
WIDENED = (
    ("outbox", "alert_key", False, 200, 400),
    ("outbox", "race_key", True, 80, 200),
    ("cards", "race_key", False, 80, 200),
    ("subscriptions", "scope", False, 80, 200),
    ("race_history", "race_key", False, 80, 200),
)


def _resize(grow: bool) -> None:
    for table in dict.fromkeys(t for t, *_ in WIDENED):
        with op.batch_alter_table(table) as batch:
            for name, column, nullable, before, after in WIDENED:
                if name == table:
                    batch.alter_column(
                        column,
                        type_=sa.String(after if grow else before),
                        existing_type=sa.String(before if grow else after),
                        existing_nullable=nullable,
                    )


def upgrade() -> None:
    _resize(grow=True)


def downgrade() -> None:
    # A key longer than the old width cannot go back: PostgreSQL refuses the downgrade (and says
    # which value), rather than cutting keys that the unique constraints depend on.
    _resize(grow=False)
