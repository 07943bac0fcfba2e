"""When the next call of one kind may go, per key, on an injectable monotonic clock.

The worker keeps two of these, because Slack counts them apart: posts (``chat.postMessage``,
about one per second per channel) and card edits (``chat.update``, Tier 3: about 50 a minute
per workspace). Kept apart, an edit never spends a channel's post budget and a 429 on one kind
of call never holds the other. Gaps are measured from the platform's answer, not the request,
so a slow answer cannot squeeze two calls closer together than the interval.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable


def backoff(failures: int, base: float, cap: float) -> float:
    """Seconds to wait when ``failures`` earlier attempts failed in a row: ``base`` the first time,
    doubling each time after, capped at ``cap`` (and at 2**7 × base, so the exponent never runs away)."""
    return min(cap, base * 2.0 ** min(failures, 7))


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
