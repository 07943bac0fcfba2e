"""The outbox shared by many workers, one channel each (bot/store/lease.py): which channels are
due, claiming them on PostgreSQL, and when a channel was last posted to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text

from bot.store.moments import aware, utcnow
from bot.store.outbox import Delivery, OutboxStore, is_unsent
from bot.store.tables import OutboxRow


class ClaimStore(OutboxStore):
    def due_channels(self, platform: str, now: datetime | None = None) -> list[str]:
        """Channels whose oldest unsent row is due, oldest head first: what a worker may claim.
        (A channel waiting to retry its head sends nothing newer, so only the head counts.)"""
        now = now or utcnow()
        with self.session() as s:
            heads = (
                select(OutboxRow.channel, func.min(OutboxRow.id).label("head"))
                .where(OutboxRow.platform == platform, is_unsent())
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
                    .where(OutboxRow.platform == platform, OutboxRow.channel.in_(wanted), is_unsent())
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
        times = [t for t in (aware(row[0]), aware(row[1])) if t is not None]
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
