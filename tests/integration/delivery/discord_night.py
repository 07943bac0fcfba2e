"""Shared wiring for the Discord delivery tests: the Alabama replay through the real poller,
store and worker to Slack and Discord at once (FakeSlack and FakeDiscord over HTTP), on one
VirtualClock, and the checks the promises are made of (each alert once per channel, cards edited
in place, no message that could ping)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.app.poller import Poller, with_targets
from bot.core.targets import Target
from bot.delivery.cards import CardRefresher
from bot.delivery.discord import DiscordSink
from bot.delivery.slack import SlackSink, make_client
from bot.delivery.worker import DeliveryWorker
from bot.rehearsal.scenarios import load_scenario
from bot.render.discord import card_ref, ref, refs_in
from bot.store.database import Store
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import ScenarioSource, alert_keys, rules

SLACK_CHANNEL = "C1"
DISCORD_CHANNEL = "1000000000000000001"


@dataclass
class Night:
    poller: Poller
    worker: DeliveryWorker
    store: Store
    discord_sink: DiscordSink
    webhook_url: str
    webhook: str  # its name in the outbox: webhook:<fingerprint>


def build_night(
    db_url: str,
    slack: FakeSlack,
    discord: FakeDiscord,
    clock: VirtualClock,
    *,
    style: str = "cards",
    min_interval: float = 1.0,
    card_throttle: float = 15.0,
    webhook: bool = True,
) -> Night:
    store = Store(db_url)
    r = rules()
    webhook_url = discord.add_webhook("2000000000000000002")
    sink = DiscordSink(
        discord.base_url,
        discord.bot_token,
        [webhook_url] if webhook else [],
        min_interval=min_interval,
        monotonic=clock.monotonic,
    )
    channels = {SLACK_CHANNEL: style, DISCORD_CHANNEL: style, **({sink.webhook_channels[0]: style} if webhook else {})}
    worker = DeliveryWorker(
        store,
        {"slack": SlackSink(make_client("xoxb-test", slack.base_url, timeout=5), min_interval, 0.0), "discord": sink},
        clock=clock.now,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        styles=channels,
        backoff_base=1.0,
        max_backoff=15.0,
        cards=CardRefresher(store, r, card_throttle),
        summarize_after=timedelta(minutes=15),
        budget_seconds=5.0,
    )
    targets = [Target("slack", SLACK_CHANNEL), Target("discord", DISCORD_CHANNEL)]
    if webhook:
        targets.append(Target("discord", sink.webhook_channels[0]))
    poller = Poller(
        source=ScenarioSource(load_scenario()), store=store, rules=r, targets=with_targets(targets), clock=clock.now
    )
    return Night(poller, worker, store, sink, webhook_url, sink.webhook_channels[0] if webhook else "")


def sent_keys(store: Store, platform: str, channel: str) -> list[str]:
    return [alert.key for ch, alert in store.sent_alerts(platform) if ch == channel]


def discord_messages(discord: FakeDiscord, channel: str) -> list[dict[str, Any]]:
    """Every message now in the channel and in the threads started from its messages."""
    messages = discord.messages(channel)
    threads = [tid for tid, t in discord.threads().items() if t["parent_id"] == channel]
    return messages + [m for tid in threads for m in discord.messages(tid)]


def ref_counts(messages: list[dict[str, Any]]) -> Counter[str]:
    return Counter(marker for m in messages for marker in refs_in(m))


def assert_each_alert_once_on_discord(discord: FakeDiscord, store: Store, platform_channel: str, channel: str) -> list[str]:
    """Every alert the outbox sent to ``platform_channel`` is in exactly one message of the
    Discord channel ``channel`` (or its threads); returns the keys."""
    keys = sent_keys(store, "discord", platform_channel)
    counts = ref_counts(discord_messages(discord, channel))
    missing = [k for k in keys if counts[ref(k)] == 0]
    twice = [k for k in keys if counts[ref(k)] > 1]
    assert not missing and not twice, f"missing {missing[:5]}, twice {twice[:5]}"
    return keys


def assert_each_alert_once_on_slack(slack: FakeSlack, store: Store, channel: str) -> list[str]:
    keys = sent_keys(store, "slack", channel)
    posted = Counter(alert_keys(slack.posts(channel)))
    assert sorted(posted) == sorted(keys) and set(posted.values()) <= {1}, posted.most_common(3)
    return keys


def assert_cards_edited_in_place(discord: FakeDiscord, channel: str, race_keys: list[str]) -> None:
    """One card message per race in the channel, and edits were made to it (PATCH)."""
    messages = discord.messages(channel)
    for race_key in race_keys:
        cards = [m for m in messages if card_ref(race_key) in refs_in(m)]
        assert len(cards) == 1, f"{len(cards)} cards for {race_key}"
        assert cards[0]["edited_timestamp"] is not None, "the card was never edited"


def assert_no_call_could_ping(discord: FakeDiscord) -> int:
    """``allowed_mentions: {"parse": []}`` on every call that carried a message; returns how many."""
    calls = discord.message_calls()
    assert calls
    for call in calls:
        assert call.body.get("allowed_mentions") == {"parse": []}, (call.route, call.body)
    return len(calls)


def assert_no_secret(text: str, webhook_url: str) -> None:
    token = webhook_url.rstrip("/").split("/")[-1]
    assert token not in text and webhook_url not in text
