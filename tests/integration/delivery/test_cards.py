"""Live race cards (created once, then only edited, same ts after a restart, alerts in its
thread), the catch-up summary after a long outage, and feed text that tries to ping."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from bot.core.events import Event, EventKind
from bot.delivery.slack import SlackSink, make_client
from bot.render.slack import alert_message, live_card, race_card, summary_message
from bot.store.database import utcnow
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.harness import alert_keys, build, card_posts, unsent


def _drive(poller, worker, store, polls: int | None = None) -> None:
    n = 0
    while polls is None or n < polls:
        n += 1
        result = poller.poll()
        worker.deliver_due()
        if result.status == "unchanged":
            break
    while unsent(store):
        worker.deliver_due()


def test_card_is_created_once_then_updated_and_survives_a_restart(tmp_path):
    db = db_url(tmp_path / "bot.db")
    with FakeSlack() as slack:
        poller, worker, store = build(db, slack.base_url, {"C2": "cards"}, min_interval=0.0, card_throttle=0.0)
        _drive(poller, worker, store, polls=20)
        cards = card_posts(slack.posts("C2"))
        assert len(cards) == 1
        card_ts = slack.calls_to("chat.postMessage")[0].response["ts"]
        updates_before = len(slack.calls_to("chat.update"))
        assert updates_before > 0 and all(c.params["ts"] == card_ts for c in slack.calls_to("chat.update"))
        store.close()

        poller, worker, store = build(db, slack.base_url, {"C2": "cards"}, min_interval=0.0, card_throttle=0.0)  # restart
        _drive(poller, worker, store)
        assert len(card_posts(slack.posts("C2"))) == 1
        updates = slack.calls_to("chat.update")
        assert len(updates) > updates_before and all(c.params["ts"] == card_ts for c in updates)
        replies = [p for p in slack.posts("C2") if p not in cards]
        assert len(alert_keys(replies)) == 40 and all(p["thread_ts"] == card_ts for p in replies)
        broadcast = [p for p in replies if p.get("reply_broadcast")]
        assert {"LEAD CHANGE", "RACE CALLED"} <= {
            w for p in broadcast for w in ("LEAD CHANGE", "RACE CALLED") if w in p["text"]
        }
        assert all(p.get("unfurl_links") is False and p.get("unfurl_media") is False for p in slack.posts("C2"))
        final = slack.messages("C2")[0]
        assert "▇" in json.dumps(final["blocks"], ensure_ascii=False) and "Called for Doug Jones" in final["text"]
        store.close()


def test_card_updates_are_throttled(tmp_path):
    with FakeSlack() as slack:
        poller, worker, store = build(
            db_url(tmp_path / "bot.db"), slack.base_url, {"C2": "cards"}, min_interval=0.0, card_throttle=3600
        )
        _drive(poller, worker, store)
        assert len(slack.calls_to("chat.update")) == 0 and len(card_posts(slack.posts())) == 1
        store.close()


def test_old_alerts_after_a_long_outage_become_one_summary_per_channel(tmp_path):
    start = utcnow()
    with FakeSlack() as slack:
        poller, _, store = build(
            db_url(tmp_path / "bot.db"), slack.base_url, {"C1": "messages", "C2": "cards"}, clock=lambda: start
        )
        while poller.poll().status != "unchanged":
            pass  # Slack unreachable all night: everything queues
        _, worker, store2 = build(
            db_url(tmp_path / "bot.db"),
            slack.base_url,
            {"C1": "messages", "C2": "cards"},
            clock=lambda: start + timedelta(minutes=20),
        )
        while unsent(store2):
            worker.deliver_due()
        for channel in ("C1", "C2"):
            summaries = [p for p in slack.posts(channel) if p["metadata"]["event_type"] == "electionbot_summary"]
            assert len(summaries) == 1
            assert len(alert_keys(summaries)) == 40
            assert "LEAD CHANGE" in summaries[0]["text"] and "RACE CALLED" in summaries[0]["text"]
        store.close()
        store2.close()


def test_feed_text_that_tries_to_ping_is_inert_everywhere(tmp_path):
    from bot.core.rules import race_facts
    from bot.rehearsal.scenarios import load_scenario
    from tests.integration.delivery.harness import rules

    snap = load_scenario()[-1]
    facts = race_facts(snap.races["AL-1000"], rules(), snap.generated_at)
    evil = dataclasses.replace(
        facts,
        office="Senate <!channel>",
        candidates=tuple(dataclasses.replace(c, name=f"<!channel> {c.name} <@U123>") for c in facts.candidates),
    )
    event = Event(
        EventKind.COUNTY_BATCH,
        "k1",
        "al-2017",
        "AL-1000",
        {"unit": "<@U123> County <!here>", "added": 10, "deltas": {facts.candidates[0].id: 10}},
    )
    lead = Event(
        EventKind.LEAD_CHANGE,
        "k2",
        "al-2017",
        "AL-1000",
        {"leader": facts.candidates[0].id, "previous_leader": facts.candidates[1].id},
    )
    from bot.core.events import Alert

    alert = Alert("al-2017", "AL-1000", snap.generated_at.isoformat(), False, (lead, event), evil)
    payloads = [alert_message(alert), live_card(evil), race_card(evil), summary_message([alert, alert], 20)]
    for payload in payloads:
        dumped = json.dumps(payload, ensure_ascii=False)
        for bad in ("<!channel>", "<@U123>", "<!here>"):
            assert bad not in dumped
        assert "&lt;!channel&gt;" in payload["text"]
        assert len(payload["blocks"]) <= 50
        for block in payload["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
    with FakeSlack() as slack:
        sink = SlackSink(make_client("xoxb-test", slack.base_url), 0)
        sink.send(alert, "C1")
        sink.post_card(evil, "al-2017", "C1")
        for message in slack.messages("C1"):
            dumped = json.dumps(message, ensure_ascii=False)
            assert "<!channel>" not in dumped and "<@U123>" not in dumped
