"""The sink contract (bot/delivery/sink.py) as behaviour, one suite for every sink: the in-memory
sink the worker's unit tests use (tests/fakes/memory_sink.py) and the real SlackSink and
DiscordSink against the fake Slack and Discord over loopback. What the worker decides on (a
message id back, a post found again by its key, ``uncertain``, ``retry_after``, ``permanent``,
``MessageGone(DELETED)``, a picture's file told before it is shared) must mean the same from each,
or the unit tests would prove the worker right against a platform that does not exist.

Each platform's faults are injected in its own wire terms (``Platform``): a 429 with its
Retry-After, a 503, an answer lost after the post landed, a channel that does not exist, a
message deleted by a person. tests/unit/test_sink_contract.py checks the names and signatures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.core.events import EventKind
from bot.delivery.discord import DiscordSink
from bot.delivery.sink import DeliveryError, Gone, MessageGone
from bot.delivery.slack import SlackSink, make_client
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.memory_sink import MemorySink
from tests.fakes.sample_alerts import alert, facts, picture
from tests.fakes.slack_api import FakeSlack

RETRY_AFTER = 7
DISCORD_POSTS = "POST /channels/{channel_id}/messages"


@dataclass
class Platform:
    """One sink with its platform's way of failing: ``fault(kind, what)`` queues the next
    ``what`` ("post": a message, "picture": a picture's share) to fail as ``kind``: "429",
    "5xx" or "lost" (carried out, the answer dropped)."""

    name: str
    sink: Any
    channel: str
    other_channel: str
    missing_channel: str
    fault: Callable[[str, str], None]
    delete: Callable[[str, str], object]


def _memory() -> Iterator[Platform]:
    sink = MemorySink(time.monotonic, min_interval=0.0)
    sink.missing_channels.add("CGONE")
    method = {"post": "send", "picture": "send_picture"}

    def fault(kind: str, what: str) -> None:
        if kind == "429":
            sink.rate_limit_next(method[what], RETRY_AFTER)
        elif kind == "5xx":
            sink.fail_next(method[what])
        else:
            sink.lose_next_answer(method[what])

    yield Platform("memory", sink, "C1", "C2", "CGONE", fault, lambda channel, message_id: sink.delete_message(message_id))


def _slack() -> Iterator[Platform]:
    with FakeSlack() as slack:
        slack.missing_channels.add("CGONE")
        sink = SlackSink(make_client("xoxb-test", slack.base_url, timeout=5), 0.0, 0.0)
        method = {"post": "chat.postMessage", "picture": "files.completeUploadExternal"}

        def fault(kind: str, what: str) -> None:
            if kind == "429":
                slack.fail_next(method[what], 429, retry_after=RETRY_AFTER)
            elif kind == "5xx":
                slack.fail_next(method[what], 503)
            else:
                slack.lose_next_answer(method[what])

        yield Platform("slack", sink, "C1", "C2", "CGONE", fault, slack.delete_message)


def _discord() -> Iterator[Platform]:
    with FakeDiscord() as discord:
        discord.missing_channels.add("999")
        sink = DiscordSink(discord.base_url, discord.bot_token, min_interval=0.0, timeout=5)

        def fault(kind: str, what: str) -> None:
            files = True if what == "picture" else None
            if kind == "429":
                discord.fail_next(DISCORD_POSTS, 429, retry_after=RETRY_AFTER, with_files=files)
            elif kind == "5xx":
                discord.fail_next(DISCORD_POSTS, 503, with_files=files)
            else:
                discord.lose_next_answer(DISCORD_POSTS, with_files=files)

        yield Platform("discord", sink, "111", "222", "999", fault, discord.delete_message)


@pytest.fixture(params=["memory", "slack", "discord"])
def platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    yield from {"memory": _memory, "slack": _slack, "discord": _discord}[request.param]()


# --- posts and finding them again ----------------------------------------------------------------


def test_send_returns_a_message_id_and_find_posted_finds_it_by_its_key_in_that_channel_only(platform: Platform) -> None:
    sink, sent, unsent = platform.sink, alert(1), alert(2)
    message_id = sink.send(sent, platform.channel)
    assert isinstance(message_id, str) and message_id
    assert sink.find_posted(platform.channel, [sent.key, unsent.key]) == {sent.key: message_id}
    assert sink.find_posted(platform.other_channel, [sent.key]) == {}


def test_a_summary_and_a_rollup_are_found_by_every_key_they_carry(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    held, over = [alert(1), alert(2, "AL-2")], [alert(3), alert(4, "AL-2")]
    summary = sink.send_summary(held, channel, 20)
    rollup = sink.send_rollup(over, channel, 10)
    assert summary and rollup and summary != rollup
    found = sink.find_posted(channel, [a.key for a in held + over])
    assert found == {held[0].key: summary, held[1].key: summary, over[0].key: rollup, over[1].key: rollup}


def test_a_lost_answer_is_uncertain_and_the_post_is_found_after_all(platform: Platform) -> None:
    platform.fault("lost", "post")
    with pytest.raises(DeliveryError) as lost:
        platform.sink.send(alert(1), platform.channel)
    assert lost.value.uncertain and not lost.value.permanent and lost.value.retry_after is None
    assert list(platform.sink.find_posted(platform.channel, [alert(1).key])) == [alert(1).key]


def test_a_5xx_is_uncertain_and_nothing_landed(platform: Platform) -> None:
    platform.fault("5xx", "post")
    with pytest.raises(DeliveryError) as failed:
        platform.sink.send(alert(1), platform.channel)
    assert failed.value.uncertain and not failed.value.permanent and failed.value.retry_after is None
    assert platform.sink.find_posted(platform.channel, [alert(1).key]) == {}


def test_a_rate_limit_carries_its_retry_after_and_nothing_landed(platform: Platform) -> None:
    platform.fault("429", "post")
    with pytest.raises(DeliveryError) as limited:
        platform.sink.send(alert(1), platform.channel)
    error = limited.value
    assert error.retry_after == RETRY_AFTER and not error.permanent and not error.uncertain and not error.gone
    assert platform.sink.find_posted(platform.channel, [alert(1).key]) == {}


def test_a_channel_that_does_not_exist_is_permanent_and_says_what_to_do(platform: Platform) -> None:
    with pytest.raises(DeliveryError) as refused:
        platform.sink.send(alert(1), platform.missing_channel)
    assert refused.value.permanent and refused.value.action and not refused.value.uncertain
    assert refused.value.retry_after is None and not refused.value.gone


# --- live cards ------------------------------------------------------------------------------------


def test_a_card_is_found_by_its_race_unless_retired_and_edited_in_place(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    assert isinstance(sink.card_message(facts()), dict)
    card = sink.post_card(facts(), "al", channel)
    assert isinstance(card, str) and card
    assert sink.find_card(channel, "AL-1") == card
    assert sink.find_card(channel, "AL-1", exclude=[card]) is None
    assert sink.find_card(channel, "AL-2") is None and sink.find_card(platform.other_channel, "AL-1") is None
    assert sink.update_card(facts(votes=(700_000, 650_436)), channel, card) is None
    assert sink.find_card(channel, "AL-1") == card  # edited, not posted anew
    assert sink.channel_id(channel) == channel  # configured by id, so nothing to learn


def test_update_card_on_a_deleted_card_raises_message_gone_deleted(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    card = sink.post_card(facts(), "al", channel)
    assert platform.delete(channel, card)
    with pytest.raises(MessageGone) as gone:
        sink.update_card(facts(), channel, card)
    assert gone.value.because is Gone.DELETED and not gone.value.message_exists and gone.value.gone
    assert not gone.value.permanent and gone.value.retry_after is None
    assert sink.find_card(channel, "AL-1") is None


def test_a_reply_in_a_cards_thread_is_found_there_and_a_broadcast_one_in_the_channel(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    card = sink.post_card(facts(), "al", channel)
    reply = sink.send(alert(1), channel, thread_id=card)
    assert sink.find_posted(channel, [alert(1).key], thread_id=card) == {alert(1).key: reply}
    lead = alert(2, kind=EventKind.LEAD_CHANGE)
    shown = sink.send(lead, channel, thread_id=card, broadcast=True)
    assert sink.find_posted(channel, [lead.key]) == {lead.key: shown}


# --- pictures ------------------------------------------------------------------------------------------


def test_a_picture_is_announced_before_it_is_shared_and_found_by_that_name_after(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    sink.send(alert(1), channel)  # a call comes before its pictures (Slack learns the channel's id)
    announced: list[str] = []
    assert sink.send_picture(picture(), channel, on_uploaded=announced.append)
    (name,) = announced
    assert sink.find_picture(channel, name) is not None
    assert sink.find_picture(platform.other_channel, name) is None


def test_a_picture_whose_answer_was_lost_is_uncertain_and_found(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    sink.send(alert(1), channel)
    platform.fault("lost", "picture")
    announced: list[str] = []
    with pytest.raises(DeliveryError) as lost:
        sink.send_picture(picture(), channel, on_uploaded=announced.append)
    assert lost.value.uncertain
    assert sink.find_picture(channel, announced[0]) is not None


def test_a_picture_refused_with_a_5xx_is_uncertain_and_not_shared(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    sink.send(alert(1), channel)
    platform.fault("5xx", "picture")
    announced: list[str] = []
    with pytest.raises(DeliveryError) as failed:
        sink.send_picture(picture(), channel, on_uploaded=announced.append)
    assert failed.value.uncertain and not failed.value.permanent
    assert announced and sink.find_picture(channel, announced[0]) is None


def test_a_picture_for_a_deleted_cards_thread_raises_gone_and_nothing_is_shared(platform: Platform) -> None:
    sink, channel = platform.sink, platform.channel
    card = sink.post_card(facts(), "al", channel)
    assert platform.delete(channel, card)
    announced: list[str] = []
    with pytest.raises(DeliveryError) as gone:
        sink.send_picture(picture(), channel, thread_id=card, on_uploaded=announced.append)
    assert gone.value.gone and not gone.value.permanent
    assert all(sink.find_picture(channel, name) is None for name in announced)
