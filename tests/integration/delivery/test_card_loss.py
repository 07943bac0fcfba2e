"""A live card that can no longer be edited: deleted by someone, not the bot's, or past the
workspace's edit window. The card is posted anew once, its new ts kept (later edits and thread
replies use it), one log line says so, there is no loop of new cards, and no alert is lost.

Runs on a VirtualClock (Slack's real pacing, no waiting); FakeSlack and the worker are real.
"""

from __future__ import annotations

import logging
from collections import Counter

from bot.store.database import Store
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import alert_keys, build, run_ticks

RACE = "AL-1000"
CHANNEL = "C2"


def _build(tmp_path, slack: FakeSlack, clock: VirtualClock):
    return build(
        db_url(tmp_path / "bot.db"),
        slack.base_url,
        {CHANNEL: "cards"},
        min_interval=1.0,
        card_throttle=15.0,
        update_interval=1.2,
        backoff_base=1.0,
        max_backoff=30.0,
        budget_seconds=30.0,
        clock=clock.now,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )


def _card_ts(slack: FakeSlack) -> list[str]:
    return [
        c.response["ts"]
        for c in slack.calls_to("chat.postMessage")
        if c.ok and c.params.get("metadata", {}).get("event_type") == "electionbot_card"
    ]


def _gone_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot be edited" in r.getMessage()]


def _all_alerts_once(store: Store, slack: FakeSlack) -> None:
    delivered = alert_keys(slack.posts(CHANNEL))
    assert len(delivered) == 40 and Counter(delivered).most_common(1)[0][1] == 1
    assert store.backlog() == {"sent": 40}


def test_a_deleted_card_is_posted_anew_once_and_everything_moves_to_it(tmp_path, caplog):
    caplog.set_level(logging.INFO, "electionbot.delivery")
    clock = VirtualClock()
    with FakeSlack(rate_limit_per_channel_per_second=1.0, clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock)
        run_ticks(poller, worker, store, clock, polls=20)
        (old_ts,) = _card_ts(slack)
        assert slack.calls_to("chat.update"), "the card was being edited before it was deleted"
        assert slack.delete_message(CHANNEL, old_ts)  # someone deletes it in Slack
        deleted_at = clock.monotonic()

        run_ticks(poller, worker, store, clock)

        old, new = _card_ts(slack)
        assert old == old_ts and new != old_ts
        card = store.card(RACE, CHANNEL, "slack")
        assert card is not None and card.status == "live" and card.message_id == new and card.retired == (old_ts,)
        updates = slack.calls_to("chat.update")
        failed = [c for c in updates if not c.ok]
        assert [c.response["error"] for c in failed] == ["message_not_found"] and failed[0].params["ts"] == old_ts
        later = [c for c in updates if c.at > failed[0].at]
        assert later and all(c.ok and c.params["ts"] == new for c in later)
        replies = [p for p in slack.posts(CHANNEL) if p.get("thread_ts")]
        reposted_at = next(c.at for c in slack.calls_to("chat.postMessage") if c.ok and c.response["ts"] == new)
        after = [c.params for c in slack.calls_to("chat.postMessage") if c.ok and c.at > reposted_at]
        assert after and all(p["thread_ts"] == new for p in after)
        assert all(p["thread_ts"] in (old_ts, new) for p in replies)
        _all_alerts_once(store, slack)
        assert len(_gone_lines(caplog)) == 1 and "message_not_found" in _gone_lines(caplog)[0]
        final = next(m for m in slack.messages(CHANNEL) if m["ts"] == new)
        assert "Called for Doug Jones" in final["text"]  # still edited to the end
        assert worker.stats["cards_lost"] == 1 and worker.stats.get("cards_frozen", 0) == 0
        print(
            f"\ncard loss: deleted at {deleted_at - 1000:.0f} s, new card after {reposted_at - deleted_at:.0f} s; worker {dict(worker.stats)}"
        )
        store.close()


def test_a_card_that_cannot_be_edited_is_reposted_once_then_frozen_not_looped(tmp_path, caplog):
    """cant_update_message on the card and again on its replacement (before it ever took an
    edit): one new card, then no more, no more edits, and the alerts still go to its thread."""
    caplog.set_level(logging.INFO, "electionbot.delivery")
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock)
        run_ticks(poller, worker, store, clock, polls=15)
        slack.fail_next("chat.update", 200, body={"ok": False, "error": "cant_update_message"}, times=2)
        run_ticks(poller, worker, store, clock)

        first, second = _card_ts(slack)
        card = store.card(RACE, CHANNEL, "slack")
        assert card is not None and card.status == "frozen" and card.message_id == second
        errors = [c for c in slack.calls_to("chat.update") if not c.ok]
        assert [c.params["ts"] for c in errors] == [first, second]
        assert not [c for c in slack.calls_to("chat.update") if c.at > errors[-1].at]  # frozen: no more edits
        after = [c.params for c in slack.calls_to("chat.postMessage") if c.ok and c.at > errors[-1].at]
        assert after and all(p["thread_ts"] == second for p in after)
        _all_alerts_once(store, slack)
        lines = _gone_lines(caplog)
        assert len(lines) == 2 and "posting a new one" in lines[0] and "leaving it as it is" in lines[1]
        store.close()


