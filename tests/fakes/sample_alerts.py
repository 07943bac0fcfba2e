"""Hand-made alerts, digests and pictures for the sink tests: real core objects every renderer
draws (the Alabama 2017 numbers), told apart by race and by a serial number."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from datetime import UTC, datetime

from bot.core.events import Alert, Event, EventKind, RaceFacts, Severity
from bot.core.model import Candidate
from bot.core.picture_orders import PictureOrder
from bot.core.rules import race_facts
from bot.render.picture import Picture
from tests.unit.core.helpers import SETTINGS, race

FEED = "al"
AT = datetime(2017, 12, 13, 4, 0, tzinfo=UTC)
_DETAILS = {
    EventKind.LEAD_CHANGE: {"leader": "a", "previous_leader": "b"},
    EventKind.RACE_CALLED: {"winners": ["a"]},
    EventKind.MILESTONE: {"percent": 50},
}


def facts(race_key: str = "AL-1", votes: tuple[int, int] = (671_151, 650_436)) -> RaceFacts:
    candidates = (Candidate("a", "Doug Jones", "Dem"), Candidate("b", "Roy Moore", "GOP"))
    made = race_facts(race({"a": votes[0], "b": votes[1]}, candidates=candidates), SETTINGS, AT)
    return dataclasses.replace(made, race_key=race_key)


def alert(n: int, race_key: str | None = "AL-1", kind: EventKind = EventKind.MILESTONE) -> Alert:
    """The ``n``-th alert of a race (its own key); ``race_key=None``: a feed notice, no card."""
    details = {"minutes": 20} if race_key is None else _DETAILS.get(kind, {})
    event_kind = EventKind.FEED_STALE if race_key is None else kind
    event = Event(event_kind, f"{race_key}/{event_kind.value}/{n}", FEED, race_key, details)
    return Alert(FEED, race_key, AT.isoformat(), False, (event,), facts(race_key) if race_key else None)


def is_lead(a: Alert) -> bool:
    return a.severity >= Severity.LEAD


def picture_order(after: Alert, kind: str = "chart") -> PictureOrder:
    assert after.race_key is not None
    return PictureOrder(FEED, after.race_key, kind, after.at, False, after.key)


def tiny_png(shade: int = 0) -> bytes:
    """A valid 1×1 grey PNG (no drawing library needed to move bytes around)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, shade])))
        + chunk(b"IEND", b"")
    )


def picture(shade: int = 0) -> Picture:
    return Picture(
        tiny_png(shade), f"al-senate-chart-{shade}.png", "Alabama Senate: the night", "Jones leads Moore by 1.5 points."
    )
