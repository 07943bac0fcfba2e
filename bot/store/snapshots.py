"""The last snapshot of each feed and its rules' memory: written once per poll with the alerts it
produced (``commit_poll``, one transaction), read back decoded once per version.

A crash before the commit leaves the old snapshot, so the next poll finds the same changes again
with the same keys; a crash after it leaves the alerts queued (``bot.store.outbox``)."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import compress, repeat
from operator import is_not
from typing import Any, Generic, TypeVar, cast

import orjson
from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from bot.codec import native
from bot.codec.errors import FeedError
from bot.core.events import Alert
from bot.core.model import Race, Snapshot
from bot.core.rules import RaceMemory, is_blank
from bot.store.bulk import insert_rows
from bot.store.health import PollSuccess, write_success
from bot.store.history import DEFAULT_HISTORY_DAYS, record_changes
from bot.store.moments import aware, utcnow
from bot.store.outbox import queue_deliveries
from bot.store.sessions import Sessions
from bot.store.tables import SnapshotRaceRow, SnapshotRow

log = logging.getLogger("electionbot.store")


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    snapshot: Snapshot
    memory: dict[str, RaceMemory]
    cursor: dict[str, str]
    polls: int


#: The race rows go to the driver's executemany (bot/store/bulk.py): the ORM's bulk path, then
#: Core's, spent more time collecting a national first poll's 7,000 rows than SQLite spent writing them
_RACES: Table = SnapshotRaceRow.__table__  # type: ignore[assignment]  # a declarative class's table is a Table
_RACE_COLUMNS = ("race_key", "position", "document")


def memory_json(memory: Mapping[str, RaceMemory]) -> str:
    """The rules' memory as one JSON object, races in key order, each entry ``to_dict()``'s fields.
    orjson writes the dataclasses itself, a national poll's 7,000 in one call (the standard
    library's ``asdict`` and ``dumps`` took half a second); what it refuses (an integer past 64
    bits) goes the long way. Either text reads back the same (``_memory_of``)."""
    try:
        return orjson.dumps({key: _stored(m) for key, m in memory.items()}, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps({key: m.to_dict() for key, m in memory.items()}, sort_keys=True)


V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Encoded(Generic[V]):
    """Values in order and each one's text, position for position: what a commit wrote (the
    races' JSON, the rules' memory fragments), reused by object on the next one. Never changed
    once built (the next commit copies ``texts``), so a cache may hold the very one committed."""

    keys: list[str]
    values: list[V]
    texts: list[str]


def encoded_again(
    keys: list[str], values: list[V], last: Encoded[V] | None, encode: Callable[[list[str], list[V]], list[str]]
) -> tuple[Encoded[V], int]:
    """``keys``/``values`` with their texts, ``encode`` called (once, on the lists of what it
    must encode) only for the values that are not the very objects ``last`` holds under the same
    key; returns them and how many were encoded.

    Why identity is enough: races and rules' memories are frozen, and a poll hands back the
    object it did not touch. While the keys are ``last``'s (a delta poll), the objects are
    compared in C calls (``map``, ``compress``): a Python loop over a national snapshot's 7,000
    was ~3 ms a poll. ``encode`` may raise: nothing is kept then."""
    if last is None:  # nothing to reuse (the first commit): no look-up a value
        return Encoded(keys, values, encode(keys, values)), len(keys)
    if last.keys == keys:
        texts: list[str | None] = list(last.texts)
        changed = list(compress(range(len(keys)), map(is_not, values, last.values)))
    else:
        old = dict(zip(last.keys, zip(last.values, last.texts, strict=True), strict=True))
        texts = [
            hit[1] if (hit := old.get(key)) is not None and hit[0] is value else None
            for key, value in zip(keys, values, strict=True)
        ]
        changed = [i for i, text in enumerate(texts) if text is None]
    fresh = encode([keys[i] for i in changed], [values[i] for i in changed])
    for i, text in zip(changed, fresh, strict=True):
        texts[i] = text
    return Encoded(keys, values, cast(list[str], texts)), len(changed)  # every gap filled above


class MemoryFragments:
    """One feed's rules' memory as :func:`memory_json` writes it, byte for byte, from each race's
    fragment (``"key":{...},``), encoded again only when the race's ``RaceMemory`` is not the
    very object encoded last time.

    Why identity is enough: a ``RaceMemory`` is frozen and holds tuples, and the poller replaces
    a race's memory only when it evaluates the race (an unchanged race keeps the object the store
    handed back). A national delta poll (70 changed races of 7,000) so encodes 70 fragments and
    joins the rest, where one orjson call rewrote all 4 MB (``encoded_again``, as the races' JSON
    is), and the text is one ``str.join`` of the fragments (each holds the comma that follows it): the
    text is never built twice and never decoded whole (wrapping and decoding 4 MB cost ~2.5 ms).
    The order is ``OPT_SORT_KEYS``'s: orjson sorts keys by code point, as ``sorted`` does; what
    orjson refuses (an integer past 64 bits, a lone surrogate) goes the long way, the whole
    memory as ``memory_json`` writes it."""

    def __init__(self) -> None:
        #: one poller commits a feed at a time (its lock, the lease), but two threads must never
        #: interleave here
        self._lock = threading.Lock()
        #: the last text's races in key order, their memories and fragments, position for position
        self._last: Encoded[RaceMemory] | None = None
        self._key_set: frozenset[str] = frozenset()
        #: fragments encoded and reused, over the store's life (tests)
        self.encoded = 0
        self.reused = 0

    def text(self, memory: Mapping[str, RaceMemory]) -> str:
        with self._lock:
            return self._text(memory)

    def _text(self, memory: Mapping[str, RaceMemory]) -> str:
        last = self._last
        same_races = last is not None and self._key_set == memory.keys()
        keys = last.keys if same_races and last is not None else sorted(memory)
        try:
            written, encoded = encoded_again(keys, list(map(memory.__getitem__, keys)), last, _fragments)
        except TypeError:  # orjson.JSONEncodeError is one
            self._last, self._key_set = None, frozenset()
            return memory_json(memory)
        if not same_races:
            self._key_set = frozenset(keys)
        self._last = written
        self.encoded += encoded
        self.reused += len(keys) - encoded
        fragments = written.texts
        if not fragments:
            return "{}"
        return "".join(["{", *fragments[:-1], fragments[-1][:-1], "}"])  # the last comma cut


def _race_jsons(_keys: list[str], races: list[Race]) -> list[str]:
    return [native.race_json(race) for race in races]


def _fragments(keys: list[str], memories: list[RaceMemory]) -> list[str]:
    """``"key":{...},`` for each race, in C calls: a first poll encodes 7,000 for little more than
    the one orjson call over the whole memory (a Python loop of two calls a race took a third more)."""
    pieces = zip(
        map(orjson.dumps, keys), repeat(b":"), map(orjson.dumps, map(_stored, memories)), repeat(b","), strict=False
    )
    return list(map(bytes.decode, map(b"".join, pieces)))


_BLANK: dict[str, Any] = {}


def _stored(memory: RaceMemory) -> RaceMemory | dict[str, Any]:
    """What orjson writes for a race's memory: the dataclass, or ``{}`` when it holds nothing
    (``RaceMemory.to_dict``, the long way, says why)."""
    return _BLANK if is_blank(memory) else memory


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


_SNAPSHOT_VERSIONS_SQL = f"SELECT feed, stored_at, polls FROM {SnapshotRow.__tablename__}"
_VERSIONS = select(SnapshotRow.feed, SnapshotRow.stored_at, SnapshotRow.polls)


def _version(s: Session, feed: str) -> tuple[datetime | None, int] | None:
    """The feed's ``(stored_at, polls)``, from every feed's (a row each). Why not by feed: SQLite
    answers ``WHERE feed = ?`` from the primary key's index, then reads the row, walking the
    megabytes of memory stored before these two columns (~1.2 ms a read at national size); the
    whole table's are read from ``ix_snapshots_version`` alone, no row touched."""
    for row_feed, stored_at, polls in s.execute(_VERSIONS):
        if row_feed == feed:
            return aware(stored_at), polls
    return None


