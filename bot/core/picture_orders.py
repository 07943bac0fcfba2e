"""A picture the outbox is to deliver: which picture of which race, after which alert.

Why an order and not the PNG: the outbox row is written in the poll's transaction, and drawing
takes a few hundred milliseconds a picture; the bytes are drawn when the row's turn comes (and
again, identically, if a crash made it go round twice: the figures are deterministic). The order
travels in the outbox where an alert does (duck-typed like ``Digest``: ``key``, ``feed``,
``race_key``, ``at``, ``test``, ``severity``, ``to_dict``), so it keeps the channel's order and
pacing and is sent exactly once like any post.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.events import Event, Severity

#: the pictures there are: the night's chart, the county map of the swing since the baseline
#: election, and the county map of the current margin.
PICTURE_KINDS = ("chart", "swing_map", "margin_map")


@dataclass(frozen=True, slots=True)
class PictureOrder:
    feed: str
    race_key: str
    #: one of ``PICTURE_KINDS``
    picture: str
    #: ISO UTC of the snapshot of the alert it goes with: the picture shows the night up to then
    at: str
    test: bool
    #: the key of the alert it goes with (a call): its own key derives from it, so a poll found
    #: again after a restart queues the same order, which the outbox's unique key keeps single.
    after: str
    facts: None = None
    events: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        if self.picture not in PICTURE_KINDS:
            raise ValueError(f"unknown picture {self.picture!r} (known: {', '.join(PICTURE_KINDS)})")

    @property
    def key(self) -> str:
        return f"{self.after}/{self.picture}"

    @property
    def severity(self) -> Severity:
        """As the call it goes with: a "quiet" channel, which keeps calls, keeps its pictures."""
        return Severity.CALL

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "picture",
            "feed": self.feed,
            "race_key": self.race_key,
            "picture": self.picture,
            "at": self.at,
            "test": self.test,
            "after": self.after,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PictureOrder:
        return cls(
            str(data["feed"]),
            str(data["race_key"]),
            str(data["picture"]),
            str(data["at"]),
            bool(data.get("test")),
            str(data["after"]),
        )


def is_picture_order(payload: Mapping[str, Any]) -> bool:
    return payload.get("kind") == "picture"
