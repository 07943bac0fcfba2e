"""The store (SQLAlchemy): last snapshot per feed, rule memory, the alert outbox, live cards, feed
health; one ``Store`` made of one part per job, each in its own module:

- ``bot.store.sessions``: the engine and its sessions (SQLite pragmas, the schema at start);
- ``bot.store.checkpoints``: SQLite's WAL copied into the file by a thread, never in a commit;
- ``bot.store.tables``: the rows; ``bot.store.moments``: the store's clock;
- ``bot.store.snapshots``: snapshots and the rules' memory, one transaction per poll;
- ``bot.store.outbox`` and ``bot.store.claims``: the deliveries, and many workers sharing them;
- ``bot.store.cards``: live race cards; ``bot.store.health``: feed health.

The names below stay importable from here, where the rest of the bot has always found them.
"""

from __future__ import annotations

from bot.store.cards import Card, CardStore
from bot.store.claims import ClaimStore
from bot.store.health import FeedHealth, FeedHealthStore
from bot.store.moments import utcnow
from bot.store.outbox import UNSENT, Delivery, outbox_item
from bot.store.snapshots import SnapshotStore, StoredSnapshot
from bot.store.tables import (
    ALERT_KEY_CHARS,
    RACE_KEY_CHARS,
    CardRow,
    FeedHealthRow,
    OutboxRow,
    PollerLeaseRow,
    SnapshotRaceRow,
    SnapshotRow,
    SubscriptionRow,
)

__all__ = [
    "ALERT_KEY_CHARS",
    "RACE_KEY_CHARS",
    "UNSENT",
    "Card",
    "CardRow",
    "Delivery",
    "FeedHealth",
    "FeedHealthRow",
    "OutboxRow",
    "PollerLeaseRow",
    "SnapshotRaceRow",
    "SnapshotRow",
    "Store",
    "StoredSnapshot",
    "SubscriptionRow",
    "outbox_item",
    "utcnow",
]


class Store(SnapshotStore, ClaimStore, CardStore, FeedHealthStore):
    """The one store a process opens (``Store(url)``): every part shares its engine and sessions."""
