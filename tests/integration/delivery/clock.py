"""One controlled clock for the worker, the poller and FakeSlack: sleeping moves it forward.

Delivery is all about time (pacing, Retry-After, backoff, outages), and wall-clock tests of it
are slow and flaky on a loaded machine. With this clock a 10 s outage and real Slack pacing (one
post a second) cost no waiting, and every recorded call time is exact. Only the clock is
controlled: the worker, the sink, slack_sdk and the HTTP server are the real ones.

Time is kept in whole microseconds so gaps compare exactly (no float drift at the 1 s limit).
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

START = datetime(2017, 12, 13, 1, 0, tzinfo=UTC)


class VirtualClock:
    def __init__(self, start: datetime = START, monotonic_start: float = 1000.0):
        self.start = start
        self.monotonic_start = monotonic_start
        self._micros = 0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.monotonic_start + self._micros / 1_000_000

    def now(self) -> datetime:
        with self._lock:
            return self.start + timedelta(microseconds=self._micros)

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` (rounded up to the microsecond, so a wait is never cut short)."""
        if seconds > 0:
            with self._lock:
                self._micros += math.ceil(seconds * 1_000_000)

    advance = sleep

    @property
    def elapsed(self) -> float:
        with self._lock:
            return self._micros / 1_000_000
