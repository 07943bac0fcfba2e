"""The outbox remembers a picture's uploaded file (``outbox.upload_file_id``): recorded after the
bytes are uploaded and before the upload is completed, so a restart knows which file to look
for in the channel before uploading the picture again (bot/delivery/uploads.py).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("upload_file_id", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("upload_file_id")
