"""The schema of revision 0001: the tables as the store created them before Alembic (issue 16).

Frozen on purpose: never edit it to follow the models. A later change of the schema is a new
revision in ``versions/``. Two readers need the same definitions, hence a function that builds
fresh objects on each call: revision 0001 creates the tables from them, and ``bot.store.schema``
brings a database made by the pre-Alembic store up to this baseline (as its ``create_all`` plus
column adding used to) before stamping it.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, text
from sqlalchemy.schema import SchemaItem

#: the partial indexes' condition, as SQLite and PostgreSQL both state it
_UNSENT = "status IN ('pending', 'sending')"


def definitions() -> list[tuple[str, list[SchemaItem]]]:
    """Each baseline table's name and its columns, constraints and indexes, created afresh."""
    when = DateTime(timezone=True)
    return [
        (
            "snapshots",
            [
                Column("feed", String(60), primary_key=True),
                Column("generated_at", when, nullable=False),
                Column("document", Text, nullable=False),
                Column("memory", Text, nullable=False),
                Column("cursor", Text, nullable=False),
                Column("polls", Integer, nullable=False),
                Column("stored_at", when, nullable=False),
            ],
        ),
        (
            "snapshot_races",
            [
                Column("feed", String(60), primary_key=True),
                Column("race_key", Text, primary_key=True),
                Column("position", Integer, nullable=False),
                Column("document", Text, nullable=False),
            ],
        ),
        (
            "outbox",
            [
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("alert_key", String(200), nullable=False),
                Column("feed", String(60), nullable=False),
                Column("race_key", String(80), nullable=True),
                Column("channel", String(80), nullable=False),
                Column("platform", String(20), nullable=False),
                Column("payload", Text, nullable=False),
                Column("status", String(12), nullable=False),
                Column("attempts", Integer, nullable=False),
                Column("next_attempt_at", when, nullable=False),
                Column("created_at", when, nullable=False),
                Column("sent_at", when, nullable=True),
                Column("message_ts", String(40), nullable=True),
                Column("last_error", Text, nullable=True),
                Column("attempt_at", when, nullable=True),
                UniqueConstraint("alert_key", "channel", "platform", name="uq_outbox_alert_channel"),
                Index("ix_outbox_status", "status"),
                Index(
                    "ix_outbox_unsent",
                    "platform",
                    "channel",
                    "id",
                    sqlite_where=text(_UNSENT),
                    postgresql_where=text(_UNSENT),
                ),
                Index(
                    "ix_outbox_unsent_order", "platform", "id", sqlite_where=text(_UNSENT), postgresql_where=text(_UNSENT)
                ),
            ],
        ),
        (
            "cards",
            [
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("feed", String(60), nullable=False),
                Column("race_key", String(80), nullable=False),
                Column("channel", String(80), nullable=False),
                Column("platform", String(20), nullable=False),
                Column("status", String(12), nullable=False),
                Column("ts", String(40), nullable=True),
                Column("rendered_hash", String(64), nullable=True),
                Column("created_at", when, nullable=False),
                Column("updated_at", when, nullable=True),
                Column("updates", Integer, nullable=False),
                Column("replaced", Integer, nullable=True),
                Column("retired_ts", Text, nullable=True),
                Column("channel_id", String(40), nullable=True),
                UniqueConstraint("race_key", "channel", "platform", name="uq_card_race_channel"),
            ],
        ),
        (
            "feed_health",
            [
                Column("feed", String(60), primary_key=True),
                Column("last_poll_at", when, nullable=True),
                Column("last_success_at", when, nullable=True),
                Column("last_change_at", when, nullable=True),
                Column("consecutive_failures", Integer, nullable=False),
                Column("last_error", Text, nullable=True),
                Column("last_error_at", when, nullable=True),
            ],
        ),
        (
            "subscriptions",
            [
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("channel", String(80), nullable=False),
                Column("scope", String(80), nullable=False),
                Column("level", String(12), nullable=False),
                Column("created_at", when, nullable=False),
                UniqueConstraint("channel", "scope", name="uq_subscription"),
            ],
        ),
    ]


def metadata() -> MetaData:
    """The baseline tables in a metadata of their own (not the models': those move on)."""
    md = MetaData()
    for name, items in definitions():
        Table(name, md, *items)
    return md
