"""The outbox worker: sends queued alerts in order per channel, paced, retried, never twice.

Order is kept per channel (a channel whose oldest alert is waiting for a retry sends nothing
newer), while one channel's rate limit or outage never holds up another. Pacing is about one
message per second per channel, which is what Slack allows for ``chat.postMessage``.

Never twice: before a post the row is marked "sending" (committed). A row found in that state
(the process died between the post and the "sent" mark, or the answer was lost) is looked up in
the channel (message metadata ``alert_key``) before anything is posted again.

Styles per channel: "cards" (one live card per race, edited in place, alerts as replies in its
thread, calls and lead changes also broadcast), "messages" (one message per alert) and "quiet"
(the card, plus only calls and lead changes in its thread). Alerts that waited longer than
``summarize_after`` (a long outage) go out as one catch-up message per channel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from bot.delivery.cards import CardRefresher
from bot.delivery.sink import DeliveryError, Sink
from bot.events import Severity
from bot.store import Card, Delivery, Store, utcnow

log = logging.getLogger("electionbot.delivery")

STYLES = ("cards", "messages", "quiet")
#: a catch-up summary holds at most this many alerts (Slack metadata and block limits).
SUMMARY_MAX = 50


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
        backoff_base: float = 1.0,
        styles: Mapping[str, str] | None = None,
        default_style: str = "cards",
        cards: CardRefresher | None = None,
        summarize_after: timedelta | None = timedelta(minutes=15),
    ):
        self.store = store
        self.sinks = dict(sinks)
        self.clock = clock
        self.min_interval = min_interval
        self.max_backoff = max_backoff
        self.budget_seconds = budget_seconds
        self.backoff_base = backoff_base
        self.styles = dict(styles or {})
        for channel, style in [("(default)", default_style), *self.styles.items()]:
            if style not in STYLES:
                raise ValueError(f"unknown style {style!r} for {channel} (known: {', '.join(STYLES)})")
        self.default_style = default_style
        self.cards = cards
        self.summarize_after = summarize_after
        #: test hook: called after a successful post, before it is marked sent (crash tests).
        self.on_posted: Callable[[Delivery], None] | None = None
        self.stats: Counter[str] = Counter()
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_post: dict[tuple[str, str], float] = {}
        self._hold: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._reported: set[tuple[str, str, str]] = set()

    # --- entry point -----------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Send what is due within the time budget, then refresh live cards; returns alerts sent."""
        if not self._lock.acquire(blocking=False):
            return 0  # another thread is delivering; it will pick these rows up
        try:
            sent = 0
            deadline = self._monotonic() + self.budget_seconds
            for platform, sink in self.sinks.items():
                sent += self._deliver_platform(platform, sink, deadline)
                if self.cards is not None and _supports_cards(sink):
                    self._refresh_cards(platform, sink)
            return sent
        finally:
            self._lock.release()

    def style(self, platform: str, channel: str) -> str:
        sink = self.sinks.get(platform)
        if sink is None or not _supports_cards(sink):
            return "messages"
        return self.styles.get(channel, self.default_style)

    # --- the outbox ------------------------------------------------------------------------

    def _deliver_platform(self, platform: str, sink: Sink, deadline: float) -> int:
        sent = 0
        while self._monotonic() < deadline:
            now = self.clock()
            first_due = self.store.pending_channels_blocked(platform)
            rows = [d for d in self.store.due(platform, now) if first_due.get(d.channel, now) <= now]
            if not rows:
                return sent
            by_channel: dict[str, list[Delivery]] = {}
            for row in rows:
                by_channel.setdefault(row.channel, []).append(row)  # oldest first: the order per channel
            waits = []
            progressed = False
            for channel, queue in by_channel.items():
                wait = self._pacing_wait(platform, channel, getattr(sink, "min_interval", self.min_interval))
                if wait > 0:
                    waits.append(wait)
                    continue
                progressed = True
                sent += self._step(platform, sink, queue, now)
            if not progressed:
                pause = min(waits)
                if self._monotonic() + pause >= deadline:
                    return sent
                self._sleep(pause)
        return sent

    def _pacing_wait(self, platform: str, channel: str, interval: float) -> float:
        now = self._monotonic()
        hold = max(0.0, self._hold.get((platform, channel), 0.0) - now)
        last = self._last_post.get((platform, channel))
        pace = 0.0 if last is None else max(0.0, interval - (now - last))
        return max(hold, pace)

    def _step(self, platform: str, sink: Sink, queue: list[Delivery], now: datetime) -> int:
        """One action for one channel: reconcile, summarize, create the card, or post the head row."""
        row = queue[0]
        style = self.style(platform, row.channel)
        card = self.store.card(row.alert.race_key, row.channel, platform) if row.alert.race_key and style != "messages" else None

        uncertain = [r for r in queue if r.status == "sending"]
        if uncertain and hasattr(sink, "find_posted"):
            try:
                found = self._find_posted(sink, row.channel, [r.alert.key for r in uncertain], card)
            except DeliveryError as exc:
                return self._retry(row, exc, uncertain=True)
            for r in uncertain:
                if r.alert.key in found:
                    self.store.mark_sent(r.id, found[r.alert.key], self.clock())
                    self.stats["reconciled"] += 1
                    log.info("%s %s: %s was already posted (found in the channel); not posting it again", platform, row.channel, r.alert.key)
            if row.alert.key in found:
                return 1

        if self.summarize_after is not None and hasattr(sink, "send_summary"):
            cutoff = now - self.summarize_after
            old: list[Delivery] = []
            for r in queue:
                if r.created_at >= cutoff or len(old) >= SUMMARY_MAX:
                    break
                old.append(r)
            if len(old) >= 2:
                return self._summarize(platform, sink, old, now)

        thread_ts = None
        broadcast = False
        if row.alert.race_key and style != "messages":
            if style == "quiet" and row.alert.severity < Severity.LEAD:
                self.store.mark_skipped(row.id, "quiet channel: the live card shows it")
                self.stats["skipped"] += 1
                return 0
            if card is None or card.status != "live" or not card.ts:
                return self._create_card(platform, sink, row, card)
            thread_ts = card.ts
            broadcast = row.alert.severity >= Severity.LEAD

        self.store.begin_attempt([row.id], self.clock())
        self._last_post[(platform, row.channel)] = self._monotonic()
        try:
            if thread_ts:
                ts = sink.send(row.alert, row.channel, thread_ts=thread_ts, broadcast=broadcast)  # type: ignore[call-arg]
            else:
                ts = sink.send(row.alert, row.channel)
        except DeliveryError as exc:
            self._last_post[(platform, row.channel)] = self._monotonic()  # pace from the answer, not the request
            return self._retry(row, exc, uncertain=exc.uncertain)
        except Exception as exc:  # a renderer or client bug: keep the alert, back off, say so
            log.exception("%s %s: unexpected error delivering %s", row.platform, row.channel, row.alert.key)
            wait = min(self.max_backoff, 5.0 * (row.attempts + 1))
            self.store.mark_retry(row.id, f"{type(exc).__name__}: {exc}", timedelta(seconds=wait), self.clock(), uncertain=True)
            return 0
        self._last_post[(platform, row.channel)] = self._monotonic()  # latency jitter must not squeeze the gap
        self.stats["posts"] += 1
        if self.on_posted is not None:
            self.on_posted(row)
        self.store.mark_sent(row.id, ts, self.clock())
        return 1

    def _find_posted(self, sink: Any, channel: str, keys: list[str], card: Card | None) -> dict[str, str]:
        self.stats["history_checks"] += 1
        found: dict[str, str] = {}
        if card is not None and card.ts:
            found.update(sink.find_posted(channel, keys, thread_ts=card.ts))
        missing = [k for k in keys if k not in found]
        if missing:
            found.update(sink.find_posted(channel, missing))
        return found

    def _retry(self, row: Delivery, exc: DeliveryError, *, uncertain: bool = False) -> int:
        if exc.permanent:
            self._report_permanent(row.platform, row.channel, exc)
            self.store.mark_failed(row.id, str(exc))
            self.stats["failed"] += 1
            return 0
        if exc.retry_after is not None:
            wait = exc.retry_after
            self._hold[(row.platform, row.channel)] = self._monotonic() + wait
            self.stats["rate_limited"] += 1
        else:
            wait = min(self.max_backoff, self.backoff_base * 2.0 ** min(row.attempts, 7))
            self.stats["backoffs"] += 1
        log.warning("%s %s: %s; retrying in %.2f s (attempt %d)", row.platform, row.channel, exc, wait, row.attempts + 1)
        self.store.mark_retry(row.id, str(exc), timedelta(seconds=wait), self.clock(), uncertain=uncertain)
        return 0

    def _summarize(self, platform: str, sink: Any, rows: list[Delivery], now: datetime) -> int:
        ids = [r.id for r in rows]
        held = int((now - rows[0].created_at).total_seconds() // 60)
        self.store.begin_attempt(ids, self.clock())
        self._last_post[(platform, rows[0].channel)] = self._monotonic()
        try:
            ts = sink.send_summary([r.alert for r in rows], rows[0].channel, held)
        except DeliveryError as exc:
            if exc.permanent:
                for r in rows:
                    self._retry(r, exc)
                return 0
            # all stay "sending" when uncertain (each is reconciled against the summary's alert_keys)
            for r in rows:
                self.store.mark_retry(r.id, str(exc), timedelta(seconds=exc.retry_after or self.backoff_base), self.clock(), uncertain=exc.uncertain)
            if exc.retry_after is not None:
                self._hold[(platform, rows[0].channel)] = self._monotonic() + exc.retry_after
            self.stats["backoffs"] += 1
            return 0
        self.stats["posts"] += 1
        self.stats["summaries"] += 1
        log.info("%s %s: %d alerts older than %s sent as one catch-up message", platform, rows[0].channel, len(rows), self.summarize_after)
        if self.on_posted is not None:
            self.on_posted(rows[0])
        self.store.mark_many_sent(ids, ts, self.clock())
        return len(rows)

    # --- live cards ------------------------------------------------------------------------

    def _create_card(self, platform: str, sink: Any, row: Delivery, card: Card | None) -> int:
        race_key = row.alert.race_key
        assert race_key is not None
        if card is not None and card.status == "creating":
            # A post may have landed before a crash: look for it first.
            try:
                self.stats["history_checks"] += 1
                ts = sink.find_card(row.channel, race_key)
            except DeliveryError as exc:
                return self._retry(row, exc)
            if ts:
                self.store.card_live(card.id, ts, None, self.clock())
                self.stats["cards_reconciled"] += 1
                return 0
        facts = (self.cards.facts_for(row.alert.feed, race_key) if self.cards else None) or row.alert.facts
        if facts is None:
            return 0
        card = self.store.begin_card(row.alert.feed, race_key, row.channel, platform, self.clock())
        self._last_post[(platform, row.channel)] = self._monotonic()
        try:
            ts = sink.post_card(facts, row.alert.feed, row.channel)
            self._last_post[(platform, row.channel)] = self._monotonic()
        except DeliveryError as exc:
            return self._retry(row, exc)  # the card stays "creating": checked for before the next try
        from bot.delivery.slack import message_hash

        self.store.card_live(card.id, ts or "", message_hash(sink.card_message(facts)), self.clock())
        self.stats["cards_created"] += 1
        return 0

    def _refresh_cards(self, platform: str, sink: Any) -> None:
        """Edit live cards whose numbers changed, at most every ``throttle`` seconds per card."""
        from bot.delivery.slack import message_hash

        assert self.cards is not None
        interval = getattr(sink, "min_interval", self.min_interval)
        for card in self.store.cards(platform, "live"):
            if not card.ts or self.style(platform, card.channel) == "messages":
                continue
            if card.updated_at is not None and (self.clock() - card.updated_at).total_seconds() < self.cards.throttle:
                continue
            if self._pacing_wait(platform, card.channel, interval) > 0:
                continue
            facts = self.cards.facts_for(card.feed, card.race_key)
            if facts is None:
                continue
            digest = message_hash(sink.card_message(facts))
            if digest == card.rendered_hash:
                continue
            self._last_post[(platform, card.channel)] = self._monotonic()
            try:
                sink.update_card(facts, card.channel, card.ts)
            except DeliveryError as exc:
                if exc.permanent:
                    self._report_permanent(platform, card.channel, exc)
                else:
                    wait = exc.retry_after if exc.retry_after is not None else self.backoff_base
                    self._hold[(platform, card.channel)] = self._monotonic() + wait
                    log.warning("%s %s: card update failed (%s); retrying in %.2f s", platform, card.channel, exc, wait)
                continue
            self.stats["card_updates"] += 1
            self.store.card_updated(card.id, digest, self.clock())

    def _report_permanent(self, platform: str, channel: str, exc: DeliveryError) -> None:
        """Logged once per channel and reason: the operator needs one clear line, not a flood."""
        marker = (platform, channel, str(exc))
        if marker in self._reported:
            return
        self._reported.add(marker)
        action = f" — {exc.action}" if exc.action else ""
        log.error("%s %s: cannot deliver (%s)%s; alerts for this channel are set aside", platform, channel, exc, action)


def _supports_cards(sink: Any) -> bool:
    return bool(getattr(sink, "supports_cards", False))
