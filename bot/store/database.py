"""The store (SQLAlchemy): last snapshot per feed, rule memory, the alert outbox, feed health.

One transaction per poll: the new snapshot, the rules' memory and the alerts it produced are
written together, and delivery reads the outbox. A crash before the commit leaves the old
snapshot, so the next poll finds the same changes again with the same keys; a crash after it
leaves the alerts queued. The unique key on (alert, channel, platform) makes a second insert of
the same alert a no-op, so nothing is posted twice.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.codec import native
from bot.codec.errors import FeedError
from bot.core.digest import Digest, is_digest
from bot.core.events import Alert
from bot.core.model import Race, Snapshot
from bot.core.picture_orders import PictureOrder, is_picture_order
from bot.core.rules import RaceMemory
from bot.store import schema
from bot.store.base import Base, Moment
from bot.store.history import DEFAULT_HISTORY_DAYS, record_changes

log = logging.getLogger("electionbot.store")


#: PostgreSQL enforces VARCHAR lengths (SQLite never did): a race key is up to 123 characters
#: (postal code, "-", a race id of up to bot.core.invariants.MAX_ID = 120), an alert key a feed name
#: (up to 60), "/", a race key, "/" and 20 hex digits. Widened by revision 0006.
RACE_KEY_CHARS = 200
ALERT_KEY_CHARS = 400


class SnapshotRow(Base):
    __tablename__ = "snapshots"
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
        Index(
            "ix_outbox_unsent",
            "platform",
            "channel",
            "id",
            sqlite_where=text("status IN ('pending', 'sending')"),
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        Index(
            "ix_outbox_unsent_order",
            "platform",
            "id",
            sqlite_where=text("status IN ('pending', 'sending')"),
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
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
    message_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: when the last attempt began (set with status "sending", before the platform is called).
    attempt_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    #: a picture's file id, recorded once its bytes are uploaded and before the upload is
    #: completed (shared): a "sending" row without one was never shared (bot/delivery/uploads.py).
    upload_file_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class CardRow(Base):
    """One live race card per race × channel × platform: its message ts survives restarts."""

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("race_key", "channel", "platform", name="uq_card_race_channel"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed: Mapped[str] = mapped_column(String(60))
    race_key: Mapped[str] = mapped_column(String(RACE_KEY_CHARS))
    channel: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(20))
    #: creating (a post may be under way: look for it before posting) | live | frozen (can no
    #: longer be edited and is not re-posted again; its thread, if it has a ts, still gets replies)
    status: Mapped[str] = mapped_column(String(12), default="creating")
    ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rendered_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Moment())
    updated_at: Mapped[datetime | None] = mapped_column(Moment(), nullable=True)
    updates: Mapped[int] = mapped_column(Integer, default=0)
    #: how often the card was posted anew because the old one could not be edited any more.
    replaced: Mapped[int | None] = mapped_column(Integer, nullable=True, default=0)
    #: ts of the cards it replaced (space-separated): the crash check must not take one for the new card.
    retired_ts: Mapped[str | None] = mapped_column(Text, nullable=True)
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


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    snapshot: Snapshot
    memory: dict[str, RaceMemory]
    cursor: dict[str, str]
    polls: int


@dataclass(frozen=True, slots=True)
class FeedHealth:
    feed: str
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_change_at: datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    alert: Alert
    channel: str
    platform: str
    attempts: int
    created_at: datetime
    status: str = "pending"
    attempt_at: datetime | None = None
    #: a picture's uploaded file, not yet known to be shared (see ``OutboxRow.upload_file_id``)
    upload_file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    feed: str
    race_key: str
    channel: str
    platform: str
    status: str
    ts: str | None
    rendered_hash: str | None
    updated_at: datetime | None
    updates: int
    replaced: int = 0
    retired: tuple[str, ...] = ()
    channel_id: str | None = None


def _card(r: CardRow) -> Card:
    retired = tuple((r.retired_ts or "").split())
    return Card(
        r.id,
        r.feed,
        r.race_key,
        r.channel,
        r.platform,
        r.status,
        r.ts,
        r.rendered_hash,
        _aware(r.updated_at),
        r.updates or 0,
        r.replaced or 0,
        retired,
        r.channel_id,
    )


_SCALARS = (str, int, float, bool, type(None))


def _flat(memory: RaceMemory) -> dict[str, Any]:
    """``memory.to_dict()`` for a memory of scalars and tuples of scalars, which is all it holds,
    without ``dataclasses.asdict``'s deep copy (a third of a national first poll's commit); any
    other value goes the long way."""
    values = {name: getattr(memory, name) for name in memory.__dataclass_fields__}
    for value in values.values():
        if not isinstance(value, _SCALARS) and not (
            isinstance(value, tuple) and all(isinstance(v, _SCALARS) for v in value)
        ):
            return memory.to_dict()
    return values


def _memory_of(text: str | None, feed: str) -> dict[str, RaceMemory]:
    memory: dict[str, RaceMemory] = {}
    for key, value in _json_object(text, feed, "rule memory").items():
        try:
            memory[key] = RaceMemory.from_dict(value)
        except (TypeError, ValueError, AttributeError):
            log.error("feed %r: stored rule memory of race %s cannot be read; that race starts afresh", feed, str(key)[:80])
    return memory


def _json_object(text: str | None, feed: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        log.error("feed %r: stored %s cannot be read; starting it afresh", feed, what)
        return {}
    return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone=True columns.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class Store:
    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        schema.prepare(self.engine)  # migrated to this code's head, or SchemaError (bot/store/schema.py)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._cache_lock = threading.Lock()
        self._decoding: dict[str, threading.Lock] = {}  # per feed: held while one thread decodes
        #: per feed, the snapshot and the rules' memory last written or read, by version
        #: (stored_at, polls); and each race's and memory entry's JSON, by object (commit_poll)
        self._parsed: dict[str, tuple[tuple[datetime | None, int], Snapshot | None]] = {}
        self._memories: dict[str, tuple[tuple[datetime | None, int], dict[str, RaceMemory]]] = {}
        self._race_docs: dict[str, dict[str, tuple[Race, str]]] = {}
        self._memory_docs: dict[str, dict[str, tuple[RaceMemory, str]]] = {}
        #: per feed, the races in ``snapshot_races`` as this store last committed them, by version
        self._apart: dict[str, tuple[tuple[datetime | None, int], dict[str, Race]]] = {}
        #: /results <state>: per (feed, state) the snapshot of that state's races, by version; per
        #: feed, each race row read (its JSON and what it decoded to), reused while the JSON is the same
        self._by_state: dict[tuple[str, str], tuple[tuple[datetime | None, int], bool, Snapshot | None]] = {}
        self._race_rows: dict[str, dict[str, tuple[str, Race | None]]] = {}
        #: rows of ``snapshot_races`` written (tests and benchmarks count them)
        self.stats: Counter[str] = Counter()
        self._payloads: dict[str, Alert] = {}

    def close(self) -> None:
        self.engine.dispose()

    def session(self) -> Session:
        return self._sessions()

    # --- snapshots --------------------------------------------------------------------------

    def load(self, feed: str) -> StoredSnapshot | None:
        """The feed's last snapshot, its rules' memory and cursor. Decoded once per version
        (``stored_at``, ``polls``): the poller's own commit leaves what it wrote decoded here, so
        the next poll reads two small columns, not the whole document (at national size,
        decoding it again after every commit was over a second a poll)."""
        with self.session() as s:
            head = s.execute(
                select(SnapshotRow.stored_at, SnapshotRow.polls, SnapshotRow.cursor).where(SnapshotRow.feed == feed)
            ).first()
            if head is None:
                return None
            version = (_aware(head.stored_at), head.polls)
            snapshot = self._snapshot_at(s, feed, version)
            if snapshot is None:  # unreadable (said once): as if there were none
                return None
            return StoredSnapshot(
                snapshot, self._memory_at(s, feed, version), _json_object(head.cursor, feed, "cursor"), head.polls
            )

    def memory(self, feed: str) -> dict[str, RaceMemory]:
        """The rules' memory of a feed, even when its stored snapshot cannot be read: a poller
        that starts again from no snapshot must still know what the channel was told."""
        with self.session() as s:
            head = s.execute(select(SnapshotRow.stored_at, SnapshotRow.polls).where(SnapshotRow.feed == feed)).first()
            return self._memory_at(s, feed, (_aware(head.stored_at), head.polls)) if head is not None else {}

    def latest_snapshots(self) -> list[Snapshot]:
        """Every feed's last good snapshot, for /results. Parsed once per change, then cached."""
        with self.session() as s:
            heads = s.execute(
                select(SnapshotRow.feed, SnapshotRow.stored_at, SnapshotRow.polls).order_by(SnapshotRow.feed)
            ).all()
            return [
                snap for h in heads if (snap := self._snapshot_at(s, h.feed, (_aware(h.stored_at), h.polls))) is not None
            ]

    def snapshot_versions(self) -> dict[str, tuple[object, int]]:
        """Each feed's ``(stored_at, polls)``, without the documents; compare them, never read them.

        Why: the web process must see a snapshot the worker process just committed, but reading
        every document on every ``/results`` is most of a request's cost. ``commit_poll`` bumps
        both columns in the same transaction as the document, so an unchanged pair means an
        unchanged snapshot and a reader may keep what it decoded last time. A pooled DB-API
        cursor, because this runs on every request and SQLAlchemy's per-statement work cost
        three times the query (about 95 µs against 35 µs on SQLite); ``stored_at`` comes back
        as the driver gives it (text on SQLite).
        """
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(_SNAPSHOT_VERSIONS_SQL)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        finally:
            conn.close()  # back to the pool, rolled back
        return {feed: (stored_at, polls or 0) for feed, stored_at, polls in rows}

    def _snapshot_at(self, s: Session, feed: str, version: tuple[datetime | None, int]) -> Snapshot | None:
        """The stored snapshot, read once per version. What cannot be read is said once per
        version (a race: left out; the whole document: ``None``, as if there were none) and never
        raised: one bad row must not silence ``/results`` or stop the poller."""
        with self._cache_lock:
            hit = self._parsed.get(feed)
            if hit and hit[0] == version:
                return hit[1]
            decoding = self._decoding.setdefault(feed, threading.Lock())
        # One thread decodes a new version (a national snapshot is seconds of CPU); the others
        # answer from the version before meanwhile, or wait when there is none. Measured with
        # bench_results --feed national: every web thread decoding the same commit at once.
        if not decoding.acquire(blocking=hit is None):
            assert hit is not None
            return hit[1]
        try:
            with self._cache_lock:
                hit = self._parsed.get(feed)
                if hit and hit[0] == version:
                    return hit[1]
            return self._decode_snapshot(s, feed, version)
        finally:
            decoding.release()

    def _decode_snapshot(self, s: Session, feed: str, version: tuple[datetime | None, int]) -> Snapshot | None:
        # the version read with the document: a commit in between must not label it
        row = s.execute(
            select(SnapshotRow.document, SnapshotRow.stored_at, SnapshotRow.polls).where(SnapshotRow.feed == feed)
        ).first()
        document = row.document if row is not None else None
        if row is not None:
            version = (_aware(row.stored_at), row.polls)
        if document and native.races_apart(document):
            races = s.scalars(
                select(SnapshotRaceRow.document).where(SnapshotRaceRow.feed == feed).order_by(SnapshotRaceRow.position)
            ).all()
            document = native.with_races(document, races)
        snapshot: Snapshot | None
        try:
            reading = native.read(document or "", feed)
        except FeedError as exc:
            log.error("feed %r: the stored snapshot cannot be read (%s); carrying on without it", feed, exc.reason)
            snapshot = None
        else:
            snapshot = reading.snapshot
            for item in reading.left_out:
                log.error("feed %r: stored snapshot: %s", feed, item.describe())
        with self._cache_lock:
            self._parsed[feed] = (version, snapshot)
            self._race_docs.pop(feed, None)  # written by another process: nothing to reuse
            self._apart.pop(feed, None)
        return snapshot

    def state_snapshots(self, state: str) -> list[Snapshot] | None:
        """Every feed's last good snapshot holding only ``state``'s races, for ``/results <state>``;
        ``None`` when no feed's races are stored apart (``latest_snapshots`` then costs no more).

        Why: after each commit of a national snapshot (7,007 races) the first ``/results`` decoded
        all of it (seconds of CPU) to answer one state. A snapshot stored apart is read here by
        the state's race keys (``GA-…``: ``race_key`` starts with the state) and only the rows
        whose JSON changed since this store last read them are decoded (a poll rewrites the
        changed races only). A version already decoded whole (the poller's own commit, in the
        one-process deployment) is filtered instead. Same races, same order, same objects as the
        whole read; a row that cannot be read is said once and left out."""
        with self.session() as s:
            heads = s.execute(
                select(SnapshotRow.feed, SnapshotRow.stored_at, SnapshotRow.polls).order_by(SnapshotRow.feed)
            ).all()
            found = [self._state_at(s, h.feed, (_aware(h.stored_at), h.polls), state) for h in heads]
        if not any(apart for apart, _ in found):
            return None
        return [snap for _, snap in found if snap is not None]

    def _state_at(
        self, s: Session, feed: str, version: tuple[datetime | None, int], state: str
    ) -> tuple[bool, Snapshot | None]:
        """(whether the feed's races are stored apart, its snapshot of the state's races), once per version."""
        with self._cache_lock:
            hit = self._by_state.get((feed, state))
            if hit and hit[0] == version:
                return hit[1], hit[2]
            whole = self._parsed.get(feed)
        # commit_poll deletes a feed's rows when it writes one document, in the same transaction
        apart = s.execute(select(SnapshotRaceRow.position).where(SnapshotRaceRow.feed == feed).limit(1)).first() is not None
        read = self._read_state(s, feed, state) if apart and (whole is None or whole[0] != version) else None
        if read is not None:
            version, snapshot = read
        else:
            if whole is None or whole[0] != version:
                self._snapshot_at(s, feed, version)  # may answer from the version before while another thread decodes
                with self._cache_lock:
                    whole = self._parsed.get(feed)
            assert whole is not None
            version, snapshot = whole
            if snapshot is not None:
                snapshot = replace(snapshot, races={k: r for k, r in snapshot.races.items() if r.state == state})
        with self._cache_lock:
            self._by_state[(feed, state)] = (version, apart, snapshot)
        return apart, snapshot

    def _read_state(self, s: Session, feed: str, state: str) -> tuple[tuple[datetime | None, int], Snapshot | None] | None:
        """The state's races of a snapshot stored apart, by version; ``None`` when it is one document."""
        row = s.execute(
            select(SnapshotRow.document, SnapshotRow.stored_at, SnapshotRow.polls).where(SnapshotRow.feed == feed)
        ).first()
        if row is None or not row.document or not native.races_apart(row.document):
            return None
        version = (_aware(row.stored_at), row.polls)
        rows = s.execute(
            select(SnapshotRaceRow.race_key, SnapshotRaceRow.document)
            .where(SnapshotRaceRow.feed == feed, SnapshotRaceRow.race_key.startswith(f"{state}-", autoescape=True))
            .order_by(SnapshotRaceRow.position)
        ).all()
        with self._cache_lock:
            known = self._race_rows.setdefault(feed, {})
            fresh = [(key, text) for key, text in rows if (hit := known.get(key)) is None or hit[0] != text]
        try:
            reading = native.read(native.with_races(row.document, [text for _, text in fresh]), feed)
        except FeedError as exc:
            log.error("feed %r: the stored snapshot cannot be read (%s); carrying on without it", feed, exc.reason)
            return version, None
        for item in reading.left_out:
            log.error("feed %r: stored snapshot: %s", feed, item.describe())
        with self._cache_lock:
            self.stats["races_decoded"] += len(fresh)
            for key, text in fresh:
                known[key] = (text, reading.snapshot.races.get(key))
            races = [known[key][1] for key, _ in rows]
        return version, replace(reading.snapshot, races={r.key: r for r in races if r is not None and r.state == state})

    def _memory_at(self, s: Session, feed: str, version: tuple[datetime | None, int]) -> dict[str, RaceMemory]:
        """The rules' memory, decoded once per version; a fresh dict each time (the poller
        changes its copy), sharing the immutable entries."""
        with self._cache_lock:
            hit = self._memories.get(feed)
            if hit and hit[0] == version:
                return dict(hit[1])
        row = s.execute(
            select(SnapshotRow.memory, SnapshotRow.stored_at, SnapshotRow.polls).where(SnapshotRow.feed == feed)
        ).first()
        if row is not None:
            version = (_aware(row.stored_at), row.polls)
        memory = _memory_of(row.memory if row is not None else None, feed)
        with self._cache_lock:
            self._memories[feed] = (version, memory)
            self._memory_docs.pop(feed, None)
        return dict(memory)

    def commit_poll(
        self,
        snapshot: Snapshot,
        memory: Mapping[str, RaceMemory],
        cursor: Mapping[str, str],
        deliveries: Iterable[tuple[Alert, str, str]],
        now: datetime | None = None,
    ) -> int:
        """Snapshot, memory and outbox rows in one transaction. Returns the rows newly queued.

        The document is the whole snapshot as before (what a restart or another process reads
        back), but only the races that changed since the last commit are encoded again: a race
        the poll did not touch is the very object written last time, and its JSON is reused. What
        was written stays decoded here under the version the transaction gave it."""
        now = now or utcnow()
        races = self._race_texts(snapshot)
        apart = len(races) >= self.split_races_at
        document = native.document_text(snapshot, [] if apart else [text for _, text in races.values()], races_apart=apart)
        memory_json = self._memory_json(snapshot.feed, memory)
        with self.session() as s, s.begin():
            before = s.execute(
                select(SnapshotRow.polls, SnapshotRow.stored_at).where(SnapshotRow.feed == snapshot.feed)
            ).first()
            polls = before.polls if before is not None else None
            if apart:
                self._write_races(
                    s, snapshot.feed, races, (_aware(before.stored_at), before.polls) if before is not None else None
                )
            else:
                s.execute(delete(SnapshotRaceRow).where(SnapshotRaceRow.feed == snapshot.feed))
            values = {
                "generated_at": snapshot.generated_at,
                "document": document,
                "memory": memory_json,
                "cursor": json.dumps(dict(cursor), sort_keys=True),
                "stored_at": now,
            }
            if polls is None:
                s.add(SnapshotRow(feed=snapshot.feed, polls=1, **values))
                s.flush()
            else:
                s.execute(
                    update(SnapshotRow).where(SnapshotRow.feed == snapshot.feed).values(polls=(polls or 0) + 1, **values)
                )
            queued = _queue(s, deliveries, now)
            known = self._parsed.get(snapshot.feed)  # the snapshot committed before, if this store holds it
            if known is None or before is None or known[0] != (_aware(before.stored_at), before.polls):
                known = None
            record_changes(s, snapshot.feed, known[1] if known else None, snapshot, now, keep_days=self.history_days)
            head = s.execute(select(SnapshotRow.stored_at, SnapshotRow.polls).where(SnapshotRow.feed == snapshot.feed)).one()
        version = (_aware(head.stored_at), head.polls)
        with self._cache_lock:
            self._parsed[snapshot.feed] = (version, snapshot)
            self._memories[snapshot.feed] = (version, dict(memory))
            if apart:
                self._apart[snapshot.feed] = (version, {key: race for key, (race, _) in races.items()})
            else:
                self._apart.pop(snapshot.feed, None)
        return queued

    #: a snapshot of this many races or more keeps them in ``snapshot_races``, one row each
    split_races_at = 1000
    #: days a race's history rows are kept (``[store] history_days``; bot/store/history.py)
    history_days = DEFAULT_HISTORY_DAYS

    def _race_texts(self, snapshot: Snapshot) -> dict[str, tuple[Race, str]]:
        """Each race and its JSON as ``native.dumps`` writes it, reused while the race object is
        the one encoded last time (the cache holds the current races only)."""
        with self._cache_lock:
            known = self._race_docs.get(snapshot.feed, {})
        fresh: dict[str, tuple[Race, str]] = {}
        for key, race in snapshot.races.items():
            hit = known.get(key)
            fresh[key] = hit if hit is not None and hit[0] is race else (race, native.race_json(race))
        with self._cache_lock:
            self._race_docs[snapshot.feed] = fresh
        return fresh

    def _write_races(
        self, s: Session, feed: str, races: dict[str, tuple[Race, str]], stored: tuple[datetime | None, int] | None
    ) -> None:
        """The rows of ``snapshot_races``: only the changed and new races when the table holds
        what this store last committed (same version, same order, nothing gone); else all."""
        with self._cache_lock:
            last = self._apart.get(feed)
        keys = list(races)
        if last is not None and last[0] == stored and keys[: len(last[1])] == list(last[1]):
            previous = last[1]
            changed = [
                {"feed": feed, "race_key": k, "document": races[k][1]} for k in previous if races[k][0] is not previous[k]
            ]
            if changed:
                s.execute(update(SnapshotRaceRow), changed)
            added = [
                {"feed": feed, "race_key": k, "position": i, "document": races[k][1]}
                for i, k in enumerate(keys[len(previous) :], start=len(previous))
            ]
            if added:
                s.execute(insert(SnapshotRaceRow), added)
            self.stats["races_written"] += len(changed) + len(added)
            return
        s.execute(delete(SnapshotRaceRow).where(SnapshotRaceRow.feed == feed))
        s.execute(
            insert(SnapshotRaceRow),
            [
                {"feed": feed, "race_key": k, "position": i, "document": text}
                for i, (k, (_, text)) in enumerate(races.items())
            ],
        )
        self.stats["races_written"] += len(races)

    def _memory_json(self, feed: str, memory: Mapping[str, RaceMemory]) -> str:
        """``json.dumps({key: memory.to_dict()}, sort_keys=True)``, reusing each unchanged entry's JSON."""
        with self._cache_lock:
            known = self._memory_docs.get(feed, {})
        fresh: dict[str, tuple[RaceMemory, str]] = {}
        parts = []
        for key in sorted(memory):
            m = memory[key]
            hit = known.get(key)
            if hit is None or hit[0] is not m:
                hit = (m, json.dumps(_flat(m), sort_keys=True))
            fresh[key] = hit
            parts.append(f"{json.dumps(key)}: {hit[1]}")
        with self._cache_lock:
            self._memory_docs[feed] = fresh
        return "{" + ", ".join(parts) + "}"

    def enqueue(self, deliveries: Iterable[tuple[Alert, str, str]], now: datetime | None = None) -> int:
        """Queue alerts that come with no snapshot (feed health)."""
        with self.session() as s, s.begin():
            return _queue(s, deliveries, now or utcnow())

    # --- outbox -----------------------------------------------------------------------------

    def due(self, platform: str, now: datetime | None = None, limit: int = 100) -> list[Delivery]:
        """Unsent deliveries in creation order (which is the order per channel).

        Rows in "sending" are included: an attempt began and its outcome is unknown (a crash or a
        lost answer), so the worker checks the channel before posting them again."""
        return self._due_rows(platform, None, now or utcnow(), limit)

    def _due_rows(self, platform: str, channels: list[str] | None, now: datetime, limit: int) -> list[Delivery]:
        """The one reading of due rows, for every channel or only some: both callers must see the
        same columns (an upload's file id is what its crash check asks Slack about)."""
        where = [OutboxRow.platform == platform, _unsent(), OutboxRow.next_attempt_at <= now]
        if channels is not None:
            where.append(OutboxRow.channel.in_(channels))
        with self.session() as s:
            rows = s.execute(
                select(
                    OutboxRow.id,
                    OutboxRow.payload,
                    OutboxRow.channel,
                    OutboxRow.platform,
                    OutboxRow.attempts,
                    OutboxRow.created_at,
                    OutboxRow.status,
                    OutboxRow.attempt_at,
                    OutboxRow.upload_file_id,
                )
                .where(*where)
                .order_by(OutboxRow.id)
                .limit(limit)
            ).all()
            return [
                Delivery(
                    r.id,
                    self._outbox_item(r.payload),
                    r.channel,
                    r.platform,
                    r.attempts,
                    _aware(r.created_at),  # type: ignore[arg-type]  # created_at is never null; _aware keeps its Optional signature
                    r.status,
                    _aware(r.attempt_at),
                    r.upload_file_id,
                )
                for r in rows
            ]

    def _outbox_item(self, payload: str) -> Alert:
        """A payload decoded once: the worker reads the same batch of rows once per message sent,
        and a row's payload never changes (keyed by its text, so a reused row id cannot confuse it)."""
        item = self._payloads.get(payload)
        if item is None:
            if len(self._payloads) >= 4096:
                self._payloads.clear()
            item = self._payloads[payload] = outbox_item(payload)
        return item

    def pending_channels_blocked(self, platform: str, channels: Iterable[str] | None = None) -> dict[str, datetime]:
        """Per channel, the earliest retry time of its oldest pending row (order is kept per channel).

        ``channels``: only these (the worker asks for the channels of the rows it is about to
        send). Each is one seek in the unsent-rows index, so a message costs the same few
        queries whatever the backlog; reading every pending row per message made delivery
        quadratic in the backlog (issue 13: 4.5 million datetime conversions for 2,709 posts)."""
        with self.session() as s:
            if channels is None:
                channels = s.scalars(
                    select(OutboxRow.channel).where(OutboxRow.platform == platform, _unsent()).distinct()
                ).all()
            first: dict[str, datetime] = {}
            for channel in dict.fromkeys(channels):
                at = s.scalar(
                    select(OutboxRow.next_attempt_at)
                    .where(OutboxRow.platform == platform, OutboxRow.channel == channel, _unsent())
                    .order_by(OutboxRow.id)
                    .limit(1)
                )
                if at is not None:
                    first[channel] = _aware(at)  # type: ignore[assignment]  # at is not None here; _aware keeps its Optional signature
        return first

    def mark_sent(self, delivery_id: int, message_ts: str | None, now: datetime | None = None) -> None:
        self.mark_many_sent([delivery_id], message_ts, now)

    def mark_retry(
        self, delivery_id: int, error: str, wait: timedelta, now: datetime | None = None, *, uncertain: bool = False
    ) -> None:
        """Retry after ``wait``. ``uncertain``: the post may have landed (a timeout, a dropped
        connection, a 5xx), so the row stays "sending" and is reconciled before the next post."""
        now = now or utcnow()
        with self.session() as s, s.begin():
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == delivery_id)
                .values(
                    attempts=OutboxRow.attempts + 1,
                    next_attempt_at=now + wait,
                    last_error=error[:500],
                    status="sending" if uncertain else "pending",
                )
            )

    def begin_attempt(self, delivery_ids: Iterable[int], now: datetime | None = None) -> None:
        """Recorded (and committed) before the platform is called: after a crash the row says
        "this may have been posted", and the worker looks in the channel before posting again."""
        ids = list(delivery_ids)
        with self.session() as s, s.begin():
            s.execute(update(OutboxRow).where(OutboxRow.id.in_(ids)).values(status="sending", attempt_at=now or utcnow()))

    def mark_many_sent(self, delivery_ids: Iterable[int], message_ts: str | None, now: datetime | None = None) -> None:
        ids = list(delivery_ids)
        with self.session() as s, s.begin():
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids))
                .values(
                    status="sent",
                    sent_at=now or utcnow(),
                    message_ts=message_ts,
                    attempts=OutboxRow.attempts + 1,
                    last_error=None,
                )
            )

    def note_upload(self, delivery_id: int, file_id: str | None) -> None:
        """A picture's bytes are uploaded as ``file_id`` (None: start afresh), committed before
        the upload is completed, which is when it shows in the channel: after a crash the row
        says which file to look for before uploading again."""
        with self.session() as s, s.begin():
            s.execute(update(OutboxRow).where(OutboxRow.id == delivery_id).values(upload_file_id=file_id))

    def skip_pending(self, platform: str, channels: Iterable[str], reason: str) -> int:
        """A workspace that uninstalled the app (issue 16): its channels' queued rows are never
        posted (their token is gone), kept as "skipped" with the reason; how many."""
        wanted = list(channels)
        if not wanted:
            return 0
        with self.session() as s, s.begin():
            result = s.execute(
                update(OutboxRow)
                .where(OutboxRow.platform == platform, OutboxRow.channel.in_(wanted), OutboxRow.status == "pending")
                .values(status="skipped", last_error=reason[:500])
            )
            return int(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult

    def mark_skipped(self, delivery_id: int, reason: str) -> None:
        """Not posted on purpose (a "quiet" channel's minor update: its live card shows it)."""
        with self.session() as s, s.begin():
            s.execute(update(OutboxRow).where(OutboxRow.id == delivery_id).values(status="skipped", last_error=reason[:500]))

    # --- live race cards --------------------------------------------------------------------

    def card(self, race_key: str, channel: str, platform: str) -> Card | None:
        with self.session() as s:
            row = s.scalar(
                select(CardRow).where(CardRow.race_key == race_key, CardRow.channel == channel, CardRow.platform == platform)
            )
            return _card(row) if row is not None else None

    def cards(self, platform: str | None = None, status: str | None = "live") -> list[Card]:
        with self.session() as s:
            q = select(CardRow).order_by(CardRow.id)
            if platform:
                q = q.where(CardRow.platform == platform)
            if status:
                q = q.where(CardRow.status == status)
            return [_card(r) for r in s.scalars(q).all()]

    def begin_card(self, feed: str, race_key: str, channel: str, platform: str, now: datetime | None = None) -> Card:
        """The card row in "creating" state, committed before ``chat.postMessage``; returns it as stored."""
        now = now or utcnow()
        with self.session() as s, s.begin():
            row = s.scalar(
                select(CardRow).where(CardRow.race_key == race_key, CardRow.channel == channel, CardRow.platform == platform)
            )
            if row is None:
                row = CardRow(
                    feed=feed,
                    race_key=race_key,
                    channel=channel,
                    platform=platform,
                    status="creating",
                    created_at=now,
                    updates=0,
                )
                s.add(row)
                s.flush()
            return _card(row)

    def card_live(
        self, card_id: int, ts: str, rendered_hash: str | None, now: datetime | None = None, *, channel_id: str | None = None
    ) -> None:
        values: dict[str, Any] = {"status": "live", "ts": ts, "rendered_hash": rendered_hash, "updated_at": now or utcnow()}
        if channel_id:
            values["channel_id"] = channel_id
        with self.session() as s, s.begin():
            s.execute(update(CardRow).where(CardRow.id == card_id).values(**values))

    def card_updated(self, card_id: int, rendered_hash: str, now: datetime | None = None) -> None:
        with self.session() as s, s.begin():
            s.execute(
                update(CardRow)
                .where(CardRow.id == card_id)
                .values(rendered_hash=rendered_hash, updated_at=now or utcnow(), updates=CardRow.updates + 1)
            )

    def card_retire(self, card_id: int, old_ts: str | None, now: datetime | None = None) -> Card | None:
        """The card's message can no longer be edited: back to "creating" (committed before the
        new post, so a crash in between is reconciled), its ts remembered so the reconciliation
        never mistakes the old message for the new one."""
        with self.session() as s, s.begin():
            row = s.get(CardRow, card_id)
            if row is None:
                return None
            retired = (row.retired_ts or "").split()
            if old_ts and old_ts not in retired:
                retired = (retired + [old_ts])[-20:]
            row.status = "creating"
            row.ts = None
            row.rendered_hash = None
            row.retired_ts = " ".join(retired) or None
            row.replaced = (row.replaced or 0) + 1
            row.updates = 0
            row.updated_at = now or utcnow()
            s.flush()
            return _card(row)

    def card_frozen(self, card_id: int, ts: str | None) -> None:
        """Stop editing (and re-posting) this card; ``ts`` is kept only if the message still exists."""
        with self.session() as s, s.begin():
            s.execute(update(CardRow).where(CardRow.id == card_id).values(status="frozen", ts=ts))

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self.session() as s, s.begin():
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == delivery_id)
                .values(status="failed", attempts=OutboxRow.attempts + 1, last_error=error[:500])
            )

    def backlog(self) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        return {status: n for status, n in rows}

    def delivery_failures(self, limit: int = 10) -> list[tuple[str, str, str]]:
        """(platform, channel, the last error) per channel with alerts set aside as failed (a
        channel the platform says is gone, a missing permission): for ``/results status``."""
        with self.session() as s:
            newest = (
                select(OutboxRow.platform, OutboxRow.channel, func.max(OutboxRow.id).label("id"))
                .where(OutboxRow.status == "failed")
                .group_by(OutboxRow.platform, OutboxRow.channel)
                .subquery()
            )
            rows = s.execute(
                select(newest.c.platform, newest.c.channel, OutboxRow.last_error)
                .join(OutboxRow, OutboxRow.id == newest.c.id)
                .order_by(newest.c.platform, newest.c.channel)
                .limit(limit)
            ).all()
        return [(platform, channel, str(error or "")) for platform, channel, error in rows]

    def sent_alerts(self, platform: str | None = None) -> list[tuple[str, Alert]]:
        with self.session() as s:
            q = select(OutboxRow).where(OutboxRow.status == "sent").order_by(OutboxRow.sent_at, OutboxRow.id)
            if platform:
                q = q.where(OutboxRow.platform == platform)
            return [(r.channel, outbox_item(r.payload)) for r in s.scalars(q).all()]

    # --- feed health ------------------------------------------------------------------------

    def record_success(self, feed: str, changed: bool, now: datetime | None = None) -> int:
        """Returns the failures that preceded this success (for a "recovered" alert)."""
        now = now or utcnow()
        with self.session() as s, s.begin():
            row = s.get(FeedHealthRow, feed) or FeedHealthRow(feed=feed, consecutive_failures=0)
            s.add(row)
            before = row.consecutive_failures or 0
            row.last_poll_at = now
            row.last_success_at = now
            if changed or row.last_change_at is None:
                row.last_change_at = now
            row.consecutive_failures = 0
            return before

    def record_failure(self, feed: str, error: str, now: datetime | None = None) -> int:
        now = now or utcnow()
        with self.session() as s, s.begin():
            row = s.get(FeedHealthRow, feed) or FeedHealthRow(feed=feed, consecutive_failures=0)
            s.add(row)
            row.last_poll_at = now
            row.consecutive_failures = (row.consecutive_failures or 0) + 1
            row.last_error = error[:500]
            row.last_error_at = now
            return row.consecutive_failures

    def health(self) -> list[FeedHealth]:
        with self.session() as s:
            rows = s.scalars(select(FeedHealthRow).order_by(FeedHealthRow.feed)).all()
            return [
                FeedHealth(
                    r.feed,
                    _aware(r.last_poll_at),
                    _aware(r.last_success_at),
                    _aware(r.last_change_at),
                    r.consecutive_failures or 0,
                    r.last_error,
                )
                for r in rows
            ]

    # --- outbox claims: many workers, one channel each (bot/store/lease.py) ------------------

    def due_channels(self, platform: str, now: datetime | None = None) -> list[str]:
        """Channels whose oldest unsent row is due, oldest head first: what a worker may claim.
        (A channel waiting to retry its head sends nothing newer, so only the head counts.)"""
        now = now or utcnow()
        with self.session() as s:
            heads = (
                select(OutboxRow.channel, func.min(OutboxRow.id).label("head"))
                .where(OutboxRow.platform == platform, _unsent())
                .group_by(OutboxRow.channel)
                .subquery()
            )
            rows = s.execute(
                select(heads.c.channel)
                .join(OutboxRow, OutboxRow.id == heads.c.head)
                .where(OutboxRow.next_attempt_at <= now)
                .order_by(heads.c.head)
            ).all()
        return [r.channel for r in rows]

    def due_in(
        self, platform: str, channels: Iterable[str], now: datetime | None = None, limit: int = 100
    ) -> list[Delivery]:
        """``due`` for these channels only (the ones this worker holds)."""
        wanted = list(channels)
        if not wanted:
            return []
        return self._due_rows(platform, wanted, now or utcnow(), limit)

    def unsent_channels(self, platform: str, channels: Iterable[str]) -> set[str]:
        """Of ``channels``, those with a row still to send (pending or sending)."""
        wanted = list(channels)
        if not wanted:
            return set()
        with self.session() as s:
            return set(
                s.scalars(
                    select(OutboxRow.channel)
                    .where(OutboxRow.platform == platform, OutboxRow.channel.in_(wanted), _unsent())
                    .distinct()
                ).all()
            )

    def last_post_at(self, platform: str, channel: str) -> datetime | None:
        """When this channel was last posted to (or a post began), by any worker: a worker that
        takes a channel over paces its first post from it."""
        with self.session() as s:
            row = s.execute(
                select(func.max(OutboxRow.sent_at), func.max(OutboxRow.attempt_at)).where(
                    OutboxRow.platform == platform, OutboxRow.channel == channel
                )
            ).one()
        times = [t for t in (_aware(row[0]), _aware(row[1])) if t is not None]
        return max(times) if times else None

    def claim_channels(
        self, conn: Any, platform: str, channels: list[str], key_of: Callable[[str], tuple[int, int]]
    ) -> set[str]:
        """PostgreSQL: claim what can be claimed of ``channels`` on ``conn`` (the worker's own
        connection), in one transaction. The channels' oldest unsent rows are locked
        ``FOR UPDATE SKIP LOCKED``: a head another worker is claiming right now is skipped, not
        waited for. Each remaining channel is then taken with ``pg_try_advisory_lock`` (session
        level: it outlives the transaction and dies with the connection). A channel with no unsent
        row can be claimed too (its live cards)."""
        unsent = "status IN ('pending', 'sending')"
        # each channel's head: one seek per channel in ix_outbox_unsent (a NOT EXISTS over earlier
        # rows was quadratic in the backlog: 12 s for 2,000 rows)
        heads = dict(
            conn.execute(
                text(
                    "SELECT c.ch, h.id FROM unnest(CAST(:chs AS text[])) AS c(ch) CROSS JOIN LATERAL"
                    f" (SELECT o.id FROM {OutboxRow.__tablename__} o WHERE o.platform = :p AND o.channel = c.ch"
                    f" AND o.{unsent} ORDER BY o.id LIMIT 1) AS h"
                ),
                {"p": platform, "chs": channels},
            ).all()
        )
        with_head = set(heads)
        locked = set(
            conn.execute(
                text(
                    f"SELECT channel FROM {OutboxRow.__tablename__} WHERE id = ANY(:ids) AND {unsent} FOR UPDATE SKIP LOCKED"
                ),
                {"ids": list(heads.values())},
            ).scalars()
            if heads
            else ()
        )
        candidates = [c for c in channels if c not in with_head or c in locked]
        got: set[str] = set()
        if candidates:
            keys = [key_of(c) for c in candidates]
            rows = conn.execute(
                text(
                    "SELECT t.c, pg_try_advisory_lock(t.a, t.b) FROM"
                    " unnest(CAST(:cs AS text[]), CAST(:as_ AS int[]), CAST(:bs AS int[])) AS t(c, a, b)"
                ),
                {"cs": candidates, "as_": [k[0] for k in keys], "bs": [k[1] for k in keys]},
            ).all()
            got = {c for c, ok in rows if ok}
        conn.commit()  # the row locks go; the advisory locks stay with the connection
        return got


