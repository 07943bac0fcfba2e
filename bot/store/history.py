"""Each race's night, one small row per poll in which its count or call moved (``race_history``).

Why rows of their own: the night's chart needs the statewide count at every change, and the
store keeps only the last snapshot. Rows are written by ``Store.commit_poll`` in the poll's own
transaction (a failed commit writes none, a retried poll writes it once), compared with the
snapshot committed before (or, after a restart, with each race's last row), so a poll that
leaves a race as it was adds nothing for it: one row per change, whatever the poll interval.
They are read back as ``HistoryPoint``s from their own columns, never by decoding a snapshot,
and pruned ``history_days`` after they were written (``[store] history_days``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring_ascii as _quoted
from typing import Any, Protocol

from sqlalchemy import Float, Index, Integer, String, Table, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.history import HistoryPoint, point_of
from bot.core.model import CallStatus, Race, Snapshot
from bot.store.base import Base, Moment
from bot.store.bulk import insert_rows

log = logging.getLogger("electionbot.store")

#: how long rows are kept when the settings do not say (``[store] history_days``)
DEFAULT_HISTORY_DAYS = 14
#: the most points one read returns (the latest ones): a chart of a very long count stays drawable
MAX_POINTS = 2000


class RaceHistoryRow(Base):
    __tablename__ = "race_history"
    __table_args__ = (
        Index("ix_race_history_race", "feed", "race_key", "id"),
        Index("ix_race_history_recorded_at", "recorded_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed: Mapped[str] = mapped_column(String(60))
    race_key: Mapped[str] = mapped_column(String(200))  # RACE_KEY_CHARS of bot/store/database.py (revision 0006)
    #: the snapshot's ``generated_at``: when the feed said it (the chart's time axis)
    at: Mapped[datetime] = mapped_column(Moment())
    #: when the poll committed it (pruning: a replayed 2017 night is kept like tonight's)
    recorded_at: Mapped[datetime] = mapped_column(Moment())
    #: the statewide votes, ``{"candidate id": votes}`` as JSON with sorted keys
    votes: Mapped[str] = mapped_column(Text)
    precincts_reporting: Mapped[int | None] = mapped_column(Integer, nullable=True)
    precincts_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expected_vote_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    call_status: Mapped[str] = mapped_column(String(12), default=CallStatus.NONE.value)
    #: the winners' candidate ids as a JSON list ("[]" before a call)
    winners: Mapped[str] = mapped_column(Text, default="[]")
    race_call_status: Mapped[str | None] = mapped_column(Text, nullable=True)


_TABLE: Table = RaceHistoryRow.__table__  # type: ignore[assignment]  # a declarative class's table is a Table


class _Sessions(Protocol):
    def session(self) -> Session: ...


def record_changes(
    session: Session,
    feed: str,
    before: Snapshot | None,
    after: Snapshot,
    now: datetime,
    *,
    keep_days: int = DEFAULT_HISTORY_DAYS,
) -> int:
    """Add a row for each race of ``after`` whose count or call differs from ``before`` (the
    snapshot committed last; ``None`` when this process does not hold it, and then each race's
    last row is the comparison), and drop rows older than ``keep_days``. Returns the rows added.

    A race object identical to the one in ``before`` is skipped unread: the poller keeps the
    objects of races a poll did not touch, so a national poll compares only what moved."""
    last = _last_rows(session, feed) if before is None else None
    at = after.generated_at
    rows: list[tuple[Any, ...]] = []
    for key, race in after.races.items():
        if before is not None:
            old = before.races.get(key)
            if old is race:
                continue
            point = point_of(race, at)
            if point is None or point.same_count(point_of(old, before.generated_at) if old is not None else None):
                continue
            rows.append((key, *_compared(point)))
            continue
        values = stored_point(race)
        if values is None:
            continue
        # after a restart: the race's last row, compared as stored (the same encoding) undecoded
        prior = last.get(key) if last is not None else None
        if prior is None or prior != values:
            rows.append((key, *values))
    if rows:
        # one executemany; a poll's rows share the feed and their two times (bot/store/bulk.py)
        insert_rows(session.connection(), _TABLE, {"feed": feed, "at": at, "recorded_at": now}, _ROW_COLUMNS, rows)
    prune(session, now, keep_days)
    return len(rows)


def prune(session: Session, now: datetime, keep_days: int = DEFAULT_HISTORY_DAYS) -> int:
    """Delete rows written more than ``keep_days`` ago (an index seek: usually nothing)."""
    result = session.execute(delete(RaceHistoryRow).where(RaceHistoryRow.recorded_at < now - timedelta(days=keep_days)))
    return int(getattr(result, "rowcount", 0) or 0)


def race_history(store: _Sessions, feed: str, race_key: str) -> list[HistoryPoint]:
    """The race's points in the order they were written (the latest ``MAX_POINTS``); read from
    their own columns, never from a snapshot."""
    with store.session() as s:
        rows = s.execute(
            select(*_COLUMNS)
            .where(RaceHistoryRow.feed == feed, RaceHistoryRow.race_key == race_key)
            .order_by(RaceHistoryRow.id.desc())
            .limit(MAX_POINTS)
        ).all()
    return [p for p in (_point(r, feed) for r in reversed(rows)) if p is not None]


_COLUMNS = (
    RaceHistoryRow.race_key,
    RaceHistoryRow.at,
    RaceHistoryRow.votes,
    RaceHistoryRow.precincts_reporting,
    RaceHistoryRow.precincts_total,
    RaceHistoryRow.expected_vote_pct,
    RaceHistoryRow.call_status,
    RaceHistoryRow.winners,
    RaceHistoryRow.race_call_status,
)


#: the columns that say what a reader would see (all but the feed, the race and the two times)
_COMPARED = (
    "votes",
    "precincts_reporting",
    "precincts_total",
    "expected_vote_pct",
    "call_status",
    "winners",
    "race_call_status",
)


def _last_rows(session: Session, feed: str) -> dict[str, tuple[Any, ...]]:
    """Each race's last row of ``feed``, its ``_COMPARED`` columns as stored: the comparison after
    a restart, in one query and without decoding (7,000 national races: decoding them was a second)."""
    latest = (
        select(func.max(RaceHistoryRow.id))
        .where(RaceHistoryRow.feed == feed)
        .group_by(RaceHistoryRow.race_key)
        .scalar_subquery()
    )
    columns = [getattr(RaceHistoryRow, c) for c in _COMPARED]
    rows = session.execute(select(RaceHistoryRow.race_key, *columns).where(RaceHistoryRow.id.in_(latest))).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _compared(point: HistoryPoint) -> tuple[Any, ...]:
    """The point's ``_COMPARED`` columns as they are stored."""
    return (
        votes_text(point.votes),
        point.precincts_reporting,
        point.precincts_total,
        point.expected_vote_pct,
        point.call_status._value_,
        winners_text(point.winners),
        point.race_call_status,
    )


