"""Shared wiring for the delivery tests: the Alabama replay through the real poller, store,
worker and Slack sink, driven poll by poll (no scheduler) so runs are deterministic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.app.poller import Poller, with_targets
from bot.app.settings import rule_settings, settings_from_dict
from bot.core.model import Snapshot
from bot.core.targets import Target
from bot.delivery.cards import CardRefresher
from bot.delivery.slack import SlackSink, make_client
from bot.delivery.worker import DeliveryWorker
from bot.feeds.source import FeedSource, FeedSpec
from bot.rehearsal.scenarios import DEFAULT_FEED, load_scenario
from bot.store.database import Store, utcnow

FEED = DEFAULT_FEED


class ScenarioSource(FeedSource):
    """Serves the snapshot after the stored one, so a restarted process resumes the night."""

    kind = "scenario"

    def __init__(self, snapshots: list[Snapshot]):
        super().__init__(FeedSpec(FEED, "json", "memory://al-2017"), None)  # type: ignore[arg-type]
        self.snapshots = snapshots

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        for snap in self.snapshots:
            if previous is None or snap.generated_at > previous.generated_at:
                return snap
        return None


def rules():
    return rule_settings(settings_from_dict({"feeds": [{"name": FEED, "kind": "json", "url": "http://127.0.0.1/"}]}))


def build(
    db_url: str,
    slack_base_url: str,
    channels: dict[str, str],
    *,
    min_interval: float = 0.05,
    backoff_base: float = 0.2,
    card_throttle: float = 0.05,
    clock: Callable[[], datetime] = utcnow,
    poll_clock: Callable[[], datetime] | None = None,
    summarize_after: timedelta | None = timedelta(minutes=15),
    budget_seconds: float = 2.0,
    max_backoff: float | None = 1.0,
    update_interval: float = 0.0,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] | None = None,
    jitter: Callable[[], float] | None = None,
) -> tuple[Poller, DeliveryWorker, Store]:
    """The bot's delivery path. ``update_interval`` (the workspace-wide chat.update gap) is 0
    by default so wall-clock tests stay fast; ``sleep``/``monotonic`` take a VirtualClock's.
    ``max_backoff=None`` keeps the worker's own cap; ``jitter`` fixes the backoff's random draw."""
    store = Store(db_url)
    r = rules()
    sink = SlackSink(make_client("xoxb-test", slack_base_url, timeout=5), min_interval, update_interval)
    timing: dict[str, Any] = {}
    if sleep is not None:
        timing["sleep"] = sleep
    if monotonic is not None:
        timing["monotonic"] = monotonic
    if jitter is not None:
        timing["jitter"] = jitter
    if max_backoff is not None:
        timing["max_backoff"] = max_backoff
    worker = DeliveryWorker(
        store,
        {"slack": sink},
        clock=clock,
        styles=channels,
        backoff_base=backoff_base,
        cards=CardRefresher(store, r, card_throttle),
        summarize_after=summarize_after,
        budget_seconds=budget_seconds,
        **timing,
    )
    poller = Poller(
        source=ScenarioSource(load_scenario()),
        store=store,
        rules=r,
        targets=with_targets([Target("slack", c) for c in channels]),
        clock=poll_clock or clock,
    )
    return poller, worker, store


def unsent(store: Store) -> int:
    backlog = store.backlog()
    return backlog.get("pending", 0) + backlog.get("sending", 0)


def alert_keys(posts: list[dict[str, Any]]) -> list[str]:
    """Alert keys of posts (catch-up summaries count for every alert they carry)."""
    keys: list[str] = []
    for p in posts:
        meta = p.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == "electionbot_alert":
            keys.append(payload["alert_key"])
        elif meta.get("event_type") == "electionbot_summary":
            keys.extend(payload["alert_keys"])
    return keys


def card_posts(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in posts if (p.get("metadata") or {}).get("event_type") == "electionbot_card"]


def run_ticks(
    poller: Poller,
    worker: DeliveryWorker,
    store: Store,
    clock: Any,
    *,
    tick: float = 1.0,
    polls: int | None = None,
    drain: bool = True,
    max_ticks: int = 3000,
    before_tick: Callable[[int], None] | None = None,
) -> int:
    """Drive the night on a VirtualClock: each tick a poll (until the replay ends or ``polls``
    were made), a delivery round, then ``tick`` seconds. With ``drain``, goes on until nothing
    is left unsent. Returns the number of polls made."""
    made = 0
    finished = False
    for n in range(1, max_ticks + 1):
        if before_tick is not None:
            before_tick(n)
        if not finished and (polls is None or made < polls):
            made += 1
            finished = poller.poll().status == "unchanged"
        worker.deliver_due()
        polling_done = finished or (polls is not None and made >= polls)
        if polling_done and (not drain or not unsent(store)):
            return made
        clock.sleep(tick)
    raise AssertionError(f"still unsent after {max_ticks} ticks: {store.backlog()}")
