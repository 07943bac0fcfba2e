"""Live race cards: one message per race × channel × platform, edited as the race changes; its
row (and the message's id) survives restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.store.moments import aware, utcnow
from bot.store.sessions import Sessions
from bot.store.tables import CardRow


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    feed: str
    race_key: str
    channel: str
    platform: str
    status: str
    #: the platform's id of the card's message (Slack's ``ts``, Discord's message id)
    message_id: str | None
    rendered_hash: str | None
    updated_at: datetime | None
    updates: int
    replaced: int = 0
    #: the message ids of the cards it replaced
    retired: tuple[str, ...] = ()
    channel_id: str | None = None


def _card(r: CardRow) -> Card:
    retired = tuple((r.retired_message_ids or "").split())
    return Card(
        r.id,
        r.feed,
        r.race_key,
        r.channel,
        r.platform,
        r.status,
        r.message_id,
        r.rendered_hash,
        aware(r.updated_at),
        r.updates or 0,
        r.replaced or 0,
        retired,
        r.channel_id,
    )


class CardStore(Sessions):
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
        """The card row in "creating" state, committed before the card is posted; returns it as stored."""
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
        self,
        card_id: int,
        message_id: str,
        rendered_hash: str | None,
        now: datetime | None = None,
        *,
        channel_id: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": "live",
            "message_id": message_id,
            "rendered_hash": rendered_hash,
            "updated_at": now or utcnow(),
        }
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

    def card_retire(self, card_id: int, old_message_id: str | None, now: datetime | None = None) -> Card | None:
        """The card's message can no longer be edited: back to "creating" (committed before the
        new post, so a crash in between is reconciled), its message id remembered so the reconciliation
        never mistakes the old message for the new one."""
        with self.session() as s, s.begin():
            row = s.get(CardRow, card_id)
            if row is None:
                return None
            retired = (row.retired_message_ids or "").split()
            if old_message_id and old_message_id not in retired:
                retired = (retired + [old_message_id])[-20:]
            row.status = "creating"
            row.message_id = None
            row.rendered_hash = None
            row.retired_message_ids = " ".join(retired) or None
            row.replaced = (row.replaced or 0) + 1
            row.updates = 0
            row.updated_at = now or utcnow()
            s.flush()
            return _card(row)

    def card_frozen(self, card_id: int, message_id: str | None) -> None:
        """Stop editing (and re-posting) this card; ``message_id`` is kept only if the message still exists."""
        with self.session() as s, s.begin():
            s.execute(update(CardRow).where(CardRow.id == card_id).values(status="frozen", message_id=message_id))
