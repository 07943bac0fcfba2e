"""Discord rendering keeps Discord's limits and never pings, whatever the feed says.

The limits are checked by the fake Discord's own validator (``tests.fakes.discord_api``), the
one the integration tests post through, so a payload that passes here is one Discord accepts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.digest import build as build_digest
from bot.core.events import Alert, Event, EventKind
from bot.core.model import Candidate
from bot.core.rules import race_facts
from bot.render import discord
from bot.render.digest_words import DIGEST_WORDS
from bot.render.text import alert_text, event_line
from tests.fakes.discord_api import _Rejected, validate_message
from tests.unit.core.helpers import SETTINGS, race

AT = datetime(2017, 12, 13, 4, 0, tzinfo=UTC)
#: an unescaped mention, channel link or role ping, or a bare @everyone/@here
PING = re.compile(r"(?<!\\)<[@#]|@(everyone|here)")


def facts_for(names: tuple[str, str] = ("Doug Jones", "Roy Moore"), votes: tuple[int, int] = (671_151, 650_436), **kw: Any):
    candidates = (Candidate("a", names[0], "Dem"), Candidate("b", names[1], "GOP"))
    return race_facts(race({"a": votes[0], "b": votes[1]}, candidates=candidates, **kw), SETTINGS, AT)


def alert_for(facts, *kinds: EventKind, test: bool = False) -> Alert:
    details = {
        EventKind.LEAD_CHANGE: {"leader": "a", "previous_leader": "b"},
        EventKind.RACE_CALLED: {"winners": ["a"]},
        EventKind.MILESTONE: {"percent": 50},
        EventKind.FEED_STALE: {"minutes": 20},
    }
    events = tuple(Event(k, f"k-{k.value}", "al", facts.race_key if facts else None, details.get(k, {})) for k in kinds)
    return Alert("al", facts.race_key if facts else None, AT.isoformat(), test, events, facts)


def assert_accepted(message: dict[str, Any]) -> None:
    try:
        validate_message(message)
    except _Rejected as rejected:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"Discord would refuse it: {rejected.reply.payload}") from None
    assert message["allowed_mentions"] == {"parse": []}
    assert discord.message_size(message) <= discord.EMBEDS_TOTAL_MAX
    for text in discord.texts(message):
        assert not PING.search(text), text


def test_alert_uses_the_neutral_words_and_numbers() -> None:
    facts = facts_for()
    alert = alert_for(facts, EventKind.LEAD_CHANGE, EventKind.MILESTONE)
    message = discord.alert_message(alert)
    assert_accepted(message)
    [embed] = message["embeds"]
    assert embed["title"] == "Alabama U.S. Senate"
    assert embed["description"].startswith("**" + discord.escape(event_line(alert.events[0], facts)) + "**")
    assert "671,151 (50.78 %)" in embed["fields"][0]["value"]
    assert message["content"] == discord.escape(alert_text(alert).split("\n")[0])
    assert embed["color"] == discord.PARTY_COLOURS["Dem"]
    assert discord.ref(alert.key) in embed["footer"]["text"]
    assert discord.refs_in(message) == {discord.ref(alert.key)}


def test_colour_follows_the_leader_and_test_data_is_stamped() -> None:
    gop = facts_for(votes=(10, 20), test=True)
    message = discord.alert_message(alert_for(gop, EventKind.MILESTONE, test=True))
    assert message["embeds"][0]["color"] == discord.PARTY_COLOURS["GOP"]
    assert message["embeds"][0]["title"].startswith("TEST — ") and message["content"].startswith("TEST — ")
    feed_notice = discord.alert_message(alert_for(None, EventKind.FEED_STALE))
    assert feed_notice["embeds"][0]["color"] == discord.NOTICE and "fields" in feed_notice["embeds"][0]
    assert_accepted(feed_notice)


@pytest.mark.parametrize(
    "name", ["@everyone", "@here", "<@&123456>", "<@123>", "<#42>", "**bold** _it_ ~~s~~ `c` ||spoiler||"]
)
def test_feed_text_cannot_ping_or_format(name: str) -> None:
    facts = facts_for(names=(name, "Roy Moore"))
    for message in (
        discord.alert_message(alert_for(facts, EventKind.LEAD_CHANGE)),
        discord.live_card(facts),
        discord.rollup_message([alert_for(facts, EventKind.LEAD_CHANGE)], 10),
        discord.summary_message([alert_for(facts, EventKind.RACE_CALLED)] * 2, 20),
    ):
        assert_accepted(message)
        shown = "\n".join(discord.texts(message))
        assert discord.escape(name) in shown and name not in shown


def test_escape_backslashes_markdown_and_defangs_mentions() -> None:
    assert discord.escape("**x**") == "\\*\\*x\\*\\*"
    assert discord.escape("@everyone <@&1>") == "@\u200beveryone \\<@\u200b&1\\>"
    assert discord.escape("- item\n# head") == "\\- item\n\\# head"
    assert discord.escape("Smith-Jones 49.92 %") == "Smith-Jones 49.92 %"


def test_clip_is_exact_at_the_boundary_and_never_leaves_a_lone_escape() -> None:
    assert discord.clip("x" * 256, 256) == "x" * 256
    assert discord.clip("x" * 257, 256) == "x" * 255 + "…"
    assert discord.clip("ab\\*cd", 4) == "ab…"


def test_live_card_bars_and_thread_name() -> None:
    facts = facts_for()
    card = discord.live_card(facts)
    assert_accepted(card)
    embed = card["embeds"][0]
    assert "**Doug Jones (Dem)**" in embed["description"] and "671,151 · 50.78 %" in embed["description"]
    assert [f["name"] for f in embed["fields"]][:3] == ["Lead", "Reporting", "Status"]
    assert discord.card_ref(facts.race_key) in embed["footer"]["text"]
    assert discord.thread_name(facts, facts.race_key) == "Alabama U.S. Senate"
    assert len(discord.thread_name(facts_for(names=("x" * 300, "y")), "k")) <= 100


def test_rollup_carries_every_key_and_summary_keeps_calls() -> None:
    facts = facts_for()
    alerts = [alert_for(facts, EventKind.MILESTONE), alert_for(facts, EventKind.RACE_CALLED)]
    rollup = discord.rollup_message(alerts, 10)
    assert_accepted(rollup)
    assert discord.refs_in(rollup) == {discord.ref(a.key) for a in alerts}
    assert "held back to keep this channel under 10 messages a minute" in rollup["embeds"][0]["title"]
    summary = discord.summary_message(alerts, 20)
    assert_accepted(summary)
    assert "RACE CALLED: Doug Jones (Dem) wins" in summary["embeds"][0]["description"]
    assert "1 other updates" in summary["embeds"][0]["description"]


def test_forty_long_alerts_roll_up_within_the_limits_and_say_what_was_left_out() -> None:
    facts = facts_for(names=("N" * 200, "M" * 200))
    alerts = [alert_for(facts, EventKind.LEAD_CHANGE, EventKind.MILESTONE) for _ in range(40)]
    rollup = discord.rollup_message(alerts, 10)
    assert_accepted(rollup)
    assert "more; /results has the numbers" in rollup["embeds"][-1]["description"]
    assert len(discord.refs_in(rollup)) == 1  # forty alerts of one key; a distinct key each would be forty refs


def test_digest_lists_every_race_under_its_bold_headline() -> None:
    races = [facts_for(names=(f"@everyone {i}", "Roy Moore"), state=state) for i, state in enumerate(["AL", "GA", "FL"])]
    alerts = [alert_for(f, EventKind.MILESTONE) for f in races]
    [digest] = build_digest(alerts, channel="1", version="v1", words=DIGEST_WORDS)
    message = discord.digest_message(digest)
    assert_accepted(message)
    body = message["embeds"][0]["description"]
    assert body.startswith("**") and all(name in body for name in ("Alabama", "Georgia", "Florida"))
    assert message["embeds"][0]["title"].startswith("News in 3 races across 3 states")
    assert discord.refs_in(message) == {discord.ref(digest.key)}


# --- the property: any text, any length → within every limit, nothing pings ---------------------

feed_text = (
    st.lists(st.sampled_from([*"ab @<>&#*_~`|[]()-:\\\n", "@everyone", "@here", "<@&1>", "<#2>", "é", "🗳"]), max_size=120)
    .map("".join)
    .map(lambda t: t or "x")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=feed_text, b=feed_text, repeat=st.integers(1, 30), test=st.booleans())
def test_any_feed_text_stays_within_every_limit_and_cannot_ping(a: str, b: str, repeat: int, test: bool) -> None:
    facts = facts_for(names=(a * repeat, b), test=test)
    alert = alert_for(facts, EventKind.LEAD_CHANGE, EventKind.RACE_CALLED, EventKind.MILESTONE, test=test)
    for message in (
        discord.alert_message(alert),
        discord.live_card(facts),
        discord.rollup_message([alert] * repeat, 10),
        discord.summary_message([alert] * repeat, 30),
    ):
        assert_accepted(message)