def stored_point(race: Race) -> tuple[Any, ...] | None:
    """``_compared(point_of(race, at))`` without building the point (``None``: no state row).
    A national first poll writes a row for each of its 7,000 races, and the point's own copy of
    the votes was a fifth of that; the columns are taken from where ``point_of`` takes them
    (tests/integration/store/test_history_row_text.py holds the two equal)."""
    unit = race.state_unit
    if unit is None:
        return None
    share = unit.expected_vote_pct
    return (
        votes_text(unit.votes),
        unit.precincts_reporting,
        unit.precincts_total,
        share if share is not None else race.expected_vote_pct,
        race.call_status._value_,
        winners_text(race.winners),
        race.race_call_status,
    )


def winners_text(winners: Sequence[str]) -> str:
    """``json.dumps(list(winners))`` to the byte ("[]" for none): by hand for string ids, for the
    reason ``votes_text`` gives."""
    if not winners:
        return "[]"
    if any(type(w) is not str for w in winners):
        return json.dumps(list(winners))
    return "[" + ", ".join([_quoted(w) for w in winners]) + "]"


#: the columns of a row that are not shared by the poll's rows, in the order ``record_changes`` gives them
_ROW_COLUMNS = ("race_key", *_COMPARED)


def votes_text(votes: Mapping[str, int]) -> str:
    """``json.dumps(dict(votes), sort_keys=True)`` to the byte. Written by hand for the usual
    shape (string ids, plain integer counts): the standard library's encoder is set up afresh on
    each call, a few microseconds, 7,000 times a national first poll. Keys are quoted by the
    very function :mod:`json` uses (``encode_basestring_ascii``) and an int is written as its
    ``repr``, as :mod:`json` does; any other shape goes to :mod:`json` itself."""
    items = sorted(votes.items())
    for key, value in items:
        if type(key) is not str or type(value) is not int:
            return _SORTED.encode(dict(votes))
    return "{" + ", ".join([f"{_quoted(key)}: {value!r}" for key, value in items]) + "}"


#: ``json.dumps(..., sort_keys=True)`` builds an encoder per call; one kept encoder writes the same text
_SORTED = json.JSONEncoder(sort_keys=True)


def _point(row: Any, feed: str) -> HistoryPoint | None:
    """A row as a point; one that cannot be read is said and left out, never raised."""
    try:
        votes = json.loads(row.votes)
        winners = json.loads(row.winners or "[]")
        if not isinstance(votes, dict) or not isinstance(winners, list):
            raise ValueError("not an object and a list")
        return HistoryPoint(
            at=_aware(row.at),
            votes={str(k): int(v) for k, v in votes.items()},
            precincts_reporting=row.precincts_reporting,
            precincts_total=row.precincts_total,
            expected_vote_pct=row.expected_vote_pct,
            call_status=CallStatus(row.call_status),
            winners=tuple(str(w) for w in winners),
            race_call_status=row.race_call_status,
        )
    except (TypeError, ValueError) as exc:
        log.error("feed %r: a history row of race %s cannot be read (%s); left out", feed, str(row.race_key)[:80], exc)
        return None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
