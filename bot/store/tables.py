"""The store's tables (SQLAlchemy declarative rows), all on ``bot.store.base.Base``; each revision
in ``bot/store/migrations`` brings a database to them. ``bot.store.history`` declares its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.base import Base, Moment

#: PostgreSQL enforces VARCHAR lengths (SQLite never did): a race key is up to 123 characters
#: (postal code, "-", a race id of up to bot.core.invariants.MAX_ID = 120), an alert key a feed name
#: (up to 60), "/", a race key, "/" and 20 hex digits. Widened by revision 0006.
RACE_KEY_CHARS = 200
ALERT_KEY_CHARS = 400

#: the outbox rows still to send, which its partial indexes hold (``bot.store.outbox`` states the
#: same condition in its queries: SQLite uses a partial index only for a WHERE that implies it).
UNSENT_ROWS = "status IN ('pending', 'sending')"
#: the databases that take a partial index's condition, as ``<dialect>_where``
PARTIAL_INDEX_DIALECTS = frozenset({"sqlite", "postgresql"})


def partial(index: Index, where: str) -> Index:
    """``index`` holding only the rows ``where`` selects, on SQLite and PostgreSQL alike.

    The condition is handed to the database that creates the index, as it creates it
    (``sqlite_where`` or ``postgresql_where``), not named in the declaration: SQLAlchemy checks a
    ``postgresql_…`` argument by importing its PostgreSQL dialect, and that was 30-60 ms of every
    SQLite process's start (a replay's, issue 13). Alembic does not compare the condition
    (``tests/integration/store/test_migrations.py`` cannot see it); the revision that made these
    indexes (``migrations/baseline.py``) names it for both databases."""

    def give_condition(target: Index, connection: Connection, **_kw: Any) -> None:
        dialect = connection.dialect.name
        if dialect in PARTIAL_INDEX_DIALECTS:
            target.dialect_kwargs[f"{dialect}_where"] = text(where)

    event.listen(index, "before_create", give_condition)
    return index


class SnapshotRow(Base):
    __tablename__ = "snapshots"
    #: covers Store.snapshot_versions, asked by every /results: read from the row, SQLite walked
    #: the rules' memory (megabytes on a national night) to reach polls and stored_at (revision 0009)
    __table_args__ = (Index("ix_snapshots_version", "feed", "stored_at", "polls"),)
    feed: Mapped[str] = mapped_column(String(60), primary_key=True)
    generated_at: Mapped[datetime] = mapped_column(Moment())
    document: Mapped[str] = mapped_column(Text)
    memory: Mapped[str] = mapped_column(Text, default="{}")
    cursor: Mapped[str] = mapped_column(Text, default="{}")
    polls: Mapped[int] = mapped_column(Integer, default=0)
    stored_at: Mapped[datetime] = mapped_column(Moment())


class SnapshotRaceRow(Base):
    """A big snapshot's races, one row each (see ``Store.split_races_at``): a poll rewrites the
    races that changed, not a national document of tens of megabytes. The snapshot's own row
    then holds the document without its races, marked ``races_apart``."""

    __tablename__ = "snapshot_races"
    feed: Mapped[str] = mapped_column(String(60), primary_key=True)
    race_key: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("alert_key", "channel", "platform", name="uq_outbox_alert_channel"),
        # The unsent rows only, in order per platform and channel: the worker's "what is due" and
        # "is this channel's head waiting" are seeks in it, whatever the number of sent rows.
        partial(Index("ix_outbox_unsent", "platform", "channel", "id"), UNSENT_ROWS),
        partial(Index("ix_outbox_unsent_order", "platform", "id"), UNSENT_ROWS),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(String(ALERT_KEY_CHARS))
    feed: Mapped[str] = mapped_column(String(60))
    race_key: Mapped[str | None] = mapped_column(String(RACE_KEY_CHARS), nullable=True)
    channel: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(20))
    payload: Mapped[str] = mapped_column(Text)
    #: pending | sending (posted or not: reconcile with the channel before posting again) | sent | failed | skipped
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Moment())
    created_at: Mapped[datetime] = mapped_column(Moment())
    sent_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    #: the platform's id of the message posted (Slack's ``ts``, Discord's message id; revision 0008)
    message_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: when the last attempt began (set with status "sending", before the platform is called).
    attempt_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    #: a picture's file id, recorded once its bytes are uploaded and before the upload is
    #: completed (shared): a "sending" row without one was never shared (bot/delivery/uploads.py).
    upload_file_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class CardRow(Base):
    """One live race card per race × channel × platform: its message id survives restarts."""

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("race_key", "channel", "platform", name="uq_card_race_channel"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed: Mapped[str] = mapped_column(String(60))
    race_key: Mapped[str] = mapped_column(String(RACE_KEY_CHARS))
    channel: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(20))
    #: creating (a post may be under way: look for it before posting) | live | frozen (can no
    #: longer be edited and is not re-posted again; its thread, if it has a message id, still gets replies)
    status: Mapped[str] = mapped_column(String(12), default="creating")
    message_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rendered_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Moment())
    updated_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    updates: Mapped[int] = mapped_column(Integer, default=0)
    #: how often the card was posted anew because the old one could not be edited any more.
    replaced: Mapped[int | None] = mapped_column(Integer, nullable=True, default=0)
    #: message ids of the cards it replaced (space-separated): the crash check must not take one for the new card.
    retired_message_ids: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the id Slack answered with (a channel configured by name; chat.update wants the id).
    channel_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class FeedHealthRow(Base):
    __tablename__ = "feed_health"
    feed: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_poll_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    last_change_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("platform", "channel", "scope", name="uq_subscription"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the chat platform ("slack", "discord"): channel ids are unique only within one (migration 0004)
    platform: Mapped[str] = mapped_column(String(16), default="slack", server_default="slack")
    channel: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(RACE_KEY_CHARS))  # a state postal code or a race key
    level: Mapped[str] = mapped_column(String(12), default="all")
    created_at: Mapped[datetime] = mapped_column(Moment())
    #: the Slack workspace that subscribed (OAuth installs: its bot token posts here); NULL is the
    #: single-workspace install (SLACK_BOT_TOKEN) and every other platform (migration 0007)
    team_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class PollerLeaseRow(Base):
    """Who holds the poller's lease (bot/store/lease.py): written by the holder, read by /healthz.
    The lock decides who polls; this row only says who that is and since when."""

    __tablename__ = "poller_lease"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    #: the holder's PostgreSQL backend (pg_backend_pid): its lock is looked up by it
    backend_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    since: Mapped[datetime] = mapped_column(Moment())
    renewed_at: Mapped[datetime] = mapped_column(Moment())
