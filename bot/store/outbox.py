"""The alert outbox: what each channel of each platform is to be sent, in order, and how each
delivery went. The unique key on (alert, channel, platform) makes a second insert of the same
alert a no-op, so nothing is posted twice; a row in "sending" may have been posted, and the worker
looks in the channel before posting it again."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from bot.core.digest import Digest, is_digest
from bot.core.events import Alert
from bot.core.picture_orders import PictureOrder, is_picture_order
from bot.store.moments import aware, utcnow
from bot.store.sessions import Sessions
from bot.store.tables import OutboxRow


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


class OutboxStore(Sessions):
    def __init__(self, url: str, *, echo: bool = False):
        super().__init__(url, echo=echo)
        self._payloads: dict[str, Alert] = {}

    def enqueue(self, deliveries: Iterable[tuple[Alert, str, str]], now: datetime | None = None) -> int:
        """Queue alerts that come with no snapshot (feed health)."""
        with self.session() as s, s.begin():
            return queue_deliveries(s, deliveries, now or utcnow())

    def due(self, platform: str, now: datetime | None = None, limit: int = 100) -> list[Delivery]:
        """Unsent deliveries in creation order (which is the order per channel).

        Rows in "sending" are included: an attempt began and its outcome is unknown (a crash or a
        lost answer), so the worker checks the channel before posting them again."""
        return self._due_rows(platform, None, now or utcnow(), limit)

    def _due_rows(self, platform: str, channels: list[str] | None, now: datetime, limit: int) -> list[Delivery]:
        """The one reading of due rows, for every channel or only some: both callers must see the
        same columns (an upload's file id is what its crash check asks the platform about)."""
        where = [OutboxRow.platform == platform, is_unsent(), OutboxRow.next_attempt_at <= now]
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
                    aware(r.created_at),  # type: ignore[arg-type]  # created_at is never null; aware keeps its Optional signature
                    r.status,
                    aware(r.attempt_at),
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
                    select(OutboxRow.channel).where(OutboxRow.platform == platform, is_unsent()).distinct()
                ).all()
            first: dict[str, datetime] = {}
            for channel in dict.fromkeys(channels):
                at = s.scalar(
                    select(OutboxRow.next_attempt_at)
                    .where(OutboxRow.platform == platform, OutboxRow.channel == channel, is_unsent())
                    .order_by(OutboxRow.id)
                    .limit(1)
                )
                if at is not None:
                    first[channel] = aware(at)  # type: ignore[assignment]  # at is not None here; aware keeps its Optional signature
        return first

    def mark_sent(self, delivery_id: int, message_id: str | None, now: datetime | None = None) -> None:
        self.mark_many_sent([delivery_id], message_id, now)

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

    def mark_many_sent(self, delivery_ids: Iterable[int], message_id: str | None, now: datetime | None = None) -> None:
        ids = list(delivery_ids)
        with self.session() as s, s.begin():
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids))
                .values(
                    status="sent",
                    sent_at=now or utcnow(),
                    message_id=message_id,
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


def outbox_item(payload: str) -> Alert:
    """An outbox row's payload: an alert, or a digest part (``bot.core.digest``), which the worker
    and the sinks tell apart; both have ``key``, ``feed``, ``race_key`` and ``to_dict``."""
    data = json.loads(payload)
    if is_digest(data):
        return Digest.from_dict(data)  # type: ignore[return-value]  # a Digest travels in the outbox where an Alert does
    if is_picture_order(data):
        return PictureOrder.from_dict(data)  # type: ignore[return-value]  # so does a picture to upload (bot.core.picture_orders)
    return Alert.from_dict(data)


def queue_deliveries(s: Session, deliveries: Iterable[tuple[Alert, str, str]], now: datetime) -> int:
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


def is_unsent() -> Any:
    """``status IN ('pending', 'sending')`` with the values written into the SQL, as the partial
    index ``ix_outbox_unsent`` states it: SQLite uses a partial index only for a query whose WHERE
    repeats the index's own terms, which a bound parameter does not."""
    return OutboxRow.status.in_(bindparam("unsent", UNSENT, expanding=True, literal_execute=True))