def test_edit_window_closed_reposts_once_and_freezes_the_second_time(tmp_path, caplog):
    caplog.set_level(logging.INFO, "electionbot.delivery")
    clock = VirtualClock()
    closed = {"ok": False, "error": "edit_window_closed"}
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock)
        run_ticks(poller, worker, store, clock, polls=12)
        slack.fail_next("chat.update", 200, body=closed)
        run_ticks(poller, worker, store, clock, polls=25, drain=False)
        first, second = _card_ts(slack)
        assert any(c.ok and c.params["ts"] == second for c in slack.calls_to("chat.update"))  # the new card took edits
        slack.fail_next("chat.update", 200, body=closed)  # the window closes on the new card too
        run_ticks(poller, worker, store, clock)

        assert len(_card_ts(slack)) == 2
        card = store.card(RACE, CHANNEL, "slack")
        assert card is not None and card.status == "frozen" and card.message_id == second
        _all_alerts_once(store, slack)
        lines = _gone_lines(caplog)
        assert len(lines) == 2 and "let messages be edited at any time" in lines[1]
        store.close()


def test_a_lost_replacement_post_is_not_mistaken_for_the_old_card_after_a_restart(tmp_path):
    """The old card still exists (cant_update_message) and carries the same race_key metadata;
    the replacement post fails with a 503, then the bot restarts. The crash check must not take
    the old card for the new one: exactly one new card, and it is the one edited."""
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock)
        run_ticks(poller, worker, store, clock, polls=15)
        (old_ts,) = _card_ts(slack)
        slack.fail_next("chat.update", 200, body={"ok": False, "error": "cant_update_message"})
        slack.fail_next("chat.postMessage", 503, channel=CHANNEL)
        clock.sleep(20)
        worker.deliver_due()
        card = store.card(RACE, CHANNEL, "slack")
        assert card is not None and card.status == "creating" and card.retired == (old_ts,)
        store.close()

        poller, worker, store = _build(tmp_path, slack, clock)  # restart on the same store
        run_ticks(poller, worker, store, clock)
        old, new = _card_ts(slack)
        assert old == old_ts
        card = store.card(RACE, CHANNEL, "slack")
        assert card is not None and card.status == "live" and card.message_id == new
        later = [c for c in slack.calls_to("chat.update") if c.ok]
        assert later and later[-1].params["ts"] == new
        _all_alerts_once(store, slack)
        store.close()


def test_a_thread_reply_to_a_vanished_card_moves_to_a_new_card(tmp_path):
    """Slack refuses a reply because the card's thread is gone: a new card, the alert in its thread."""
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock)
        run_ticks(poller, worker, store, clock, polls=10)
        (old_ts,) = _card_ts(slack)
        slack.fail_next("chat.postMessage", 200, body={"ok": False, "error": "thread_not_found"}, channel=CHANNEL)
        run_ticks(poller, worker, store, clock)
        refused = [c for c in slack.calls_to("chat.postMessage") if not c.ok]
        assert len(refused) == 1 and refused[0].params["thread_ts"] == old_ts
        old, new = _card_ts(slack)
        retried = [
            c.params
            for c in slack.calls_to("chat.postMessage")
            if c.ok
            and c.params.get("metadata", {}).get("event_payload", {}).get("alert_key")
            == refused[0].params["metadata"]["event_payload"]["alert_key"]
        ]
        assert len(retried) == 1 and retried[0]["thread_ts"] == new
        _all_alerts_once(store, slack)
        store.close()


def test_a_channel_configured_by_name_is_edited_and_checked_by_its_id(tmp_path):
    """chat.postMessage takes "#elections", chat.update and the history methods want the id: the
    id from the post's answer is used, and kept with the card so a restart edits at once."""
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        slack.channel_ids["#elections"] = "C0ELECT"
        db = db_url(tmp_path / "bot.db")
        options = dict(
            min_interval=1.0,
            card_throttle=15.0,
            update_interval=1.2,
            clock=clock.now,
            sleep=clock.sleep,
            monotonic=clock.monotonic,
        )
        poller, worker, store = build(db, slack.base_url, {"#elections": "cards"}, **options)
        run_ticks(poller, worker, store, clock, polls=5)
        slack.lose_next_answer("chat.postMessage", times=2)  # two replies land unanswered: looked up by id
        run_ticks(poller, worker, store, clock, polls=20, drain=False)
        first_stats = dict(worker.stats)
        store.close()
        poller, worker, store = build(db, slack.base_url, {"#elections": "cards"}, **options)  # restart
        clock.sleep(30)
        worker.deliver_due()  # no alert to post first: the edit must already know the id
        run_ticks(poller, worker, store, clock)

        updates = slack.calls_to("chat.update")
        assert updates and all(c.ok and c.params["channel"] == "C0ELECT" for c in updates)
        assert updates[-1].at > 1000 + 30  # edits after the restart too
        history = slack.calls_to("conversations.history") + slack.calls_to("conversations.replies")
        assert history and all(c.ok and c.params["channel"] == "C0ELECT" for c in history)
        delivered = alert_keys(slack.posts("#elections"))
        assert len(delivered) == 40 and len(set(delivered)) == 40 and store.backlog() == {"sent": 40}
        assert (
            len([m for m in slack.messages("#elections") if m.get("metadata", {}).get("event_type") == "electionbot_card"])
            == 1
        )
        assert worker.stats["reconciled"] + first_stats["reconciled"] == 2
        store.close()
