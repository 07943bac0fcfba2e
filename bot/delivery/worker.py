"""The outbox worker: sends queued alerts in order per channel, paced, retried, never twice.

Order is kept per channel (a channel whose oldest alert is waiting for a retry sends nothing
newer), while one channel's rate limit or outage never holds up another. Pacing is about one
message per second per channel, which is what Slack allows for ``chat.postMessage``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Callable, Mapping

from bot.delivery.sink import DeliveryError, Sink
from bot.store import Delivery, Store, utcnow

log = logging.getLogger("electionbot.delivery")


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        sinks: Mapping[str, Sink],
        *,
        clock: Callable[[], datetime] = utcnow,
        min_interval: float = 1.0,
        max_backoff: float = 120.0,
        budget_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.sinks = dict(sinks)
        self.clock = clock
        self.min_interval = min_interval
        self.max_backoff = max_backoff
        self.budget_seconds = budget_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_post: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._reported: set[tuple[str, str, str]] = set()

    def deliver_due(self) -> int:
        """Send what is due within the time budget; returns the number sent. Safe to call often."""
        if not self._lock.acquire(blocking=False):
            return 0  # another thread is delivering; it will pick these rows up
        try:
            sent = 0
            deadline = self._monotonic() + self.budget_seconds
            for platform, sink in self.sinks.items():
                sent += self._deliver_platform(platform, sink, deadline)
            return sent
        finally:
            self._lock.release()

    def _deliver_platform(self, platform: str, sink: Sink, deadline: float) -> int:
        sent = 0
        while self._monotonic() < deadline:
            now = self.clock()
            first_due = self.store.pending_channels_blocked(platform)
            rows = [d for d in self.store.due(platform, now) if first_due.get(d.channel, now) <= now]
            if not rows:
                return sent
            heads: dict[str, Delivery] = {}
            for row in rows:
                heads.setdefault(row.channel, row)  # the oldest pending row of each channel
            waits = []
            progressed = False
            for channel, row in heads.items():
                wait = self._pacing_wait(platform, channel, getattr(sink, "min_interval", self.min_interval))
                if wait > 0:
                    waits.append(wait)
                    continue
                progressed = True
                sent += self._send(sink, row)
            if not progressed:
                pause = min(waits)
                if self._monotonic() + pause >= deadline:
                    return sent
                self._sleep(pause)
        return sent

    def _pacing_wait(self, platform: str, channel: str, interval: float) -> float:
        last = self._last_post.get((platform, channel))
        if last is None:
            return 0.0
        return max(0.0, interval - (self._monotonic() - last))

    def _send(self, sink: Sink, row: Delivery) -> int:
        key = (row.platform, row.channel)
        try:
            ts = sink.send(row.alert, row.channel)
        except DeliveryError as exc:
            self._last_post[key] = self._monotonic()
            if exc.permanent:
                self._report_permanent(row, exc)
                self.store.mark_failed(row.id, str(exc))
                return 0
            wait = exc.retry_after if exc.retry_after is not None else min(self.max_backoff, 2.0 ** min(row.attempts, 7))
            log.warning("%s %s: %s; retrying in %.1f s (attempt %d)", row.platform, row.channel, exc, wait, row.attempts + 1)
            self.store.mark_retry(row.id, str(exc), timedelta(seconds=wait), self.clock())
            return 0
        except Exception as exc:  # a renderer or client bug: keep the alert, back off, say so
            log.exception("%s %s: unexpected error delivering %s", row.platform, row.channel, row.alert.key)
            self.store.mark_retry(row.id, f"{type(exc).__name__}: {exc}", timedelta(seconds=min(self.max_backoff, 5.0 * (row.attempts + 1))), self.clock())
            return 0
        self._last_post[key] = self._monotonic()
        self.store.mark_sent(row.id, ts, self.clock())
        return 1

    def _report_permanent(self, row: Delivery, exc: DeliveryError) -> None:
        """Logged once per channel and reason: the operator needs one clear line, not a flood."""
        marker = (row.platform, row.channel, str(exc))
        if marker in self._reported:
            return
        self._reported.add(marker)
        action = f" — {exc.action}" if exc.action else ""
        log.error("%s %s: cannot deliver (%s)%s; alerts for this channel are set aside", row.platform, row.channel, exc, action)
