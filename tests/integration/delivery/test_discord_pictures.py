"""Pictures on Discord through the outbox: the Alabama night's call brings the chart and the swing
map to a Discord channel (into the card's thread) and through a webhook (right after the call),
each as one multipart message (``payload_json`` + ``files[0]``) with its alt text, exactly once:
paced, a 429 waited out, a lost answer found again by the picture's ref instead of posted twice,
a gone channel disabled with one line, a card deleted before its thread opened sending the
picture to the channel, and files over Discord's limits refused before any call.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pytest

from bot.app.pictures import PictureDesk
from bot.core.picture_orders import PictureOrder
from bot.delivery.discord import BOT_FILE_MAX, WEBHOOK_FILE_MAX, DiscordSink
from bot.delivery.sink import DeliveryError
from bot.render.discord import ref, refs_in
from bot.render.picture import Picture
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.discord_night import (
    DISCORD_CHANNEL,
    Night,
    assert_no_call_could_ping,
    build_night,
    discord_messages,
)
from tests.integration.delivery.harness import run_ticks
from tests.integration.delivery.test_uploads import stub_figures
from tests.integration.delivery.test_uploads_fake import tiny_png

POSTS = "POST /channels/{channel_id}/messages"
WEBHOOK_CHANNEL = "2000000000000000002"
NAMES = ["AL-1000-chart.png", "AL-1000-swing_map.png"]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def with_pictures(night: Night, figures: dict[str, Any] | None = None) -> PictureDesk:
    desk = PictureDesk(night.store, figures if figures is not None else stub_figures(), platforms=("slack", "discord"))
    night.poller.pictures, night.worker.draw = desk.orders, desk.draw
    return desk


def card_threads(discord: FakeDiscord) -> list[str]:
    """The threads started from the channel's cards (one race tonight: one card, one thread;
    a thread's id is its card's message id)."""
    return [tid for tid, t in discord.threads().items() if t["parent_id"] == DISCORD_CHANNEL]


def picture_posts(discord: FakeDiscord) -> list[Any]:
    return [c for c in discord.message_calls() if c.ok and c.files]


def test_the_call_brings_each_picture_once_into_the_cards_thread_and_through_the_webhook(tmp_path, clock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(f"sqlite:///{tmp_path / 'bot.db'}", slack, discord, clock, card_throttle=0.0)
        night.worker.styles[night.webhook] = "messages"
        with_pictures(night)
        run_ticks(night.poller, night.worker, night.store, clock)

        # the card channel: both pictures in the race's card thread, once each
        [thread] = card_threads(discord)
        in_thread = discord.uploads(thread)
        assert [u.filename for u in in_thread] == NAMES
        assert [u.filename for u in discord.uploads(DISCORD_CHANNEL)] == []
        # the webhook's channel: right after the call, before anything newer
        history = discord.messages(WEBHOOK_CHANNEL)
        first = next(i for i, m in enumerate(history) if m.get("attachments"))
        assert "RACE CALLED" in history[first - 1]["content"].upper()
        assert [m["attachments"][0]["filename"] for m in history[first : first + 2]] == NAMES
        assert all(not m.get("attachments") for m in history[first + 2 :])

        for upload in in_thread + discord.uploads(WEBHOOK_CHANNEL):
            kind = upload.filename.split("-")[-1].removesuffix(".png")
            assert upload.data == tiny_png(len(kind))  # the drawn bytes, as drawn
            assert upload.description == f"{kind} alt text"  # the alt text, where screen readers read it
            [embed] = upload.payload["embeds"]
            assert embed["image"] == {"url": f"attachment://{upload.filename}"}
            assert upload.payload["attachments"] == [
                {"id": 0, "filename": upload.filename, "description": f"{kind} alt text"}
            ]
        # every picture message shows its image (the fake resolves attachment:// as Discord does)
        shown = [m for m in discord_messages(discord, DISCORD_CHANNEL) + history if m.get("attachments")]
        assert len(shown) == 4 and all(m["embeds"][0]["image"]["url"].startswith("http://127.0.0.1") for m in shown)
        assert_no_call_could_ping(discord)
        # and the alerts as before: each once (a picture row is found by its own ref, never an alert's)
        sent = night.store.sent_alerts("discord")
        alerts = [a.key for ch, a in sent if ch == DISCORD_CHANNEL and not isinstance(a, PictureOrder)]
        in_channel = Counter(marker for m in discord_messages(discord, DISCORD_CHANNEL) for marker in refs_in(m))
        assert len(alerts) > 10 and all(in_channel[ref(key)] == 1 for key in alerts)
        assert night.worker.stats["pictures"] == 6  # 2 to Slack, 2 to the channel, 2 through the webhook
        bot_posts = [c for c in picture_posts(discord) if c.route == POSTS]
        assert all(c.body["enforce_nonce"] and len(c.body["nonce"]) <= 25 for c in bot_posts)


def test_pictures_are_paced_like_posts_and_a_429_is_waited_out_exactly(tmp_path, clock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(
            f"sqlite:///{tmp_path / 'bot.db'}", slack, discord, clock, style="messages", webhook=False, min_interval=1.0
        )
        with_pictures(night)
        discord.fail_next(POSTS, retry_after=6.5, channel=DISCORD_CHANNEL, with_files=True)
        run_ticks(night.poller, night.worker, night.store, clock)
        calls = [c for c in discord.calls_to(POSTS) if c.channel == DISCORD_CHANNEL]
        refused = next(i for i, c in enumerate(calls) if c.status == 429)
        assert calls[refused + 1].at - calls[refused].at >= 6.5  # Discord's retry_after, no sooner
        assert Counter(u.filename for u in discord.uploads(DISCORD_CHANNEL)) == Counter(NAMES)
        times = sorted(c.at for c in calls if c.ok)
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 1.0 - 1e-6  # one post a second


def test_a_lost_answer_is_found_by_the_pictures_ref_and_not_posted_again(tmp_path, clock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(f"sqlite:///{tmp_path / 'bot.db'}", slack, discord, clock, card_throttle=0.0)
        with_pictures(night)
        discord.lose_next_answer(POSTS, with_files=True)
        run_ticks(night.poller, night.worker, night.store, clock)
        [thread] = card_threads(discord)
        assert Counter(u.filename for u in discord.uploads(thread)) == Counter(NAMES)  # once each, not three
        unanswered = [c for c in discord.calls_to(POSTS) if not c.answered]
        assert len(unanswered) == 1 and unanswered[0].files
        assert night.worker.stats["picture_checks"] >= 1 and night.worker.stats["reconciled"] >= 1


def test_a_card_deleted_before_its_thread_opened_sends_the_picture_to_the_channel(tmp_path, clock) -> None:
    with FakeSlack(clock=clock.monotonic) as slack, FakeDiscord(clock=clock.monotonic) as discord:
        night = build_night(f"sqlite:///{tmp_path / 'bot.db'}", slack, discord, clock, webhook=False)
        sink = night.discord_sink
        card = sink._post(DISCORD_CHANNEL, {"content": "card", "allowed_mentions": {"parse": []}}, None)
        assert card is not None and discord.delete_message(DISCORD_CHANNEL, card)
        picture = Picture(tiny_png(3), "al-chart.png", "Alabama: the night", "Jones leads by 20,715")
        with pytest.raises(DeliveryError) as gone:
            sink.send_picture(picture, DISCORD_CHANNEL, thread_id=card)
        assert gone.value.gone and not gone.value.permanent and DISCORD_CHANNEL not in sink.disabled
        posted = sink.send_picture(picture, DISCORD_CHANNEL)  # what the worker does next
        assert [u.message_id for u in discord.uploads(DISCORD_CHANNEL)] == [posted]


def test_a_thread_found_after_a_crash_and_a_picture_never_posted_is_not_found(tmp_path, clock) -> None:
    with FakeDiscord(clock=clock.monotonic) as discord:
        sink = DiscordSink(discord.base_url, discord.bot_token, monotonic=clock.monotonic)
        card = sink._post(DISCORD_CHANNEL, {"content": "card", "allowed_mentions": {"parse": []}}, None)
        assert card is not None
        picture = Picture(tiny_png(3), "al-chart.png", "Alabama: the night", "Jones leads by 20,715")
        markers: list[str] = []
        posted = sink.send_picture(picture, DISCORD_CHANNEL, thread_id=card, on_uploaded=markers.append)
        assert sink.find_picture(DISCORD_CHANNEL, markers[0]) == posted
        other = Picture(tiny_png(4), "al-map.png", "Alabama: the map", "swing")
        unsent: list[str] = []
        discord.fail_next(POSTS, status=400, body={"message": "no", "code": 0}, channel=card)
        with pytest.raises(DeliveryError):
            sink.send_picture(other, DISCORD_CHANNEL, thread_id=card, on_uploaded=unsent.append)
        assert unsent and sink.find_picture(DISCORD_CHANNEL, unsent[0]) is None
        # the same bytes to the same place again: the same nonce, so Discord returns the first message
        assert sink.send_picture(picture, DISCORD_CHANNEL, thread_id=card) == posted
        assert len(discord.uploads(card)) == 1


def test_a_gone_channel_is_disabled_with_one_line_and_no_more_calls(tmp_path, clock, caplog) -> None:
    with FakeDiscord(clock=clock.monotonic) as discord:
        sink = DiscordSink(discord.base_url, discord.bot_token, monotonic=clock.monotonic)
        discord.missing_channels.add(DISCORD_CHANNEL)
        picture = Picture(tiny_png(3), "al-chart.png", "Alabama: the night", "Jones leads by 20,715")
        with caplog.at_level(logging.ERROR, logger="electionbot.discord"):
            for _ in range(3):
                with pytest.raises(DeliveryError) as refused:
                    sink.send_picture(picture, DISCORD_CHANNEL)
                assert refused.value.permanent and refused.value.code == "unknown_channel"
        assert len([r for r in caplog.records if "disabled" in r.getMessage()]) == 1
        assert len(discord.calls_to(POSTS)) == 1


@pytest.mark.parametrize(("through", "limit"), [("webhook", WEBHOOK_FILE_MAX), ("bot", BOT_FILE_MAX)])
def test_a_picture_over_discords_limit_is_refused_before_any_call_and_one_at_it_is_sent(
    tmp_path, clock, through: str, limit: int
) -> None:
    with FakeDiscord(clock=clock.monotonic) as discord:
        hook = discord.add_webhook(WEBHOOK_CHANNEL)
        sink = DiscordSink(discord.base_url, discord.bot_token, [hook], monotonic=clock.monotonic)
        channel = sink.webhook_channels[0] if through == "webhook" else DISCORD_CHANNEL
        over = Picture(b"x" * (limit + 1), "big.png", "Big", "too big")
        with pytest.raises(DeliveryError) as refused:
            sink.send_picture(over, channel)
        assert refused.value.permanent and refused.value.code == "file_too_large" and not discord.calls
        assert channel not in sink.disabled  # a picture too large says nothing about the channel
        at_limit = Picture(b"x" * limit, "big.png", "Big", "just fits")
        assert sink.send_picture(at_limit, channel) is not None
        [upload] = discord.uploads()
        assert len(upload.data) == limit and refs_in({"embeds": upload.payload["embeds"]})
