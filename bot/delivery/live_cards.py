"""Live race cards on every platform with a ``CardSink`` (Slack, Discord): created once, edited
in place, posted anew once if lost.

Edits are paced on their own (the sink's ``update_interval``: Slack's ``chat.update`` is Tier 3,
about 50 a minute per workspace, all cards together), apart from posts (about one a second per
channel): an edit never spends a channel's post budget and a 429 on an edit holds only that
channel's edits. The worker calls
``refresh`` after its alerts, naming the channels that still have an alert ready: their cards
wait, since an alert is news and a card edit is only fresher numbers.

A card that can no longer be edited (deleted, not this bot's, past the workspace's edit window)
is posted anew and its new message id kept, so later edits and thread replies use it. The old id
is remembered so the crash check never takes the old message for the new one. Each sink says why
a card is lost in neutral terms (``MessageGone``, ``Gone``): no platform's error code is read here. Why "once" and not
forever: see ``CardKeeper.gone``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections import Counter
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from bot.core.events import RaceFacts
from bot.delivery.cards import CardRefresher
from bot.delivery.pacing import Backoff, Pacer
from bot.delivery.report import CARD_EDIT, HISTORY_ACTION, HISTORY_CHECK, OperatorLog
from bot.delivery.sink import DeliveryError, Gone, MessageGone
from bot.store.database import Card, Store

log = logging.getLogger("electionbot.delivery")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CardKeeper:
    """Every ``sink`` it is handed is a ``Sink`` that is also a ``CardSink`` (bot/delivery/sink.py:
    the worker checks with ``isinstance``), so it calls their members directly."""

    def __init__(
        self,
        store: Store,
        refresher: CardRefresher | None,
        posts: Pacer,
        edits: Pacer,
        operator: OperatorLog,
        stats: Counter[str],
        *,
        clock: Callable[[], datetime],
        min_interval: float,
        backoff_base: float,
        max_backoff: float,
        jitter: Callable[[], float] = random.random,
        permanent_hold: float = 120.0,
    ):
        self.store = store
        self.refresher = refresher
        self.posts = posts  # shared with the worker: a card is a post in its channel
        self.edits = edits  # (platform,) for the workspace-wide gap, (platform, channel) for holds
        self.operator = operator
        self.stats = stats
        self.clock = clock
        self.min_interval = min_interval
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        #: how long a channel's edits rest after an error only the operator can fix (logged once).
        self.permanent_hold = permanent_hold
        #: server errors on edits in a row per (platform, channel): 429s do not count.
        self._failures = Backoff(backoff_base, max_backoff, jitter)
        #: cards whose drawing failed with a bug, said once each (``_broken``)
        self._said_broken: set[int] = set()

    # --- creation --------------------------------------------------------------------------

    def ensure(
        self, platform: str, sink: Any, feed: str, race_key: str, channel: str, card: Card | None, fallback: RaceFacts | None
    ) -> bool:
        """Make the card live: found in the channel if an earlier post landed, else posted.
        False when there are no numbers to draw it with. Raises DeliveryError."""
        if card is not None and card.status == "creating":
            # A post may have landed before a crash: look for it first (never an old, retired card).
            self.stats["history_checks"] += 1
            try:
                message_id = sink.find_card(channel, race_key, exclude=card.retired)
            except DeliveryError as exc:
                if not exc.permanent:
                    raise
                self.operator.permanent(platform, channel, exc, HISTORY_CHECK, action=HISTORY_ACTION)
                message_id = None
            if message_id:
                self.store.card_live(card.id, message_id, None, self.clock(), channel_id=_channel_id(sink, channel))
                self.stats["cards_reconciled"] += 1
                return True
        facts = (self.refresher.facts_for(feed, race_key) if self.refresher else None) or fallback
        if facts is None:
            return False
        card = self.store.begin_card(feed, race_key, channel, platform, self.clock())
        key = (platform, channel)
        self.posts.mark(key)  # a card is a post: it spends the channel's post budget
        try:
            message_id = sink.post_card(facts, feed, channel)
        finally:
            self.posts.mark(key)  # paced from the answer
        self.store.card_live(
            card.id,
            message_id or "",
            message_hash(sink.card_message(facts)),
            self.clock(),
            channel_id=_channel_id(sink, channel),
        )
        self.stats["cards_created"] += 1
        return True

    # --- edits -----------------------------------------------------------------------------

    def refresh(self, platform: str, sink: Any, busy: Collection[str], edits_cards: Callable[[str], bool]) -> None:
        """Edit live cards whose numbers changed: at most every ``throttle`` seconds per card,
        one ``chat.update`` per ``update_interval`` for the whole workspace (the longest-waiting
        card first), none in a ``busy`` channel (an alert is ready there), and only in channels
        where ``edits_cards``. Never sleeps: what cannot go now goes in a later round."""
        if self.refresher is None:
            return
        interval = float(sink.update_interval)
        workspace = (platform,)
        stored = self.store.cards(platform, None)
        for c in stored:
            if c.channel_id:
                sink.remember_channel(c.channel, c.channel_id)
        candidates = [
            c for c in stored if c.status in ("live", "creating") and c.channel not in busy and edits_cards(c.channel)
        ]
        for card in sorted(candidates, key=lambda c: (c.updated_at or _EPOCH, c.id)):
            if self.edits.held((platform, card.channel)) > 0:
                continue
            if card.status == "creating":
                if card.retired:  # a lost card waiting for its replacement (first cards come with an alert)
                    self._repost(platform, sink, card)
                continue
            if not card.message_id:
                continue
            if card.updated_at is not None and (self.clock() - card.updated_at).total_seconds() < self.refresher.throttle:
                continue
            facts = self.refresher.facts_for(card.feed, card.race_key)
            if facts is None:
                continue
            try:
                digest = message_hash(sink.card_message(facts))
            except Exception as exc:  # a card renderer bug: this card stays as it is, the others go on
                self._broken(platform, card, exc)
                continue
            if digest == card.rendered_hash:
                continue
            if self.edits.wait(workspace, interval) > 0:
                return  # the workspace's edit budget is spent for now
            self.edits.mark(workspace)
            try:
                sink.update_card(facts, card.channel, card.message_id)
            except DeliveryError as exc:
                self.edits.mark(workspace)
                self._edit_failed(platform, sink, card, exc)
                continue
            except Exception as exc:  # a client bug: the same
                self.edits.mark(workspace)
                self._broken(platform, card, exc)
                continue
            self.edits.mark(workspace)
            self._failures.succeeded((platform, card.channel))
            self.stats["card_updates"] += 1
            self.store.card_updated(card.id, digest, self.clock())

    def _broken(self, platform: str, card: Card, exc: Exception) -> None:
        """An edit that failed with an error no platform gives (a bug drawing this race's card)
        would fail again at every round: the card is left as it is, its alerts still go in its
        thread, and the other cards are edited as usual. Said once per card; retried only as the
        numbers change (the same numbers would fail the same way)."""
        self.stats["update_errors"] += 1
        if card.id in self._said_broken:
            return
        self._said_broken.add(card.id)
        log.warning(
            "%s %s: could not draw the live card for %s (%s: %s); leaving it as it is, its alerts still go out",
            platform,
            card.channel,
            card.race_key,
            type(exc).__name__,
            exc,
        )
        log.debug("the card error's traceback", exc_info=exc)

    def _edit_failed(self, platform: str, sink: Any, card: Card, exc: DeliveryError) -> None:
        key = (platform, card.channel)
        if isinstance(exc, MessageGone):
            self.gone(platform, sink, card, exc)
            return
        if exc.permanent:
            self.operator.permanent(platform, card.channel, exc, CARD_EDIT)
            self.edits.hold(key, self.permanent_hold)
            self.stats["update_errors"] += 1
            return
        if exc.retry_after is not None:
            wait = exc.retry_after
            self.stats["update_rate_limited"] += 1
        else:
            wait = self._backoff(key)
            self.stats["update_errors"] += 1
        self.edits.hold(key, wait)  # only this channel's edits: its alerts and other cards go on
        log.warning(
            "%s %s: card update failed (%s); card edits in this channel resume in %.2f s", platform, card.channel, exc, wait
        )

    # --- a card that can no longer be edited ----------------------------------------------

    def gone(self, platform: str, sink: Any, card: Card, exc: MessageGone) -> None:
        """Post the card anew, once. A replacement that is itself lost before it ever took an
        edit, or a second closed edit window (the workspace closes it on every card), would only
        start a loop of new cards: that card is frozen instead, and its alerts still go out (in
        its thread if the message still exists, else to the channel)."""
        code = exc.code or str(exc)  # the platform's own word, for the operator
        if not _may_repost(card, exc.because):
            self.store.card_frozen(card.id, card.message_id if exc.message_exists else None)
            self.stats["cards_frozen"] += 1
            action = f" — {exc.action}" if exc.action else ""
            log.error(
                "%s %s: the live card for %s cannot be edited (%s) and was already posted anew once; "
                "leaving it as it is, its alerts still go out%s",
                platform,
                card.channel,
                card.race_key,
                code,
                action,
            )
            return
        replacement = self.store.card_retire(card.id, card.message_id, self.clock())
        self.stats["cards_lost"] += 1
        log.warning(
            "%s %s: the live card for %s (message %s) cannot be edited any more (%s); posting a new one",
            platform,
            card.channel,
            card.race_key,
            card.message_id,
            code,
        )
        if replacement is not None:
            self._repost(platform, sink, replacement)

    def _repost(self, platform: str, sink: Any, card: Card) -> None:
        key = (platform, card.channel)
        if self.posts.wait(key, float(sink.min_interval)) > 0:
            return  # after the channel's pacing gap, in a later round
        try:
            self.ensure(platform, sink, card.feed, card.race_key, card.channel, card, None)
        except DeliveryError as exc:
            if exc.permanent:
                self.operator.permanent(platform, card.channel, exc, CARD_EDIT)
                self.edits.hold(key, self.permanent_hold)
            elif exc.retry_after is not None:
                self.posts.hold(key, exc.retry_after)  # it was a post: the post limit said so
            else:
                self.edits.hold(key, self._backoff(key))
            log.warning(
                "%s %s: posting the new live card for %s failed (%s); trying again later",
                platform,
                card.channel,
                card.race_key,
                exc,
            )

    def _backoff(self, key: tuple[str, str]) -> float:
        return self._failures.failed(key)


def _may_repost(card: Card, because: Gone) -> bool:
    """Whether a card that can no longer be edited may be posted anew (see ``CardKeeper.gone``)."""
    if card.replaced == 0:
        return True
    if because is Gone.EDIT_WINDOW_CLOSED:
        return False
    return card.updates > 0  # the replacement worked for a while: someone deleted it again


def _channel_id(sink: Any, channel: str) -> str | None:
    """The channel's id when the sink learnt one that differs from the configured name."""
    known = sink.channel_id(channel)
    return known if known and known != channel else None


def message_hash(message: dict[str, Any]) -> str:
    """What a card showed when last drawn: an edit is made only when this changes."""
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()