class SnapshotStore(Sessions):
    def __init__(self, url: str, *, echo: bool = False):
        super().__init__(url, echo=echo)
        self._cache_lock = threading.Lock()
        self._decoding: dict[str, threading.Lock] = {}  # per feed: held while one thread decodes
        #: per feed, the snapshot and the rules' memory last written or read, by version
        #: (stored_at, polls); and each race's JSON, by object (commit_poll)
        self._parsed: dict[str, tuple[tuple[datetime | None, int], Snapshot | None]] = {}
        self._memories: dict[str, tuple[tuple[datetime | None, int], dict[str, RaceMemory]]] = {}
        self._race_docs: dict[str, Encoded[Race]] = {}
        #: per feed, each race's memory JSON, by object, and the cursor written, by version (commit_poll)
        self._cursors: dict[str, tuple[tuple[datetime | None, int], dict[str, Any]]] = {}
        self._memory_texts: dict[str, MemoryFragments] = {}
        #: per feed, the races in ``snapshot_races`` as this store last committed them, by version
        self._apart: dict[str, tuple[tuple[datetime | None, int], Encoded[Race]]] = {}
        #: /results <state>: per (feed, state) the snapshot of that state's races, by version; per
        #: feed, each race row read (its JSON and what it decoded to), reused while the JSON is the same
        self._by_state: dict[tuple[str, str], tuple[tuple[datetime | None, int], bool, Snapshot | None]] = {}
        self._race_rows: dict[str, dict[str, tuple[str, Race | None]]] = {}
        #: rows of ``snapshot_races`` written (tests and benchmarks count them)
        self.stats: Counter[str] = Counter()

    def load(self, feed: str) -> StoredSnapshot | None:
        """The feed's last snapshot, its rules' memory and cursor. Decoded once per version
        (``stored_at``, ``polls``): the poller's own commit leaves what it wrote decoded here, so
        the next poll reads two small columns, not the whole document (at national size,
        decoding it again after every commit was over a second a poll)."""
        with self.session() as s:
            version = _version(s, feed)
            if version is None:
                return None
            cursor = self._cursor_at(feed, version)
            if cursor is None:  # not what this store committed: read with the version it belongs to
                head = s.execute(
                    select(SnapshotRow.stored_at, SnapshotRow.polls, SnapshotRow.cursor).where(SnapshotRow.feed == feed)
                ).first()
                if head is None:
                    return None
                version, cursor = (aware(head.stored_at), head.polls), _json_object(head.cursor, feed, "cursor")
            snapshot = self._snapshot_at(s, feed, version)
            if snapshot is None:  # unreadable (said once): as if there were none
                return None
            return StoredSnapshot(snapshot, self._memory_at(s, feed, version), cursor, version[1])

    def _cursor_at(self, feed: str, version: tuple[datetime | None, int]) -> dict[str, str] | None:
        """The cursor ``commit_poll`` wrote, if the feed's row is still at the version it wrote:
        the column sits after the memory, and reading it walks megabytes (~1.2 ms a poll)."""
        with self._cache_lock:
            hit = self._cursors.get(feed)
        return dict(hit[1]) if hit is not None and hit[0] == version else None

    def memory(self, feed: str) -> dict[str, RaceMemory]:
        """The rules' memory of a feed, even when its stored snapshot cannot be read: a poller
        that starts again from no snapshot must still know what the channel was told."""
        with self.session() as s:
            head = s.execute(select(SnapshotRow.stored_at, SnapshotRow.polls).where(SnapshotRow.feed == feed)).first()
            return self._memory_at(s, feed, (aware(head.stored_at), head.polls)) if head is not None else {}

    def latest_snapshots(self) -> list[Snapshot]:
        """Every feed's last good snapshot, for /results. Parsed once per change, then cached."""
        with self.session() as s:
            heads = s.execute(
                select(SnapshotRow.feed, SnapshotRow.stored_at, SnapshotRow.polls).order_by(SnapshotRow.feed)
            ).all()
            return [snap for h in heads if (snap := self._snapshot_at(s, h.feed, (aware(h.stored_at), h.polls))) is not None]

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
            version = (aware(row.stored_at), row.polls)
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
            found = [self._state_at(s, h.feed, (aware(h.stored_at), h.polls), state) for h in heads]
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
        version = (aware(row.stored_at), row.polls)
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
            version = (aware(row.stored_at), row.polls)
        memory = _memory_of(row.memory if row is not None else None, feed)
        with self._cache_lock:
            self._memories[feed] = (version, memory)
        return dict(memory)

    def commit_poll(
        self,
        snapshot: Snapshot,
        memory: Mapping[str, RaceMemory],
        cursor: Mapping[str, str],
        deliveries: Iterable[tuple[Alert, str, str]],
        now: datetime | None = None,
        *,
        success: PollSuccess | None = None,
    ) -> int:
        """Snapshot, memory and outbox rows in one transaction, and with ``success`` the feed's
        health (``success.failures_before`` filled in). Returns the rows newly queued.

        The document is the whole snapshot as before (what a restart or another process reads
        back), but only the races that changed since the last commit are encoded again: a race
        the poll did not touch is the very object written last time, and its JSON is reused. What
        was written stays decoded here under the version the transaction gave it."""
        now = now or utcnow()
        races = self._race_texts(snapshot)
        apart = len(races.keys) >= self.split_races_at
        document = native.document_text(snapshot, [] if apart else races.texts, races_apart=apart)
        with self._cache_lock:
            fragments = self._memory_texts.setdefault(snapshot.feed, MemoryFragments())
        memory_text = fragments.text(memory)
        cursor_text = json.dumps(dict(cursor), sort_keys=True)
        with self.session() as s, s.begin():
            before = _version(s, snapshot.feed)
            polls = before[1] if before is not None else None
            if apart:
                self._write_races(s, snapshot.feed, races, before)
            else:
                s.execute(delete(SnapshotRaceRow).where(SnapshotRaceRow.feed == snapshot.feed))
            values = {
                "generated_at": snapshot.generated_at,
                "document": document,
                "memory": memory_text,
                "cursor": cursor_text,
                "stored_at": now,
            }
            if polls is None:
                s.add(SnapshotRow(feed=snapshot.feed, polls=1, **values))
                s.flush()
            else:
                s.execute(
                    update(SnapshotRow).where(SnapshotRow.feed == snapshot.feed).values(polls=(polls or 0) + 1, **values)
                )
            queued = queue_deliveries(s, deliveries, now)
            if success is not None:
                success.failures_before = write_success(s, snapshot.feed, success.changed, now)
            known = self._parsed.get(snapshot.feed)  # the snapshot committed before, if this store holds it
            if known is None or before is None or known[0] != before:
                known = None
            record_changes(s, snapshot.feed, known[1] if known else None, snapshot, now, keep_days=self.history_days)
        # the version this transaction wrote (the row is ours until the commit), as a reader will
        # get it back: not read back, as reading a column stored after the 4 MB memory walks it
        version = (aware(now), (polls or 0) + 1)
        with self._cache_lock:
            self._parsed[snapshot.feed] = (version, snapshot)
            self._memories[snapshot.feed] = (version, dict(memory))
            self._cursors[snapshot.feed] = (version, _json_object(cursor_text, snapshot.feed, "cursor"))
            if apart:
                self._apart[snapshot.feed] = (version, races)
            else:
                self._apart.pop(snapshot.feed, None)
        return queued

    #: a snapshot of this many races or more keeps them in ``snapshot_races``, one row each
    split_races_at = 1000
    #: days a race's history rows are kept (``[store] history_days``; bot/store/history.py)
    history_days = DEFAULT_HISTORY_DAYS

    def _race_texts(self, snapshot: Snapshot) -> Encoded[Race]:
        """Each race and its JSON as ``native.dumps`` writes it, reused while the race object is
        the one encoded last time (``encoded_again``; the cache holds the current races only)."""
        with self._cache_lock:
            known = self._race_docs.get(snapshot.feed)
        fresh, _ = encoded_again(list(snapshot.races), list(snapshot.races.values()), known, _race_jsons)
        with self._cache_lock:
            self._race_docs[snapshot.feed] = fresh
        return fresh

    def _write_races(self, s: Session, feed: str, races: Encoded[Race], stored: tuple[datetime | None, int] | None) -> None:
        """The rows of ``snapshot_races``: only the changed and new races when the table holds
        what this store last committed (same version, same order, nothing gone); else all."""
        with self._cache_lock:
            last = self._apart.get(feed)
        keys, texts = races.keys, races.texts
        if last is not None and last[0] == stored and keys[: len(last[1].keys)] == last[1].keys:
            written = len(last[1].keys)
            changed = [
                {"feed": feed, "race_key": keys[i], "document": texts[i]}
                for i in compress(range(written), map(is_not, races.values, last[1].values))
            ]
            if changed:
                s.execute(update(SnapshotRaceRow), changed)
            added = [(keys[i], i, texts[i]) for i in range(written, len(keys))]
            insert_rows(s.connection(), _RACES, {"feed": feed}, _RACE_COLUMNS, added)
            self.stats["races_written"] += len(changed) + len(added)
            return
        s.execute(delete(SnapshotRaceRow).where(SnapshotRaceRow.feed == feed))
        rows = list(zip(keys, range(len(keys)), texts, strict=True))
        insert_rows(s.connection(), _RACES, {"feed": feed}, _RACE_COLUMNS, rows)
        self.stats["races_written"] += len(keys)
