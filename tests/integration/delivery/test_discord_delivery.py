"""Discord delivery with the guarantees Slack has: the Alabama replay to a Slack channel, a
Discord channel (bot token) and a Discord webhook at once, through the real poller, store,
worker and sinks, over HTTP to FakeSlack and FakeDiscord, on one VirtualClock.

Each alert exactly once per channel; cards edited in place; no message that could ping; 429s
honoured from Discord's JSON and headers (no call made into a spent bucket); a 10 s outage and
lost answers reconciled without a duplicate; a 404/403 channel or a deleted webhook disabled with
one log line and no more calls; a deleted card posted anew once; a webhook's URL never logged.
"""

from __future__ import annotations

import logging

import pytest
import requests
from sqlalchemy import select

from bot.core.events import Alert, Event, EventKind
from bot.delivery.discord import DiscordSink, nonce
from bot.delivery.sink import DeliveryError
from bot.render.discord import card_ref, ref, refs_in
from bot.render.status_answers import status_answer
from bot.render.text_answers import answer_text
from bot.store.database import OutboxRow
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.discord_night import (
    DISCORD_CHANNEL,
    SLACK_CHANNEL,
    assert_cards_edited_in_place,
    assert_each_alert_once_on_discord,
    assert_each_alert_once_on_slack,
    assert_no_call_could_ping,
    assert_no_secret,
    build_night,
    sent_keys,
)
from tests.integration.delivery.harness import run_ticks, unsent


def db_url(path) -> str:
    """A SQLite file per test (tests/databases.py, which runs them on PostgreSQL too, is not in the tree yet)."""
    return f"sqlite:///{path}"


POSTS = "POST /channels/{channel_id}/messages"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def test_the_night_on_slack_and_discord_at_once_each_alert_once_cards_in_place(tmp_path, clock: VirtualClock) -> None:
    with (
        FakeSlack(clock=clock.monotonic) as slack,
        FakeDiscord(clock=clock.monotonic, bucket_limit=1, bucket_window=2.5) as discord,
    ):
        night = build_night(db_url(tmp_path / "bot.db"), slack, discord, clock)
        run_ticks(night.poller, night.worker, night.store, clock, tick=1.0)
        slack_keys = assert_each_alert_once_on_slack(slack, night.store, SLACK_CHANNEL)
        discord_keys = assert_each_alert_once_on_discord(discord, night.store, DISCORD_CHANNEL, DISCORD_CHANNEL)
        webhook_keys = assert_each_alert_once_on_discord(
            discord, night.store, night.webhook, discord.webhook_channel(night.webhook_url)
        )
        assert len(slack_keys) > 10
        assert sorted(slack_keys) == sorted(discord_keys) == sorted(webhook_keys)
        races = sorted({c.race_key for c in night.store.cards("discord", None)})
        assert races
        assert_cards_edited_in_place(discord, DISCORD_CHANNEL, races)
        assert_cards_edited_in_place(discord, discord.webhook_channel(night.webhook_url), races)
        assert [c for c in slack.calls_to("chat.update") if c.ok]  # Slack's cards were edited in place too
        # moments in the thread started from the card; calls and lead changes in the channel
        thread_posts = [c for c in discord.calls_to(POSTS) if c.ok and c.channel in discord.threads()]
        assert thread_posts
        assert all(t["parent_id"] == DISCORD_CHANNEL for t in discord.threads().values())
        replies = [
            c.body
            for c in discord.calls_to(POSTS)
            if c.ok and c.channel == DISCORD_CHANNEL and "message_reference" in c.body
        ]
        cards = {c.message_id for c in night.store.cards("discord", None) if c.channel == DISCORD_CHANNEL}
        assert replies and all(r["message_reference"]["message_id"] in cards for r in replies)  # calls, lead changes
        assert assert_no_call_could_ping(discord) > 20
        # the bucket (1 per 2.5 s per channel: tighter than the worker's one post a second) was read from
        # the headers: no call was made into a spent bucket, so Discord never answered 429
        assert [c for c in discord.calls if c.status == 429] == []
        assert night.worker.stats["rate_limited"] > 0  # the sink held the channel instead


