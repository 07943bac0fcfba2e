"""Message hygiene, checked on what reaches Slack (FakeSlack's record), with feeds at their worst:
80 events in one alert, 60 candidates with 2,000-character names full of ``&<>``, a catch-up
summary of 80 races. Every message must stay within Block Kit's limits (≤ 50 blocks, ≤ 3,000
characters per text, headers ≤ 150, context ≤ 10 elements) with a plain-text fallback, posts
must not unfurl links, and no feed text may become a mention."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.core.events import Alert, Event, EventKind
from bot.core.rules import race_facts
from bot.delivery.slack import SlackSink, make_client
from bot.rehearsal.scenarios import load_scenario
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.harness import rules

PING = "<!channel> <@U123> <!here> & "


def _worst_alerts() -> list[Alert]:
    snap = load_scenario()[-1]
    facts = race_facts(snap.races["AL-1000"], rules(), snap.generated_at)
    base = facts.candidates[0]
    candidates = tuple(dataclasses.replace(base, id=f"c{i}", name=(PING * 80) + f"#{i}", winner=i == 0) for i in range(60))
    facts = dataclasses.replace(facts, office=PING * 200, candidates=candidates)
    events = (
        Event(EventKind.LEAD_CHANGE, "lead", "al-2017", "AL-1000", {"leader": "c0", "previous_leader": "c1"}),
        *(
            Event(
                EventKind.COUNTY_BATCH, f"k{i}", "al-2017", "AL-1000", {"unit": PING * 40, "added": 10, "deltas": {"c1": 10}}
            )
            for i in range(80)
        ),
    )
    alert = Alert("al-2017", "AL-1000", snap.generated_at.isoformat(), False, events, facts)
    return [dataclasses.replace(alert, race_key=f"AL-{i}") for i in range(80)]


def _check(message: dict[str, Any]) -> None:
    assert isinstance(message.get("text"), str) and message["text"].strip(), "a plain-text fallback"
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        elif block["type"] == "context":
            assert len(block["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in block["elements"])
    dumped = json.dumps(message, ensure_ascii=False)
    for mention in ("<!channel>", "<@U123>", "<!here>"):
        assert mention not in dumped


def test_worst_case_messages_stay_within_block_kit_limits_and_never_ping(tmp_path):
    alerts = _worst_alerts()
    with FakeSlack() as slack:
        sink = SlackSink(make_client("xoxb-test", slack.base_url), 0)
        sink.send(alerts[0], "C1")
        card_ts = sink.post_card(alerts[0].facts, "al-2017", "C1")
        assert card_ts
        sink.update_card(alerts[0].facts, "C1", card_ts)
        sink.send(alerts[1], "C1", thread_id=card_ts, broadcast=True)
        sink.send_summary(alerts, "C1", 45)
        calls = slack.calls_to("chat.postMessage") + slack.calls_to("chat.update")
        assert len(calls) == 5 and all(c.ok for c in calls)
        for call in calls:
            _check(call.params)
        for call in slack.calls_to("chat.postMessage"):
            assert call.params["unfurl_links"] is False and call.params["unfurl_media"] is False
        assert "&lt;!channel&gt;" in slack.calls_to("chat.postMessage")[0].params["text"]
