"""The poller's side of the digest: per channel, one poll's alerts → individual alerts and digest
parts, queued in the poll's transaction (why there: ``bot.core.digest``).

Also the one place that answers "does this channel follow this race" for both sides: the poller
(individual or digest) and the worker (a live card or not), so the two never disagree. A
channel's ``/results subscribe`` states count as followed. How many races a feed has (the
default follow list depends on it) is remembered from its last poll; after a restart, before
the first poll, it is read once from the stored snapshot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.core.digest import DIGEST_AFTER_RACES, plan
from bot.core.events import Alert
from bot.core.follow import FollowBook
from bot.render.digest_words import DIGEST_WORDS

log = logging.getLogger("electionbot.poller")


@dataclass
class Grouping:
    book: FollowBook = field(default_factory=FollowBook)
    threshold: int = DIGEST_AFTER_RACES
    #: a feed's race count when no poll has told it yet (the worker after a restart)
    stored_races: Callable[[str], int] | None = None
    #: a channel's subscribed states (``/results subscribe``) on a platform (channel, platform),
    #: for the worker's card decision: a Slack and a Discord channel id never share subscriptions
    subscribed: Callable[[str, str], Iterable[str]] | None = None

    def __post_init__(self) -> None:
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()

    def arrange(
        self, channel: str, states: Iterable[str], alerts: Sequence[Alert], *, feed: str, version: str, feed_races: int
    ) -> list[Alert]:
        """What ``channel`` is sent for this poll, in order: its individual alerts, then the
        digest parts (``bot.core.digest.Digest``, queued like alerts)."""
        with self._lock:
            self._sizes[feed] = feed_races
        subscribed = tuple(states)
        try:
            result = plan(
                alerts,
                lambda a: self.book.follows(channel, a.facts, feed_races=feed_races, subscribed=subscribed),
                threshold=self.threshold,
                channel=channel,
                version=version,
                words=DIGEST_WORDS,
            )
        except Exception:  # a bug here must not stop the night: every alert on its own, as before digests
            log.exception("feed %r: grouping alerts for %s failed; sending them one by one", feed, channel)
            return list(alerts)
        return [*result.individual, *result.digests]  # type: ignore[list-item]  # a Digest goes where an Alert does: the worker and sinks tell them apart

    def feed_races(self, feed: str) -> int:
        with self._lock:
            known = self._sizes.get(feed)
        if known is None:
            known = self.stored_races(feed) if self.stored_races is not None else 0
            with self._lock:
                self._sizes.setdefault(feed, known)
        return known

    def card_for(self, platform: str, channel: str, alert: Alert) -> bool:
        """The worker's question: may this alert's race have a live card in ``channel``?"""
        subscribed = tuple(self.subscribed(channel, platform)) if self.subscribed is not None else ()
        return self.book.follows(channel, alert.facts, feed_races=self.feed_races(alert.feed), subscribed=subscribed)


__all__ = ["Grouping"]
