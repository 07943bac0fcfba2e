"""A channel's message budget: at most N messages per minute of the night; the surplus rolls up.

Why a budget on top of Slack's pacing (one post a second): a channel that gets sixty messages a
minute is muted by the desk, and a muted channel misses the call that matters. When a channel
has had its N messages within the last minute and more than one alert is waiting, the next
message is a *rollup*: every alert waiting (up to ``ROLLUP_MAX``), one line each, in order,
saying what it holds. Nothing is dropped and nothing is held back: each alert it holds is marked
sent by that one post, and the post carries their keys (``alert_keys``) so the crash check finds
them, as for the catch-up summary. A lone alert goes out on its own even over the budget: over
budget a channel gets at most one message per poll (plus that poll's digest), never a wait.

"A minute" is a minute of the feed's own clock (the snapshot time each alert carries), not of the
wall clock. Live, the two are the same; in a replay at 4× or 100× they are not, and a one-race
night replayed fast must sound exactly as it did live (the Alabama demo and tests). It also
makes the rollups of a night the same whatever the delivery timing.

A channel may have its own budget (``[alerts.channel_messages_per_minute]``, by the channel as the
outbox names it: the configured name or id, or a subscribed channel's id): a desk channel that
wants every call can have 60, a state channel 3, a channel 0 for none; the others have the default.

Decided at send time, because only the sender knows what went out; it never reopens a digest
(digests are built at queue time, see ``bot.core.digest``): a rollup stops at one, and the digest goes
out as itself. Kept in memory: after a restart the window starts empty, which can only let a few
more messages through, never lose one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime

#: the default budget per channel (``[alerts] messages_per_minute``; 0: none).
MESSAGES_PER_MINUTE = 10
#: a rollup holds at most this many alerts: one line each keeps it within Block Kit's 50 blocks,
#: and their keys within the message metadata the crash check reads.
ROLLUP_MAX = 40
WINDOW = 60.0

#: (platform, channel): a budget is kept per channel of each platform
Key = tuple[str, str]


def feed_seconds(at: str | None) -> float | None:
    """An alert's ``at`` (ISO) as seconds, or None when it cannot be read."""
    try:
        return datetime.fromisoformat(at).timestamp() if at else None
    except (TypeError, ValueError):
        return None


class Budget:
    """Messages per minute per (platform, channel): ``per_minute`` for every channel, unless
    ``per_channel`` names the channel (0: no budget for it)."""

    def __init__(self, per_minute: int, per_channel: Mapping[str, int] | None = None):
        self.per_minute = per_minute
        self.per_channel = dict(per_channel or {})
        for channel, n in [("(default)", per_minute), *self.per_channel.items()]:
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ValueError(f"messages per minute for {channel} must be a whole number, 0 or more (got {n!r})")
        self._sent: dict[Key, deque[float]] = {}

    @property
    def enabled(self) -> bool:
        """Whether any channel has a budget (the worker then checks each channel's)."""
        return self.per_minute > 0 or any(n > 0 for n in self.per_channel.values())

    def limit(self, key: Key) -> int:
        """The channel's messages a minute (0: none)."""
        return self.per_channel.get(key[1], self.per_minute)

    def _window(self, key: Key, at: float) -> deque[float]:
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= at - WINDOW:
            sent.popleft()
        return sent

    def spent(self, key: Key, at: float | None) -> None:
        """A message about the moment ``at`` (feed time) went out under ``key``."""
        if self.limit(key) > 0 and at is not None:
            self._window(key, at).append(at)

    def left(self, key: Key, at: float | None) -> int:
        """Messages ``key`` may still send in the minute up to ``at`` (plenty without a budget)."""
        limit = self.limit(key)
        if limit <= 0 or at is None:
            return 1 << 30
        return max(0, limit - sum(1 for t in self._window(key, at) if t <= at))


__all__ = ["MESSAGES_PER_MINUTE", "ROLLUP_MAX", "Budget", "feed_seconds"]
