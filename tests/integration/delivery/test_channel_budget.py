"""A channel's own budget on a national poll, through the real poller, worker and Slack sink:
25 calls in one poll are, per channel, (its budget - 1) messages and one rollup of the rest;
a channel with budget 0 gets every call; nothing is dropped anywhere. The Budget's own boundary
tests are tests/unit/test_channel_budget.py."""

from __future__ import annotations

import pytest

from bot.app.runtime import Runtime
from bot.app.settings import Secrets, settings_from_dict
from bot.core.follow import Follow, FollowBook
from bot.delivery.cards import CardRefresher
from bot.delivery.worker import DeliveryWorker
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import rules
from tests.integration.delivery.national import STATES, T0, called, meta, snapshots
from tests.integration.delivery.national import build as build_bot


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=T0)


@pytest.fixture
def slack(clock):
    with FakeSlack(clock=clock.monotonic) as fake:
        yield fake


def test_each_channel_rolls_up_at_its_own_budget_and_nothing_is_dropped(tmp_path, clock, slack) -> None:
    channels = {"C0DESK": "messages", "C0STATE": "messages", "C0ALL": "messages", "C0WIDE": "messages"}
    bot = build_bot(
        f"sqlite:///{tmp_path / 'night.db'}",
        slack.base_url,
        clock,
        snapshots([called(STATES[i % 20], 100 + i) for i in range(25)]),
        channels,
        book=FollowBook(default=Follow.of(everything=True)),
    )
    old = bot.worker
    bot.worker = DeliveryWorker(
        bot.store,
        old.sinks,
        clock=clock.now,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        styles=channels,
        cards=CardRefresher(bot.store, rules(), 15.0),
        budget_seconds=30.0,
        messages_per_minute=10,
        channel_messages_per_minute={"C0STATE": 3, "C0ALL": 0, "C0WIDE": 24},
        follows=bot.grouping.card_for,
    )
    bot.poll()
    bot.drain()

    def shape(channel: str) -> list[tuple[str | None, int]]:
        return [(meta(p)[0], len(meta(p)[1].get("alert_keys") or [1])) for p in slack.posts(channel)]

    assert shape("C0DESK") == [("electionbot_alert", 1)] * 9 + [("electionbot_summary", 16)]  # the default, 10
    assert shape("C0STATE") == [("electionbot_alert", 1)] * 2 + [("electionbot_summary", 23)]
    assert shape("C0ALL") == [("electionbot_alert", 1)] * 25
    assert shape("C0WIDE") == [("electionbot_alert", 1)] * 23 + [("electionbot_summary", 2)]
    assert slack.posts("C0STATE")[2]["text"].startswith(
        "23 updates in 23 races, held back to keep this channel under 3 messages a minute:"
    )
    for channel in channels:
        keys = [k for p in slack.posts(channel) for k in (meta(p)[1].get("alert_keys") or [meta(p)[1]["alert_key"]])]
        assert len(keys) == len(set(keys)) == 25, channel
    assert bot.store.backlog() == {"sent": 100}


def test_the_runtime_hands_the_configured_budgets_to_the_worker(tmp_path) -> None:
    settings = settings_from_dict(
        {
            "feeds": [{"name": "x", "kind": "json", "url": "http://127.0.0.1:9/x.json"}],
            "alerts": {"messages_per_minute": 7, "channel_messages_per_minute": {"#desk": 60, "C0QUIET": 0}},
        }
    )
    runtime = Runtime.build(
        settings, Secrets(None, None, "http://127.0.0.1:9/"), database_url=f"sqlite:///{tmp_path / 'r.db'}"
    )
    try:
        budget = runtime.worker._budget
        assert (budget.limit(("slack", "#desk")), budget.limit(("slack", "C0QUIET")), budget.limit(("slack", "C9"))) == (
            60,
            0,
            7,
        )
    finally:
        runtime.store.close()