def test_429_bursts_and_the_global_limit_are_waited_out_exactly_nothing_lost_or_twice(tmp_path, clock: VirtualClock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(db_url(tmp_path / "bot.db"), slack, discord, clock, style="messages", webhook=False)

        def faults(tick: int) -> None:
            if tick == 2:
                discord.fail_next(POSTS, retry_after=7.5, times=2, channel=DISCORD_CHANNEL)
            if tick == 6:
                discord.fail_next(POSTS, retry_after=3.25, is_global=True)

        run_ticks(night.poller, night.worker, night.store, clock, tick=1.0, before_tick=faults)
        assert_each_alert_once_on_discord(discord, night.store, DISCORD_CHANNEL, DISCORD_CHANNEL)
        assert_each_alert_once_on_slack(slack, night.store, SLACK_CHANNEL)
        calls = discord.calls_to(POSTS)
        limited = [i for i, c in enumerate(calls) if c.status == 429]
        assert len(limited) == 3  # the injected ones only: none was followed by a call that came too soon
        first = calls[limited[0]]
        after = next(c for c in calls[limited[0] + 1 :] if c.channel == DISCORD_CHANNEL)
        assert after.at - first.at >= 7.5  # the JSON retry_after, to the microsecond
        assert after.at - first.at < 7.5 + 2.0
        global_hit = calls[limited[-1]]
        following = calls[limited[-1] + 1]
        assert following.at - global_hit.at >= 3.25


def test_a_ten_second_outage_and_lost_answers_lose_nothing_and_post_nothing_twice(tmp_path, clock: VirtualClock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(db_url(tmp_path / "bot.db"), slack, discord, clock)

        def faults(tick: int) -> None:
            if tick == 4:
                discord.lose_next_answer(POSTS)
            if tick == 9:
                discord.outage(10.0)
            if tick == 25:
                discord.outage(10.0, mode="drop")
            if tick == 40:
                discord.lose_next_answer("POST /webhooks/{webhook_id}/{webhook_token}")

        run_ticks(night.poller, night.worker, night.store, clock, tick=1.0, before_tick=faults)
        assert_each_alert_once_on_discord(discord, night.store, DISCORD_CHANNEL, DISCORD_CHANNEL)
        assert_each_alert_once_on_discord(discord, night.store, night.webhook, discord.webhook_channel(night.webhook_url))
        assert [c for c in discord.calls if not c.answered]  # the lost answers happened
        assert [c for c in discord.calls if c.status == 503]
        assert night.worker.stats["history_checks"] >= 1
        assert unsent(night.store) == 0


def test_nonce_makes_a_second_try_return_the_first_message(clock: VirtualClock) -> None:
    with FakeDiscord(clock=clock.monotonic) as discord:
        sink = DiscordSink(discord.base_url, discord.bot_token, monotonic=clock.monotonic)
        alert = Alert(
            "al",
            None,
            "2017-12-13T01:00:00+00:00",
            False,
            (Event(EventKind.FEED_STALE, "k", "al", None, {"minutes": 20}),),
            None,
        )
        discord.lose_next_answer(POSTS)
        with pytest.raises(DeliveryError) as lost:
            sink.send(alert, DISCORD_CHANNEL)
        assert lost.value.uncertain
        again = sink.send(alert, DISCORD_CHANNEL)
        assert [m["id"] for m in discord.messages(DISCORD_CHANNEL)] == [again]
        sent = [c.body for c in discord.calls_to(POSTS)]
        assert sent[0]["nonce"] == sent[1]["nonce"] == nonce(DISCORD_CHANNEL, alert.key) and sent[0]["enforce_nonce"] is True
        assert len(sent[0]["nonce"]) == 25
        assert sink.find_posted(DISCORD_CHANNEL, [alert.key, "other"]) == {alert.key: again}


@pytest.mark.parametrize(
    ("register", "code"), [("missing_channels", "unknown_channel"), ("forbidden_channels", "missing_access")]
)
def test_a_missing_or_forbidden_channel_is_disabled_with_one_line_and_no_more_calls(
    tmp_path, clock: VirtualClock, caplog: pytest.LogCaptureFixture, register: str, code: str
) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        getattr(discord, register).add(DISCORD_CHANNEL)
        night = build_night(db_url(tmp_path / "bot.db"), slack, discord, clock, style="messages")
        with caplog.at_level(logging.INFO):
            run_ticks(night.poller, night.worker, night.store, clock, tick=1.0)
        to_channel = [c for c in discord.calls if c.channel == DISCORD_CHANNEL]
        assert len(to_channel) == 1  # one try, then no more calls to it
        assert night.discord_sink.disabled[DISCORD_CHANNEL].code == code
        lines = [r.getMessage() for r in caplog.records if DISCORD_CHANNEL in r.getMessage() and r.levelno >= logging.ERROR]
        assert len([ln for ln in lines if "disabled" in ln]) == 1
        # the other Discord channel (the webhook) and Slack got the whole night
        assert_each_alert_once_on_discord(discord, night.store, night.webhook, discord.webhook_channel(night.webhook_url))
        assert sent_keys(night.store, "discord", DISCORD_CHANNEL) == []
        assert night.store.backlog().get("failed", 0) > 0
        # /results status says which channel is set aside and why
        [(platform, channel, error)] = night.store.delivery_failures()
        assert (platform, channel) == ("discord", DISCORD_CHANNEL)
        assert error in ("Unknown Channel (Discord 10003)", "Missing Access (Discord 50001)")
        status = answer_text(status_answer([], night.store.backlog(), [], clock.now(), night.store.delivery_failures()))
        assert f"not delivering to discord {DISCORD_CHANNEL}: " in status


def test_a_deleted_webhook_is_disabled_and_its_url_never_logged(tmp_path, clock: VirtualClock, caplog) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(db_url(tmp_path / "bot.db"), slack, discord, clock, style="messages")
        discord.delete_webhook(night.webhook_url)
        discord.lose_next_answer("*")  # a network error on the first call (its text would name the URL)
        with caplog.at_level(logging.DEBUG):
            run_ticks(night.poller, night.worker, night.store, clock, tick=1.0)
        assert night.discord_sink.disabled[night.webhook].code == "unknown_webhook"
        hook_calls = [c for c in discord.calls if c.ids.get("webhook_id") == night.webhook_url.split("/")[-2]]
        assert len(hook_calls) <= 2
        assert any(night.webhook in r.getMessage() for r in caplog.records)
        assert_no_secret("\n".join(r.getMessage() for r in caplog.records) + caplog.text, night.webhook_url)
        with night.store.session() as s:
            errors = [str(e) for e in s.scalars(select(OutboxRow.last_error)).all()]
        assert any("Unknown Webhook" in e for e in errors)
        assert_no_secret("\n".join(errors), night.webhook_url)


def test_a_deleted_card_is_posted_anew_once(tmp_path, clock: VirtualClock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(db_url(tmp_path / "bot.db"), slack, discord, clock, card_throttle=1.0, webhook=False)
        deleted: list[str] = []

        def delete_card(tick: int) -> None:
            if tick in (15, 25):
                cards = [c for c in night.store.cards("discord", None) if c.status == "live" and c.message_id]
                if cards:
                    discord.delete_message(DISCORD_CHANNEL, cards[0].message_id)
                    deleted.append(cards[0].message_id)

        run_ticks(night.poller, night.worker, night.store, clock, tick=1.0, before_tick=delete_card)
        assert deleted
        assert night.worker.stats["cards_lost"] >= 1
        races = {c.race_key for c in night.store.cards("discord", None)}
        card_posts = [c for c in discord.calls_to(POSTS) if c.ok and any(card_ref(k) in refs_in(c.body) for k in races)]
        assert len(card_posts) == len(races) + night.worker.stats["cards_lost"]  # each lost card posted anew once
        assert_each_alert_once_on_discord(discord, night.store, DISCORD_CHANNEL, DISCORD_CHANNEL)
        live = [c for c in night.store.cards("discord", None) if c.status == "live"]
        assert all(c.message_id not in deleted for c in live)
        assert night.worker.stats["cards_lost"] + night.worker.stats["cards_frozen"] == len(deleted)


def test_find_posted_reads_a_thread_that_was_never_started_as_empty(clock: VirtualClock) -> None:
    with FakeDiscord(clock=clock.monotonic) as discord:
        sink = DiscordSink(discord.base_url, discord.bot_token, monotonic=clock.monotonic)
        card = requests.post(
            f"{discord.base_url}/channels/{DISCORD_CHANNEL}/messages",
            json={"content": "card"},
            headers=discord.auth_headers(),
            timeout=5,
        ).json()
        assert sink.find_posted(DISCORD_CHANNEL, ["k"], thread_id=card["id"]) == {}
        assert DISCORD_CHANNEL not in sink.disabled
        assert ref("k") not in str(discord.messages(DISCORD_CHANNEL))


def test_a_long_outage_ends_in_one_catch_up_message_carrying_every_held_alert(tmp_path, clock: VirtualClock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(db_url(tmp_path / "bot.db"), slack, discord, clock, style="messages", webhook=False)
        run_ticks(night.poller, night.worker, night.store, clock, tick=1.0, polls=3)
        discord.outage(20 * 60)  # twenty minutes: past summarize_after (15)
        run_ticks(night.poller, night.worker, night.store, clock, tick=30.0, polls=40, drain=False)
        run_ticks(night.poller, night.worker, night.store, clock, tick=30.0)
        assert night.worker.stats["summaries"] >= 1
        summaries = [
            c.body for c in discord.calls_to(POSTS) if c.ok and "Catching up" in c.body["embeds"][0].get("title", "")
        ]
        assert summaries and len(refs_in(summaries[0])) >= 2
        assert_each_alert_once_on_discord(discord, night.store, DISCORD_CHANNEL, DISCORD_CHANNEL)
        assert_each_alert_once_on_slack(slack, night.store, SLACK_CHANNEL)


def test_a_refused_bot_token_is_said_once_and_not_tried_again(clock: VirtualClock, caplog) -> None:
    with FakeDiscord(clock=clock.monotonic) as discord:
        url = discord.add_webhook("2000000000000000002")
        sink = DiscordSink(discord.base_url, "not-the-token", [url], monotonic=clock.monotonic)
        alert = Alert(
            "al",
            None,
            "2017-12-13T01:00:00+00:00",
            False,
            (Event(EventKind.FEED_STALE, "k", "al", None, {"minutes": 20}),),
            None,
        )
        with caplog.at_level(logging.ERROR):
            for _ in range(3):
                with pytest.raises(DeliveryError) as refused:
                    sink.send(alert, DISCORD_CHANNEL)
                assert refused.value.permanent and refused.value.code == "unauthorized"
        assert [c.status for c in discord.calls] == [401]
        assert len([r for r in caplog.records if "refused (401)" in r.getMessage()]) == 1
        assert sink.send(alert, sink.webhook_channels[0])  # webhooks need no bot token
