"""The outbox worker: sends queued alerts in order per channel, paced, retried, never twice.

Order is kept per channel (a channel whose oldest alert is waiting for a retry sends nothing
newer), while one channel's rate limit or outage never holds up another. Pacing is about one
message per second per channel, which is what Slack allows for ``chat.postMessage``. A 429
waits exactly its Retry-After; server errors back off with jitter, never above 15 s, so during an
outage Slack is probed at least every 15 s and the first answer that works is used at once.

Never twice: before a post the row is marked "sending" (committed). A row found in that state
(the process died between the post and the "sent" mark, or the answer was lost) is looked up in
the channel (message metadata ``alert_key``) before anything is posted again.

Styles per channel: "cards" (one live card per race, edited in place, alerts as replies in its
thread, calls and lead changes also broadcast), "messages" (one message per alert) and "quiet"
(the card, plus only calls and lead changes in its thread). Alerts that waited longer than
``summarize_after`` (a long outage) go out as one catch-up message per channel.

Live cards (creation, edits, a lost card posted anew) are the CardKeeper's (live_cards.py);
the worker hands it each round's leftovers: edits come after alerts and never hold them up.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.digest import Digest
from bot.core.events import Severity
from bot.core.picture_orders import PictureOrder
from bot.delivery.budget import ROLLUP_MAX, Budget, feed_seconds
from bot.delivery.cards import CardRefresher
from bot.delivery.live_cards import CardKeeper
from bot.delivery.pacing import MAX_BACKOFF, Backoff, Pacer
from bot.delivery.report import HISTORY_ACTION, HISTORY_CHECK, OperatorLog
from bot.delivery.sink import (
    CardSink,
    DeliveryError,
    HistorySink,
    MessageGone,
    RollupSink,
    Sink,
    SummarySink,
    UploadSink,
)
from bot.render.picture import Picture
from bot.store.database import Card, Delivery, Store, utcnow

if TYPE_CHECKING:
    from bot.store.lease import Claims

log = logging.getLogger("electionbot.delivery")

STYLES = ("cards", "messages", "quiet")
#: a catch-up summary holds at most this many alerts (Slack metadata and block limits).
SUMMARY_MAX = 50
#: tries of one row that end in an unexpected error (a renderer or client bug, not a
#: ``DeliveryError``) before it is set aside as failed: a bug in one alert must not hold its
#: channel's later alerts all night. A platform's own errors (429, 5xx, an outage) never count.
UNEXPECTED_TRIES = 5


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        sinks: Mapping[str, Sink],
        *,
        clock: Callable[[], datetime] = utcnow,
        min_interval: float = 1.0,
        max_backoff: float = MAX_BACKOFF,
        budget_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        backoff_base: float = 1.0,
        styles: Mapping[str, str] | None = None,
        default_style: str = "cards",
        cards: CardRefresher | None = None,
        summarize_after: timedelta | None = timedelta(minutes=15),
        jitter: Callable[[], float] | None = None,
        messages_per_minute: int = 0,
        channel_messages_per_minute: Mapping[str, int] | None = None,
        claims: Claims | None = None,
        follows: Callable[[str, str, Any], bool] | None = None,
        draw: Callable[[PictureOrder], Picture | None] | None = None,
        unexpected_tries: int = UNEXPECTED_TRIES,
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
        #: called once per outbox row with (platform, outcome, seconds from queued to sent, or
        #: None when not sent): the runtime's metrics (bot/app/metrics.py).
        self.on_delivery: Callable[[str, str, float | None], None] | None = None
        self.stats: Counter[str] = Counter()
        self._sleep = sleep
        self._monotonic = monotonic
        #: posts per (platform, channel). Card edits have their own pacer (in the CardKeeper):
        #: neither kind of call spends the other's budget.
        self._posts = Pacer(monotonic)
        #: server errors in a row per (platform, channel); 429s are the Pacer's and leave it alone.
        self._failures = Backoff(backoff_base, max_backoff, jitter or random.random)
        self._operator = OperatorLog()
        self._cards = CardKeeper(
            store,
            cards,
            self._posts,
            Pacer(monotonic),
            self._operator,
            self.stats,
            clock=clock,
            min_interval=min_interval,
            backoff_base=backoff_base,
            max_backoff=max_backoff,
            jitter=jitter or random.random,
        )
        #: per (platform, channel), messages in the last minute: the surplus rolls up (budget.py)
        self._budget = Budget(messages_per_minute, channel_messages_per_minute)
        #: (platform, channel, alert) → whether the race may have a live card (followed races only)
        self.follows = follows
        #: draws an outbox picture row's picture when its turn comes (bot/app/pictures.py); None: no pictures
        self.draw = draw
        self._lock = threading.Lock()
        #: which channels this worker may post to now, when many workers share the outbox
        #: (bot/store/lease.py); None: every channel (one delivering process)
        self.claims = claims
        self._stopping = threading.Event()
        if unexpected_tries < 1:
            raise ValueError(f"unexpected_tries must be at least 1, not {unexpected_tries}")
        self.unexpected_tries = unexpected_tries
        #: per outbox row id: its unexpected errors so far and the last one's "Type: message".
        #: Counted in this process (a restart gives a row as many tries again: still bounded),
        #: so no column is needed; a platform's errors are not counted here.
        self._unexpected: dict[int, tuple[int, str]] = {}
        #: rows of a rollup or catch-up message that failed unexpectedly: each goes on its own,
        #: so a bad one is found and set aside without taking the others with it
        self._singly: set[int] = set()
        #: (platform, channel, race key) whose live card could not be made for an error no
        #: platform gives: its alerts go to the channel on their own (said once, tried once)
        self._cardless: set[tuple[str, str, str]] = set()

    # --- entry point -----------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Send what is due within the time budget, then refresh live cards; returns alerts sent."""
        if not self._lock.acquire(blocking=False):
            return 0  # another thread is delivering; it will pick these rows up
        try:
            sent = 0
            deadline = self._monotonic() + self.budget_seconds
            for platform, sink in self.sinks.items():
                if self._stopping.is_set():
                    break
                sent += self._deliver_platform(platform, sink, deadline)
                if self.cards is not None and isinstance(sink, CardSink) and not self._stopping.is_set():
                    self._refresh_cards(platform, sink)
                if self.claims is not None:
                    self.claims.release_idle(platform)
            return sent
        finally:
            self._lock.release()

    def stop(self, timeout: float) -> bool:
        """SIGTERM: start nothing new; the post under way finishes and is recorded. True when the
        round in flight ended within ``timeout`` seconds (what it left stays queued, and the next
        start sends it once: "sending" rows are looked up in the channel first)."""
        self._stopping.set()
        if not self._lock.acquire(timeout=max(0.0, timeout)):
            return False
        self._lock.release()
        return True

    def style(self, platform: str, channel: str) -> str:
        sink = self.sinks.get(platform)
        if not isinstance(sink, CardSink):
            return "messages"
        return self.styles.get(channel, self.default_style)

    # --- the outbox ------------------------------------------------------------------------

    def _deliver_platform(self, platform: str, sink: Sink, deadline: float) -> int:
        sent = 0
        interval = float(sink.min_interval)
        while self._monotonic() < deadline and not self._stopping.is_set():
            by_channel = self._ready(platform)
            if not by_channel:
                return sent
            waits = []
            progressed = False
            for channel, queue in by_channel.items():
                if self._stopping.is_set():
                    return sent
                wait = self._posts.wait((platform, channel), interval)
                if wait > 0:
                    waits.append(wait)
                    continue
                progressed = True
                sent += self._step(platform, sink, queue, self.clock())
            if not progressed:
                pause = min(waits)
                if self._monotonic() + pause >= deadline:
                    return sent
                if self._sleep is time.sleep:
                    self._stopping.wait(pause)  # a SIGTERM ends the wait
                else:
                    self._sleep(pause)
        return sent

    def _ready(self, platform: str) -> dict[str, list[Delivery]]:
        """Due rows per channel, oldest first (the order per channel), for channels whose oldest
        unsent row is due: a channel waiting to retry its head sends nothing newer."""
        now = self.clock()
        due = self.store.due(platform, now) if self.claims is None else self._claimed_due(platform, now)
        # only the channels about to send: one index seek each, never a read of the whole backlog
        first_due = self.store.pending_channels_blocked(platform, {row.channel for row in due})
        by_channel: dict[str, list[Delivery]] = {}
        for row in due:
            if first_due.get(row.channel, now) <= now:
                by_channel.setdefault(row.channel, []).append(row)
        return by_channel

    def _claimed_due(self, platform: str, now: datetime) -> list[Delivery]:
        """Due rows of the channels this worker holds (claiming the free ones first). A channel
        newly taken over is paced from its last post by whichever worker made it."""
        assert self.claims is not None
        held, fresh = self.claims.hold(platform, self.store.due_channels(platform, now))
        interval = float(self.sinks[platform].min_interval)
        for channel in fresh:
            last = self.store.last_post_at(platform, channel)
            if last is not None and (now - last).total_seconds() < interval:
                self._posts.mark((platform, channel))
        return self.store.due_in(platform, held, now)

    def _refresh_cards(self, platform: str, sink: Sink) -> None:
        """After the alerts: a channel with an alert ready to go (now or after the pacing gap)
        keeps its card as is for now. One whose posts are held by a 429 does not (edits have
        their own limit)."""
        busy = {channel for channel in self._ready(platform) if self._posts.held((platform, channel)) == 0}
        held: set[str] | None = None
        if self.claims is not None:
            # Many workers: cards are edited by the poller's holder only (one edit pace for the
            # workspace), and only in channels it holds (a card lost and posted anew is a post).
            if not self.claims.refreshes_cards():
                return
            held, _ = self.claims.hold(platform, {card.channel for card in self.store.cards(platform, status=None)})
        self._cards.refresh(
            platform,
            sink,
            busy,
            lambda channel: self.style(platform, channel) != "messages" and (held is None or channel in held),
        )

    def _step(self, platform: str, sink: Sink, queue: list[Delivery], now: datetime) -> int:
        """One action for one channel: reconcile, summarize, create the card, or post the head row."""
        row = queue[0]
        style = self.style(platform, row.channel)
        if style != "messages" and row.alert.race_key and not self._followed(platform, row):
            style = "messages"  # a race the channel does not follow gets no live card (bot.core.follow)
        card = (
            self.store.card(row.alert.race_key, row.channel, platform)
            if row.alert.race_key and style != "messages"
            else None
        )

        if isinstance(row.alert, PictureOrder):
            return self._send_picture(platform, sink, row, card)

        # a picture row is checked by its file (its own turn), never by a message's alert key
        uncertain = [r for r in queue if r.status == "sending" and not isinstance(r.alert, PictureOrder)]
        if uncertain and isinstance(sink, HistorySink):
            try:
                found = self._find_posted(sink, row.channel, [r.alert.key for r in uncertain], card)
            except DeliveryError as exc:
                if not exc.permanent:
                    return self._retry(row, exc, uncertain=True)
                # The history cannot be read (a missing scope, say). Posting risks a duplicate,
                # not posting loses the alert for good: post, and tell the operator once.
                self._operator.permanent(platform, row.channel, exc, HISTORY_CHECK, action=HISTORY_ACTION)
                found = {}
            for r in uncertain:
                if r.alert.key in found:
                    self.store.mark_sent(r.id, found[r.alert.key], self.clock())
                    self._forget(r)
                    self.stats["reconciled"] += 1
                    log.info(
                        "%s %s: %s was already posted (found in the channel); not posting it again",
                        platform,
                        row.channel,
                        r.alert.key,
                        extra=self._delivered([r], "reconciled"),
                    )
            if row.alert.key in found:
                return 1
        # only now, with the channel read: an unexpected error may have come after the post landed
        if self._tries(row) >= self.unexpected_tries:
            return self._give_up(row)

        if self.summarize_after is not None and isinstance(sink, SummarySink):
            cutoff = now - self.summarize_after
            old: list[Delivery] = []
            for r in queue:
                if (
                    r.created_at >= cutoff
                    or len(old) >= SUMMARY_MAX
                    or isinstance(r.alert, (Digest, PictureOrder))
                    or r.id in self._singly
                ):
                    break
                old.append(r)
            if len(old) >= 2:
                return self._summarize(platform, sink, old, now)

        if isinstance(row.alert, Digest):
            return self._send_digest(platform, sink, row)
        if self._budgeted(sink) and self._budget.left((platform, row.channel), feed_seconds(row.alert.at)) <= 1:
            run = self._rollup_run(queue, style)
            if len(run) >= 2:
                return self._rollup(platform, sink, run)

        thread_id = None
        broadcast = False
        if row.alert.race_key and style != "messages":
            if style == "quiet" and row.alert.severity < Severity.LEAD:
                self.store.mark_skipped(row.id, "quiet channel: the live card shows it")
                self.stats["skipped"] += 1
                self._log_delivery([row], "skipped", logging.DEBUG)
                return 0
            if card is not None and card.status == "frozen":
                thread_id = card.message_id  # None when the card is gone: the alert goes to the channel
            elif card is None or card.status != "live" or not card.message_id:
                if (platform, row.channel, row.alert.race_key) not in self._cardless:
                    try:
                        if self._cards.ensure(
                            platform, sink, row.alert.feed, row.alert.race_key, row.channel, card, row.alert.facts
                        ):
                            self._failures.succeeded((platform, row.channel))
                            self._spent(platform, sink, row.channel, row.alert.at)
                            return 0  # the card is up; the alert goes in its thread after the pacing gap
                    except DeliveryError as exc:
                        return self._retry(row, exc)  # the card stays "creating": looked for before the next try
                    except Exception as exc:  # a card renderer or client bug: this race goes without a card
                        self._posts.mark((platform, row.channel))
                        self._no_card(row, row.alert.race_key, exc)
                        return 0  # the alert goes on its own after the channel's pacing gap
                # no numbers (or no way) to draw a card: the alert goes to the channel on its own
            else:
                thread_id = card.message_id
            broadcast = bool(thread_id) and row.alert.severity >= Severity.LEAD

        key = (platform, row.channel)
        self.store.begin_attempt([row.id], self.clock())
        self._posts.mark(key)
        try:
            if thread_id and isinstance(sink, CardSink):  # only a CardSink has threads (style() says "messages" otherwise)
                message_id = sink.send(row.alert, row.channel, thread_id=thread_id, broadcast=broadcast)
            else:
                message_id = sink.send(row.alert, row.channel)
        except DeliveryError as exc:
            self._posts.mark(key)  # pace from the answer, not the request
            if isinstance(exc, MessageGone) and thread_id and card is not None:
                # The card, and its thread with it, is gone: retrying into it would never end.
                # A new card first (or none: frozen), then this alert goes again.
                self._cards.gone(platform, sink, card, exc)
                self.store.mark_retry(row.id, str(exc), timedelta(0), self.clock())
                return 0
            return self._retry(row, exc, uncertain=exc.uncertain)
        except Exception as exc:  # a renderer or client bug: keep the alert a few tries, then set it aside
            self._posts.mark(key)
            return self._unexpected_error(row, exc, "alert")
        self._posts.mark(key)  # latency jitter must not squeeze the gap
        self._forget(row)
        self._failures.succeeded(key)
        self.stats["posts"] += 1
        self._spent(platform, sink, row.channel, row.alert.at)
        if self.on_posted is not None:
            self.on_posted(row)
        self.store.mark_sent(row.id, message_id, self.clock())
        self._log_delivery([row], "sent")
        return 1

    # --- one line per delivery ------------------------------------------------------------------

    def _delivered(self, rows: Sequence[Delivery], outcome: str) -> dict[str, Any]:
        """Reports ``rows`` to ``on_delivery`` and returns the structured fields of their one log
        line: platform, channel, alert key (the first, and how many when a message held several),
        outcome and the seconds from queued to now (sent rows only)."""
        now = self.clock()
        waits = [max(0.0, (now - r.created_at).total_seconds()) for r in rows]
        sent = outcome in ("sent", "reconciled")
        if self.on_delivery is not None:
            for wait in waits:
                self.on_delivery(rows[0].platform, outcome, wait if sent else None)
        return {
            "event": "delivery",
            "platform": rows[0].platform,
            "channel": rows[0].channel,
            "alert_key": rows[0].alert.key,
            "alerts": len(rows),
            "outcome": outcome,
            "latency_ms": round(max(waits) * 1000) if sent else None,
        }

    def _log_delivery(self, rows: Sequence[Delivery], outcome: str, level: int = logging.INFO) -> None:
        fields = self._delivered(rows, outcome)
        log.log(
            level,
            "delivery %s %s: %s%s %s%s",
            fields["platform"],
            fields["channel"],
            fields["alert_key"],
            f" (+{len(rows) - 1} more in one message)" if len(rows) > 1 else "",
            outcome,
            f", {fields['latency_ms']} ms after it was queued" if fields["latency_ms"] is not None else "",
            extra=fields,
        )

    # --- digests and the budget (bot.core.digest, budget.py) -------------------------------------

    def _budgeted(self, sink: Any) -> bool:
        """The budget applies where a rollup can be sent (a ``RollupSink``: Slack, Discord); a console prints everything."""
        return self._budget.enabled and isinstance(sink, RollupSink)

    def _spent(self, platform: str, sink: Any, channel: str, at: str | None) -> None:
        if self._budgeted(sink):
            self._budget.spent((platform, channel), feed_seconds(at))

    def _followed(self, platform: str, row: Delivery) -> bool:
        """Whether the row's race may have a live card; if that cannot be told, as before follow lists (yes)."""
        if self.follows is None:
            return True
        try:
            return self.follows(platform, row.channel, row.alert)
        except Exception:
            log.exception(
                "%s %s: could not tell whether %s is followed; treating it as followed",
                platform,
                row.channel,
                row.alert.race_key,
            )
            return True

    def _rollup_run(self, queue: list[Delivery], style: str) -> list[Delivery]:
        """The rows the channel's last message of the minute holds: from the head, in order, up to
        the next digest (sent as itself), at most ``ROLLUP_MAX``. Rows whose earlier attempt may
        have landed wait for their own crash check (the head has had it); a quiet channel's minor
        updates are left to be skipped as usual."""
        run: list[Delivery] = []
        for i, r in enumerate(queue):
            if (
                isinstance(r.alert, (Digest, PictureOrder))
                or len(run) >= ROLLUP_MAX
                or (i > 0 and r.status != "pending")
                or r.id in self._singly
            ):
                break
            if style == "quiet" and r.alert.race_key and r.alert.severity < Severity.LEAD:
                continue
            run.append(r)
        return run

    def _rollup(self, platform: str, sink: Any, rows: list[Delivery]) -> int:
        """One message for ``rows`` (the budget's surplus), all marked sent by it, or all retried."""
        channel = rows[0].channel
        posted, message_id = self._post_group(
            platform,
            sink,
            rows,
            lambda: sink.send_rollup([r.alert for r in rows], channel, self._budget.limit((platform, channel))),
            f"rollup of {len(rows)} alerts",
        )
        if not posted:
            return 0
        self.stats["rollups"] += 1
        self.stats["rolled_up"] += len(rows)
        log.info(
            "%s %s: %d alerts sent as one rollup (budget %d messages a minute)",
            platform,
            channel,
            len(rows),
            self._budget.limit((platform, channel)),
        )
        if self.on_posted is not None:
            self.on_posted(rows[0])
        self.store.mark_many_sent([r.id for r in rows], message_id, self.clock())
        self._log_delivery(rows, "sent")
        return len(rows)

    def _post_group(
        self, platform: str, sink: Any, rows: list[Delivery], post: Callable[[], str | None], what: str
    ) -> tuple[bool, str | None]:
        """Posts ``rows`` as one message (a rollup, a catch-up summary): all marked "sending" first,
        then all sent by that message or all retried together. When the answer is lost they all
        stay "sending", and each is reconciled against the message's alert keys."""
        channel = rows[0].channel
        key = (platform, channel)
        self.store.begin_attempt([r.id for r in rows], self.clock())
        self._posts.mark(key)
        try:
            message_id = post()
        except DeliveryError as exc:
            self._posts.mark(key)
            if exc.permanent:
                for r in rows:
                    self._retry(r, exc)
                return False, None
            wait = self._wait_after(key, exc)
            log.warning(
                "%s %s: %s failed (%s); retrying in %.2f s",
                platform,
                channel,
                what,
                exc,
                wait,
                extra=self._delivered(rows, "retry"),
            )
            for r in rows:
                self.store.mark_retry(r.id, str(exc), timedelta(seconds=wait), self.clock(), uncertain=exc.uncertain)
            return False, None
        except Exception as exc:  # a renderer bug in one of them: each goes on its own, the bad one is set aside
            self._posts.mark(key)
            log.warning(
                "%s %s: unexpected error sending a %s (%s: %s); sending them one by one",
                platform,
                channel,
                what,
                type(exc).__name__,
                exc,
                extra=self._delivered(rows, "retry"),
            )
            log.debug("the unexpected error's traceback", exc_info=exc)
            self._singly.update(r.id for r in rows)
            for r in rows:
                self.store.mark_retry(r.id, f"{type(exc).__name__}: {exc}", timedelta(0), self.clock(), uncertain=True)
            return False, None
        self._posts.mark(key)
        self._failures.succeeded(key)
        self.stats["posts"] += 1
        self._spent(platform, sink, channel, rows[-1].alert.at)
        return True, message_id

    def _send_digest(self, platform: str, sink: Any, row: Delivery) -> int:
        """A digest part: one message to the channel (never a card's thread), sent like an alert."""
        key = (platform, row.channel)
        self.store.begin_attempt([row.id], self.clock())
        self._posts.mark(key)
        try:
            message_id = sink.send_digest(row.alert, row.channel)
        except DeliveryError as exc:
            self._posts.mark(key)
            return self._retry(row, exc, uncertain=exc.uncertain)
        except Exception as exc:  # a renderer bug: keep the digest a few tries, then set it aside
            self._posts.mark(key)
            return self._unexpected_error(row, exc, "digest")
        self._posts.mark(key)
        self._forget(row)
        self._failures.succeeded(key)
        self.stats["posts"] += 1
        self.stats["digests"] += 1
        self._spent(platform, sink, row.channel, row.alert.at)
        if self.on_posted is not None:
            self.on_posted(row)
        self.store.mark_sent(row.id, message_id, self.clock())
        self._log_delivery([row], "sent")
        return 1

    def _send_picture(self, platform: str, sink: Sink, row: Delivery, card: Card | None) -> int:
        """A picture row (``bot.core.picture_orders``): drawn now, uploaded like a post (marked
        "sending" first, paced, retried). The upload's file id is committed before the upload is
        completed, so a row found "sending" with a file id is looked up by that file before
        anything is uploaded again; one without was never shared (bot/delivery/uploads.py).
        Into the race's card thread when the channel has a card, else into the channel right
        after the alert it goes with (the row after it, in the channel's order)."""
        order = row.alert
        assert isinstance(order, PictureOrder)
        if not isinstance(sink, UploadSink) or self.draw is None:
            self.store.mark_skipped(row.id, f"{platform} takes no pictures here")
            self.stats["pictures_skipped"] += 1
            self._log_delivery([row], "skipped", logging.DEBUG)
            return 0
        if row.status == "sending" and row.upload_file_id:
            try:
                found = sink.find_picture(row.channel, row.upload_file_id)
            except DeliveryError as exc:
                if not exc.permanent:
                    return self._retry(row, exc, uncertain=True)
                self._operator.permanent(platform, row.channel, exc, HISTORY_CHECK, action=exc.action or HISTORY_ACTION)
                found = None
            self.stats["picture_checks"] += 1
            if found is not None:
                self.store.mark_sent(row.id, row.upload_file_id, self.clock())
                self._forget(row)
                self.stats["reconciled"] += 1
                log.info(
                    "%s %s: picture %s was already shared (file %s); not uploading it again",
                    platform,
                    row.channel,
                    order.key,
                    row.upload_file_id,
                    extra=self._delivered([row], "reconciled"),
                )
                return 1
        if self._tries(row) >= self.unexpected_tries:
            return self._give_up(row)
        try:
            picture = self.draw(order)
        except Exception as exc:  # a figure bug must not hold the channel's alerts: one line, go on
            log.warning(
                "%s %s: could not draw %s (%s: %s); skipping the picture",
                platform,
                row.channel,
                order.key,
                type(exc).__name__,
                exc,
            )
            log.debug("the figure's traceback", exc_info=exc)
            picture = None
        if picture is None:
            self.store.mark_skipped(row.id, "no picture to draw")
            self.stats["pictures_skipped"] += 1
            self._log_delivery([row], "skipped", logging.DEBUG)
            return 0
        thread_id = card.message_id if card is not None and card.status in ("live", "frozen") and card.message_id else None
        key = (platform, row.channel)
        self.store.begin_attempt([row.id], self.clock())
        self._posts.mark(key)
        file_id: str | None = None
        for into in [thread_id, None] if thread_id else [None]:
            try:
                file_id = sink.send_picture(
                    picture, row.channel, thread_id=into, on_uploaded=lambda file: self.store.note_upload(row.id, file)
                )
                break
            except DeliveryError as exc:
                if into is not None and exc.gone:
                    # the card's thread is gone (deleted): nothing was shared; the channel gets it
                    log.warning("%s %s: %s; %s goes to the channel instead", platform, row.channel, exc, order.key)
                    continue
                self._posts.mark(key)
                return self._retry(row, exc, uncertain=exc.uncertain)
            except Exception as exc:  # a client bug: keep the row a few tries, then set it aside
                self._posts.mark(key)
                return self._unexpected_error(row, exc, "picture")
        self._posts.mark(key)
        self._forget(row)
        self._failures.succeeded(key)
        self.stats["posts"] += 1
        self.stats["pictures"] += 1
        self._spent(platform, sink, row.channel, order.at)
        if self.on_posted is not None:
            self.on_posted(row)
        self.store.mark_sent(row.id, file_id, self.clock())
        self._log_delivery([row], "sent")
        return 1

    def _no_card(self, row: Delivery, race_key: str, exc: Exception) -> None:
        """A live card that failed with an error no platform gives would fail the same way for every
        alert of its race: the race goes without a card in this channel for the rest of this
        process, its alerts to the channel on their own, rather than holding the channel's queue.
        Said once; the traceback at DEBUG. A card post that landed before the error stays
        "creating" in the store and is found, not posted again, by the next process."""
        self._cardless.add((row.platform, row.channel, race_key))
        self.stats["card_errors"] += 1
        log.warning(
            "%s %s: could not make the live card for %s (%s: %s); its alerts go to the channel on their own",
            row.platform,
            row.channel,
            race_key,
            type(exc).__name__,
            exc,
        )
        log.debug("the card error's traceback", exc_info=exc)

    def _unexpected_error(self, row: Delivery, exc: Exception, what: str) -> int:
        """A try that ended in an error no platform gives (a renderer or client bug). The row stays
        "sending" (the error may have come after the post landed) and is tried again after a
        growing wait; after ``unexpected_tries`` of these it is set aside (``_give_up``) once the
        channel has been read for it. One line per try; the traceback at DEBUG."""
        tries = self._tries(row) + 1
        error = f"{type(exc).__name__}: {exc}"
        self._unexpected[row.id] = (tries, error)
        last = tries >= self.unexpected_tries
        wait = 0.0 if last else min(self.max_backoff, 5.0 * tries)
        log.warning(
            "%s %s: unexpected error delivering %s %s (%s), try %d of %d; %s",
            row.platform,
            row.channel,
            what,
            row.alert.key,
            error,
            tries,
            self.unexpected_tries,
            "setting it aside once the channel is checked" if last else f"trying again in {wait:.0f} s",
            extra=self._delivered([row], "retry"),
        )
        log.debug("the unexpected error's traceback", exc_info=exc)
        self.store.mark_retry(row.id, error, timedelta(seconds=wait), self.clock(), uncertain=True)
        return 0

    def _give_up(self, row: Delivery) -> int:
        """The row failed unexpectedly ``unexpected_tries`` times and is not in the channel: kept
        as "failed" (``/results status`` lists it), said in one line, and the channel goes on."""
        tries, error = self._unexpected.pop(row.id)
        self._singly.discard(row.id)
        reason = f"{row.alert.key} set aside after {tries} unexpected errors ({error})"
        self.store.mark_failed(row.id, reason)
        self.stats["failed"] += 1
        self.stats["given_up"] += 1
        log.error(
            "%s %s: %s; the channel's next alerts go on",
            row.platform,
            row.channel,
            reason,
            extra=self._delivered([row], "failed"),
        )
        return 0

    def _tries(self, row: Delivery) -> int:
        """The row's unexpected errors so far in this process."""
        return self._unexpected.get(row.id, (0, ""))[0]

    def _forget(self, row: Delivery) -> None:
        """A row that went out after all owes nothing to the unexpected-error count."""
        self._unexpected.pop(row.id, None)
        self._singly.discard(row.id)

    def _find_posted(self, sink: Any, channel: str, keys: list[str], card: Card | None) -> dict[str, str]:
        self.stats["history_checks"] += 1
        found: dict[str, str] = {}
        if card is not None and card.message_id:
            try:
                found.update(sink.find_posted(channel, keys, thread_id=card.message_id))
            except DeliveryError as exc:
                if not exc.gone:
                    raise
                # the card (and its thread) is gone: only the channel itself can tell
        missing = [k for k in keys if k not in found]
        if missing:
            found.update(sink.find_posted(channel, missing))
        return found

    def _retry(self, row: Delivery, exc: DeliveryError, *, uncertain: bool = False) -> int:
        if exc.permanent:
            self._operator.permanent(row.platform, row.channel, exc)
            self.store.mark_failed(row.id, str(exc))
            self.stats["failed"] += 1
            self._log_delivery([row], "failed", logging.WARNING)
            return 0
        wait = self._wait_after((row.platform, row.channel), exc)
        log.warning(
            "%s %s: %s; retrying in %.2f s (attempt %d)",
            row.platform,
            row.channel,
            exc,
            wait,
            row.attempts + 1,
            extra=self._delivered([row], "retry"),
        )
        self.store.mark_retry(row.id, str(exc), timedelta(seconds=wait), self.clock(), uncertain=uncertain)
        return 0

    def _wait_after(self, key: tuple[str, str], exc: DeliveryError) -> float:
        """How long a channel waits after a failed try. A 429 waits exactly its Retry-After (the
        channel's posts held as long) and leaves the server-error streak as it was: Slack answered,
        it was not failing. Anything else (a 5xx, a lost connection) is a server error: jittered
        backoff that grows with the streak, never above ``max_backoff`` (15 s), so an outage is
        probed at least that often and the first post after it goes out at once."""
        if exc.retry_after is not None:
            self._posts.hold(key, exc.retry_after)
            self.stats["rate_limited"] += 1
            return exc.retry_after
        self.stats["backoffs"] += 1
        return self._failures.failed(key)

    def _summarize(self, platform: str, sink: Any, rows: list[Delivery], now: datetime) -> int:
        channel = rows[0].channel
        held = int((now - rows[0].created_at).total_seconds() // 60)
        posted, message_id = self._post_group(
            platform, sink, rows, lambda: sink.send_summary([r.alert for r in rows], channel, held), "catch-up message"
        )
        if not posted:
            return 0
        self.stats["summaries"] += 1
        log.info(
            "%s %s: %d alerts older than %s sent as one catch-up message",
            platform,
            channel,
            len(rows),
            self.summarize_after,
        )
        if self.on_posted is not None:
            self.on_posted(rows[0])
        self.store.mark_many_sent([r.id for r in rows], message_id, self.clock())
        self._log_delivery(rows, "sent")
        return len(rows)
