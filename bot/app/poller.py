"""One poll of one feed: fetch → parse → diff → persist (snapshot + alerts in one transaction).

The poller is the only writer of snapshots. It never lets a bad payload, an older snapshot or
test data replace what the channel was told from live data, and it says why in one log line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import compress
from operator import and_, is_, not_
from typing import TYPE_CHECKING

from bot.codec.errors import FeedConfigError, FeedError
from bot.core.events import Alert, Event, EventKind, coalesce
from bot.core.model import Race, Snapshot
from bot.core.rules import NO_MEMORY, RaceMemory, RuleSettings, evaluate
from bot.core.targets import Target
from bot.delivery.grouping import Grouping
from bot.feeds.gc_pause import gc_paused
from bot.feeds.http import FeedHttp
from bot.feeds.source import FeedSource
from bot.store.database import Store, utcnow
from bot.store.health import PollSuccess

if TYPE_CHECKING:
    from bot.app.metrics import Metrics

log = logging.getLogger("electionbot.poller")


@dataclass(frozen=True, slots=True)
class RaceFilter:
    """Races to follow: a state ("AL"), a race key ("AL-1000"), "office:S" or "national"."""

    follow: tuple[str, ...] = ()

    def wants(self, race: Race) -> bool:
        if not self.follow:
            return True
        for rule in self.follow:
            r = rule.strip()
            if r.lower() == "national" and race.national:
                return True
            if r.lower().startswith("office:") and (race.office_id or "").upper() == r[7:].upper():
                return True
            if r.upper() in (race.state, race.key.upper()):
                return True
        return False


@dataclass(frozen=True, slots=True)
class PollResult:
    status: str  # "changed" | "unchanged" | "failed" | "refused"
    alerts: tuple[Alert, ...] = ()
    queued: int = 0
    error: str | None = None


@dataclass
class Poller:
    source: FeedSource
    store: Store
    rules: RuleSettings
    targets: Callable[[], Sequence[Target]]
    races: RaceFilter = field(default_factory=RaceFilter)
    clock: Callable[[], datetime] = utcnow
    failing_after: int = 3
    stale_after: timedelta = timedelta(minutes=20)
    on_queued: Callable[[], object] | None = None  # what it returns (the count delivered) is not used
    #: per channel, a big poll's routine news as one digest (``bot.core.digest``); None: every alert on its own
    grouping: Grouping | None = None
    #: the pictures that go with an alert to a target, queued right after it (bot/app/pictures.py)
    pictures: Callable[[Alert, Target], Sequence[Alert]] | None = None
    #: this process's metrics (bot/app/metrics.py); None: the poll is only logged
    metrics: Metrics | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._restored = False
        #: races evaluated and races skipped as unchanged, over the poller's life (tests, benchmarks)
        self.stats: Counter[str] = Counter()

    @property
    def feed(self) -> str:
        return self.source.spec.name

    def wait_idle(self, timeout: float) -> bool:
        """SIGTERM: True once no poll is under way (within ``timeout`` seconds)."""
        if not self._lock.acquire(timeout=max(0.0, timeout)):
            return False
        self._lock.release()
        return True

    def poll(self) -> PollResult:
        """Never raises for feed trouble; a concurrent call waits (the scheduler also forbids it)."""
        with self._lock, gc_paused():  # a national poll makes millions of acyclic objects (bot/feeds/gc_pause.py)
            http = self.source.http if isinstance(self.source.http, FeedHttp) else None
            bytes_before, fetch_before = (http.bytes_read, http.fetch_seconds) if http else (0, 0.0)
            started = time.perf_counter()
            result = self._poll()
            seconds = time.perf_counter() - started
            fetched, fetching = (http.bytes_read - bytes_before, http.fetch_seconds - fetch_before) if http else (0, 0.0)
        self._report(result, fetched, seconds, max(0.0, seconds - fetching))
        if result.queued and self.on_queued is not None:
            self.on_queued()
        return result

    def _poll(self) -> PollResult:
        stored = self.store.load(self.feed)
        if not self._restored and stored is not None:
            self.source.restore(stored.cursor)
            self._restored = True
        previous = stored.snapshot if stored else None
        # A stored snapshot that cannot be read (the store said so once) is as if there were none,
        # but its memory of what was announced is kept: nothing is announced twice.
        remembered = stored.memory if stored else self.store.memory(self.feed)
        try:
            snapshot = self.source.poll(previous)
        except FeedError as exc:
            return self._failed(exc)
        except Exception as exc:  # an adapter bug must not kill the schedule: log it loudly
            log.exception("feed %r: adapter crashed", self.feed)
            return self._failed(FeedError(f"adapter error {type(exc).__name__}: {exc}", feed=self.feed))
        now = self.clock()
        if snapshot is None:
            self._succeeded(changed=False, now=now)
            return PollResult("unchanged", queued=self._check_stale(stored.snapshot if stored else None, now))
        refusal = self._refusal(previous, snapshot)
        if refusal:
            log.warning(
                "feed %r: snapshot of %s refused: %s; keeping the last good one",
                self.feed,
                snapshot.generated_at.isoformat(),
                refusal,
            )
            self.store.record_failure(self.feed, refusal, now)
            return PollResult("refused", error=refusal)
        if previous is not None and previous.test and not snapshot.test:
            log.warning("feed %r: live data replaces test data; starting the night afresh", self.feed)
            previous, stored, remembered = None, None, {}
        memory = dict(remembered)
        alerts = self._evaluate(previous, snapshot, memory)
        deliveries = list(self._deliveries(alerts, snapshot))
        success = PollSuccess(changed=True)  # the health row goes in the poll's own transaction
        try:
            queued = self.store.commit_poll(snapshot, memory, self.source.cursor(), deliveries, now, success=success)
        except (ValueError, TypeError, OverflowError) as exc:  # a snapshot the store cannot write: the last good one stays
            log.exception("feed %r: snapshot of %s could not be stored", self.feed, snapshot.generated_at.isoformat())
            return self._failed(
                FeedError(f"snapshot could not be stored ({type(exc).__name__}: {str(exc)[:120]})", feed=self.feed)
            )
        queued += self._recovered(success.failures_before, now)
        if log.isEnabledFor(logging.DEBUG):  # thousands on a national first poll: the summary line is at info
            for alert in alerts:
                log.debug("feed %r: %s", self.feed, "; ".join(e.kind.value for e in alert.events))
        return PollResult("changed", tuple(alerts), queued)

    def _report(self, result: PollResult, fetched: int, seconds: float, parse_seconds: float) -> None:
        """One line per poll, whatever its outcome (a failure also has its own warning), and the
        metrics. ``parse_seconds`` is the poll less its HTTP fetches: parsing, rules and the commit."""
        events = sum(len(alert.events) for alert in result.alerts)
        log.info(
            "poll %s: %s, %d bytes, parse %.0f ms, %d events in %d alerts, %d queued",
            self.feed,
            result.status,
            fetched,
            parse_seconds * 1000,
            events,
            len(result.alerts),
            result.queued,
            extra={
                "event": "poll",
                "feed": self.feed,
                "status": result.status,
                "bytes": fetched,
                "parse_ms": round(parse_seconds * 1000, 1),
                "poll_ms": round(seconds * 1000, 1),
                "events": events,
                "alerts": len(result.alerts),
                "queued": result.queued,
            },
        )
        if self.metrics is not None:
            parsed = parse_seconds if result.status in ("changed", "refused") else None
            self.metrics.poll(self.feed, result.status, parsed, result.alerts)

    def _refusal(self, previous: Snapshot | None, snapshot: Snapshot) -> str | None:
        if previous is None:
            return None
        if not previous.test and snapshot.test:
            return "test data after live data (test and live snapshots are never mixed)"
        if snapshot.generated_at < previous.generated_at and previous.test == snapshot.test:
            return f"older than the stored snapshot ({previous.generated_at.isoformat()})"
        return None

    def _evaluate(self, previous: Snapshot | None, snapshot: Snapshot, memory: dict[str, RaceMemory]) -> list[Alert]:
        alerts = []
        # once per poll, not per race: a national first poll has 7,000 races
        at = snapshot.generated_at.isoformat()
        for key in self._maybe_changed(previous, snapshot, memory):
            race = snapshot.races[key]
            if not self.races.wants(race):
                continue
            prev_race = previous.races.get(key) if previous else None
            # An unchanged race with the memory its last evaluation left gives no events and the
            # same memory (a property test shows it): skipping it keeps a national poll cheap.
            # A delta poll hands back the very object for every race it did not carry: identity
            # is the fingerprint there, and a full reply compares by value.
            if prev_race is not None and key in memory and (prev_race is race or prev_race == race):
                self.stats["races_unchanged"] += 1
                continue
            self.stats["races_evaluated"] += 1
            try:
                result = evaluate(
                    self.feed,
                    prev_race,
                    race,
                    memory.get(key, NO_MEMORY),
                    self.rules,
                    snapshot.generated_at,
                    snapshot.races,
                )
            except Exception:  # one odd race must not silence the others
                log.exception("feed %r: rules failed on race %s; skipped this poll", self.feed, key)
                continue
            memory[key] = result.memory
            alert = coalesce(result.events, result.facts, at, race.test or snapshot.test)
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _maybe_changed(self, previous: Snapshot | None, snapshot: Snapshot, memory: dict[str, RaceMemory]) -> list[str]:
        """The keys of the races ``_evaluate`` must look at, in the snapshot's order: all but those
        that are the very object of the previous snapshot and have a memory, which it would skip
        as unchanged (counted here as it counts them). A delta poll hands back 6,900 of a national
        snapshot's 7,000 races so; they are found in C calls (``map``, ``compress``), where a
        Python loop over every race was ~4 ms a poll."""
        keys = list(snapshot.races)
        if previous is None:
            return keys
        same = list(
            map(and_, map(is_, snapshot.races.values(), map(previous.races.get, keys)), map(memory.__contains__, keys))
        )
        skipped = compress(keys, same)
        if self.races.follow:
            self.stats["races_unchanged"] += sum(1 for key in skipped if self.races.wants(snapshot.races[key]))
        else:
            self.stats["races_unchanged"] += same.count(True)
        return list(compress(keys, map(not_, same)))

    def _deliveries(self, alerts: Iterable[Alert], snapshot: Snapshot | None = None) -> Iterable[tuple[Alert, str, str]]:
        if self.grouping is not None and snapshot is not None:
            yield from self._grouped(list(alerts), snapshot)
            return
        targets = self.targets()
        for alert in alerts:
            state = alert.facts.state if alert.facts is not None else None
            for target in targets:
                level = target.level_for(state)
                kept = alert.at_least(level) if level is not None else None
                if kept is not None:
                    yield kept, target.channel, target.platform
                    for picture in self.pictures(kept, target) if self.pictures is not None else ():
                        yield picture, target.channel, target.platform

    def _grouped(self, alerts: list[Alert], snapshot: Snapshot) -> Iterable[tuple[Alert, str, str]]:
        """Per target, what its level lets through, then individual alerts and digest parts."""
        assert self.grouping is not None
        for target in self.targets():
            kept = []
            for alert in alerts:
                level = target.level_for(alert.facts.state if alert.facts is not None else None)
                if level is not None and (k := alert.at_least(level)) is not None:
                    kept.append(k)
            states = [state for state, _ in target.states]
            arranged = self.grouping.arrange(
                target.channel,
                states,
                kept,
                feed=self.feed,
                version=snapshot.generated_at.isoformat(),
                feed_races=len(snapshot.races),
            )
            for item in arranged:
                yield item, target.channel, target.platform
                for picture in self.pictures(item, target) if self.pictures is not None else ():
                    yield picture, target.channel, target.platform

    def _failed(self, exc: FeedError) -> PollResult:
        now = self.clock()
        located = exc.located(self.feed, self.source.spec.url)
        failures = self.store.record_failure(self.feed, located.reason, now)
        if isinstance(exc, FeedConfigError):
            log.error("feed %r: configuration problem: %s", self.feed, located.describe())
        else:
            log.warning("%s (failure %d in a row; last good snapshot kept)", located.describe(), failures)
        queued = 0
        if failures == self.failing_after:
            queued = self._feed_alert(
                EventKind.FEED_FAILING, f"failing/{now.isoformat()}", now, failures=failures, error=located.reason
            )
        return PollResult("failed", error=located.describe(), queued=queued)

    def _succeeded(self, changed: bool, now: datetime) -> int:
        return self._recovered(self.store.record_success(self.feed, changed, now), now)

    def _recovered(self, before: int, now: datetime) -> int:
        """A "recovered" alert when the failures in a row before this success reached ``failing_after``."""
        if before >= self.failing_after:
            log.info("feed %r: recovered after %d failed polls", self.feed, before)
            return self._feed_alert(EventKind.FEED_RECOVERED, f"recovered/{now.isoformat()}", now, failures=before)
        return 0

    def _check_stale(self, snapshot: Snapshot | None, now: datetime) -> int:
        """A feed that stops changing while votes are still out is worth a line: it may be stuck."""
        if snapshot is None:
            return 0
        health = next((h for h in self.store.health() if h.feed == self.feed), None)
        if health is None or health.last_change_at is None or now - health.last_change_at < self.stale_after:
            return 0
        counting = any(
            (u := r.state_unit) is not None and u.total_votes > 0 and not u.fully_reporting and not r.winners
            for r in snapshot.races.values()
        )
        if not counting:
            return 0
        minutes = int((now - health.last_change_at).total_seconds() // 60)
        return self._feed_alert(EventKind.FEED_STALE, f"stale/{health.last_change_at.isoformat()}", now, minutes=minutes)

    def _feed_alert(self, kind: EventKind, key: str, now: datetime, **details: object) -> int:
        event = Event(kind, f"{self.feed}/-/{key}", self.feed, None, details)
        alert = coalesce([event], None, now.isoformat(), False)
        assert alert is not None
        return self.store.enqueue(self._deliveries([alert]), now)


def with_targets(targets: Sequence[Target]) -> Callable[[], Sequence[Target]]:
    fixed = tuple(targets)
    return lambda: fixed


__all__ = ["PollResult", "Poller", "RaceFilter", "Target", "with_targets", "replace"]
