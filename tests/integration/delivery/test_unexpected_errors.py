"""A renderer bug in one alert, through the real Slack sink, slack_sdk and FakeSlack over
loopback on a VirtualClock: the alert is tried ``UNEXPECTED_TRIES`` times, the channel's history
is read for it (conversations.history) before it is set aside, and every other alert of that
channel and of the next arrives once, in order. The stand-in for the bug is the one thing not
real here: a SlackSink whose ``send`` raises for one alert before anything reaches Slack."""

from __future__ import annotations

import logging
from typing import Any

from bot.core.events import Alert
from bot.delivery.slack import SlackSink, make_client
from bot.delivery.worker import UNEXPECTED_TRIES, DeliveryWorker
from bot.store.database import Store
from tests.databases import db_url
from tests.fakes.sample_alerts import alert
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import alert_keys, unsent

BAD = alert(1)


class RendererBug(SlackSink):
    tries = 0

    def send(self, alert: Alert, channel: str, **kwargs: Any) -> str | None:
        if alert.key == BAD.key:
            self.tries += 1
            raise KeyError("leader")  # a renderer reading a field this alert does not have
        return super().send(alert, channel, **kwargs)


def test_one_alert_a_renderer_cannot_draw_costs_that_alert_only(tmp_path, caplog):
    caplog.set_level(logging.ERROR, "electionbot.delivery")
    clock = VirtualClock()
    slack = FakeSlack(clock=clock.monotonic).start()
    store = Store(db_url(tmp_path / "bot.db"))
    try:
        sink = RendererBug(make_client("xoxb-test", slack.base_url, timeout=5), 1.0)
        worker = DeliveryWorker(
            store,
            {"slack": sink},
            clock=clock.now,
            sleep=clock.sleep,
            monotonic=clock.monotonic,
            styles={"C1": "messages", "C2": "messages"},
            summarize_after=None,
            budget_seconds=5.0,
            jitter=lambda: 1.0,
        )
        first = [alert(0), BAD, alert(2)]
        second = [alert(n, "AL-2") for n in range(3)]
        store.enqueue([(a, "C1", "slack") for a in first] + [(a, "C2", "slack") for a in second], clock.now())
        for _ in range(200):
            worker.deliver_due()
            if not unsent(store):
                break
            clock.sleep(1.0)
        assert sink.tries == UNEXPECTED_TRIES
        assert alert_keys(slack.posts("C1")) == [alert(0).key, alert(2).key]
        assert alert_keys(slack.posts("C2")) == [a.key for a in second]
        assert store.backlog() == {"sent": 5, "failed": 1}
        assert slack.calls_to("conversations.history")  # the channel was read before giving up
        (said,) = [r.getMessage() for r in caplog.records]
        assert BAD.key in said and "C1" in said and "KeyError: 'leader'" in said
    finally:
        store.close()
        slack.stop()