def outbox_item(payload: str) -> Alert:
    """An outbox row's payload: an alert, or a digest part (``bot.core.digest``), which the worker
    and the sinks tell apart; both have ``key``, ``feed``, ``race_key`` and ``to_dict``."""
    data = json.loads(payload)
    if is_digest(data):
        return Digest.from_dict(data)  # type: ignore[return-value]  # a Digest travels in the outbox where an Alert does
    if is_picture_order(data):
        return PictureOrder.from_dict(data)  # type: ignore[return-value]  # so does a picture to upload (bot.core.picture_orders)
    return Alert.from_dict(data)


def _queue(s: Session, deliveries: Iterable[tuple[Alert, str, str]], now: datetime) -> int:
    """Insert outbox rows unless the same alert is already queued (or sent) for that channel.

    In batches: one read of the keys already there per 500 rows and one multi-row insert, in
    the order given (ids keep it, which is the order per channel); a query and a flush per row
    were most of a national first poll's commit."""
    wanted: dict[tuple[str, str, str], Alert] = {}
    for alert, channel, platform in deliveries:
        wanted.setdefault((alert.key, channel, platform), alert)
    if not wanted:
        return 0
    keys = list(dict.fromkeys(k for k, _, _ in wanted))
    present: set[tuple[str, str, str]] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        present.update(
            s.execute(
                select(OutboxRow.alert_key, OutboxRow.channel, OutboxRow.platform).where(OutboxRow.alert_key.in_(chunk))
            ).all()
        )
    rows = [
        {
            "alert_key": key,
            "feed": alert.feed,
            "race_key": alert.race_key,
            "channel": channel,
            "platform": platform,
            "payload": json.dumps(alert.to_dict(), sort_keys=True),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for (key, channel, platform), alert in wanted.items()
        if (key, channel, platform) not in present
    ]
    if rows:
        s.execute(insert(OutboxRow), rows)
    return len(rows)


UNSENT = ("pending", "sending")


def _unsent() -> Any:
    """``status IN ('pending', 'sending')`` with the values written into the SQL, as the partial
    index ``ix_outbox_unsent`` states it: SQLite uses a partial index only for a query whose WHERE
    repeats the index's own terms, which a bound parameter does not."""
    return OutboxRow.status.in_(bindparam("unsent", UNSENT, expanding=True, literal_execute=True))


_SNAPSHOT_VERSIONS_SQL = f"SELECT feed, stored_at, polls FROM {SnapshotRow.__tablename__}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets /results read while the poller writes; the busy timeout rides out short locks.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
