"""Shared wiring for the delivery tests: the Alabama replay through the real poller, store,
worker and Slack sink, driven poll by poll (no scheduler) so runs are deterministic."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from bot.delivery.cards import CardRefresher
from bot.delivery.slack import SlackSink, make_client
from bot.delivery.worker import DeliveryWorker
from bot.feeds.source import FeedSource, FeedSpec
from bot.model import Snapshot
from bot.poller import Poller, Target, with_targets
from bot.scenarios import DEFAULT_FEED, load_scenario
from bot.store import Store, utcnow
from config.settings import settings_from_dict

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
    return settings_from_dict({"feeds": [{"name": FEED, "kind": "json", "url": "http://127.0.0.1/"}]}).rule_settings()


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
    max_backoff: float = 1.0,
) -> tuple[Poller, DeliveryWorker, Store]:
    store = Store(db_url)
    r = rules()
    sink = SlackSink(make_client("xoxb-test", slack_base_url, timeout=5), min_interval)
    worker = DeliveryWorker(
        store,
        {"slack": sink},
        clock=clock,
        styles=channels,
        backoff_base=backoff_base,
        cards=CardRefresher(store, r, card_throttle),
        summarize_after=summarize_after,
        budget_seconds=budget_seconds,
        max_backoff=max_backoff,
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
