"""When the next call of one kind may go, per key, on an injectable monotonic clock.

The worker keeps two of these, because Slack counts them apart: posts (``chat.postMessage``,
about one per second per channel) and card edits (``chat.update``, Tier 3: about 50 a minute
per workspace). Kept apart, an edit never spends a channel's post budget and a 429 on one kind
of call never holds the other. Gaps are measured from the platform's answer, not the request,
so a slow answer cannot squeeze two calls closer together than the interval.

How long to wait after a failure is ``Backoff``'s: server errors back off (jittered, capped at
``MAX_BACKOFF``), a 429 waits exactly what Slack said and nothing more.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Hashable

#: the longest wait after a server error (5xx, a dropped connection), jitter included: during an
#: outage the worker probes at least this often, so the first post after Slack recovers goes out
#: within this many seconds (plus one delivery round). A minute of silence is a missed call.
MAX_BACKOFF = 15.0


def backoff(failures: int, base: float, cap: float, spread: float = 1.0) -> float:
    """Seconds to wait when ``failures`` earlier attempts failed in a row: ``base`` the first time,
    doubling each time after (the exponent stops at 7, so it never runs away), never above ``cap``.
    ``spread`` in [0, 1] is the jitter: the wait is that much of the way from half the step to the
    whole step ("equal jitter"), so channels that failed together do not all come back together,
    and the cap stays a cap (1.0, the default, is the step itself)."""
    step = min(cap, base * 2.0 ** min(failures, 7))
    return step * (0.5 + 0.5 * min(1.0, max(0.0, spread)))


class Backoff:
    """Server errors in a row per key, and the jittered wait each one earns.

    Only server errors count: a 429 is Slack answering "not so fast", not Slack failing. It is
    waited out exactly (its Retry-After, held in the Pacer) and leaves the streak as it was, so
    six 429s and then a 500 wait a first server-error backoff, not a seventh. Kept in memory: a
    restarted process probes soon, which is what it should do anyway.
    """

    def __init__(self, base: float, cap: float = MAX_BACKOFF, random: Callable[[], float] = _random.random):
        self.base = base
        self.cap = cap
        self._random = random
        self._streak: dict[Hashable, int] = {}

    def failed(self, key: Hashable) -> float:
        """A server error under ``key``: the seconds to wait before the next try."""
        streak = self._streak.get(key, 0)
        self._streak[key] = streak + 1
        return backoff(streak, self.base, self.cap, self._random())

    def succeeded(self, key: Hashable) -> None:
        """An answer that worked: the next server error starts from ``base`` again."""
        self._streak.pop(key, None)

    def streak(self, key: Hashable) -> int:
        return self._streak.get(key, 0)


class Pacer:
    def __init__(self, monotonic: Callable[[], float]):
        self._now = monotonic
        self._last: dict[Hashable, float] = {}
        self._until: dict[Hashable, float] = {}

    def mark(self, key: Hashable) -> None:
        """A call under ``key`` is being made (or was just answered): the interval restarts."""
        self._last[key] = self._now()

    def hold(self, key: Hashable, seconds: float) -> None:
        """Nothing under ``key`` for ``seconds`` (a 429's Retry-After, a backoff); never shortens a hold."""
        self._until[key] = max(self._until.get(key, 0.0), self._now() + seconds)

    def held(self, key: Hashable) -> float:
        """Seconds left of a hold on ``key`` (0 when free)."""
        return max(0.0, self._until.get(key, 0.0) - self._now())

    def wait(self, key: Hashable, interval: float) -> float:
        """Seconds until the next call under ``key`` may go: the hold, or what is left of the interval."""
        last = self._last.get(key)
        pace = 0.0 if last is None else max(0.0, interval - (self._now() - last))
        return max(self.held(key), pace)
