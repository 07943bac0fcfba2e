"""GET /metrics: real values after a real poll, delivery and /results, in the one-process app
(``serve``); and what a web process that only shares the database sees (the Procfile's split)."""

from __future__ import annotations

from collections import Counter

import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.app.health import operational_routes
from bot.app.metrics import Metrics
from bot.store.database import Store
from tests.fakes.wsgi_server import serve_wsgi
from tests.integration.ops.conftest import CHANNEL, FEED, sample


def test_a_poll_a_delivery_and_a_command_counted_with_their_real_figures(ops_bot) -> None:
    bot = ops_bot()
    poller = bot.runtime.pollers[0]
    poller.on_queued = None  # delivered below, 7 s of mocked time after the poll queued it
    result = poller.poll()
    assert result.status == "changed" and result.alerts
    kinds = Counter(event.kind.value for alert in result.alerts for event in alert.events)

    before = bot.metrics()
    assert sample(before, "electionbot_polls_total", feed=FEED, outcome="changed") == 1
    assert sample(before, "electionbot_poll_failures_total", feed=FEED) is None
    assert sample(before, "electionbot_parse_seconds_count", feed=FEED) == 1
    assert sample(before, "electionbot_parse_seconds_sum", feed=FEED) > 0
    for kind, n in kinds.items():
        assert sample(before, "electionbot_alerts_total", kind=kind) == n, kind
    assert kinds["county_complete"] > 1, "an alert's events are counted each under its kind"
    assert sample(before, "electionbot_outbox_rows", platform="slack", status="pending") == result.queued
    assert sample(before, "electionbot_deliveries_total", platform="slack", outcome="sent") is None
    assert sample(before, "electionbot_feed_last_poll_timestamp_seconds", feed=FEED) == bot.clock.now.timestamp()
    assert sample(before, "electionbot_feed_consecutive_failures", feed=FEED) == 0
    assert sample(before, "electionbot_feed_snapshots_stored_total", feed=FEED) == 1

    bot.clock.advance(7)
    sent = bot.runtime.worker.deliver_due()
    assert sent == result.queued == len(bot.slack.posts(CHANNEL)) >= 1
    after = bot.metrics()
    assert sample(after, "electionbot_deliveries_total", platform="slack", outcome="sent") == sent
    assert sample(after, "electionbot_delivery_latency_seconds_count", platform="slack") == sent
    assert sample(after, "electionbot_delivery_latency_seconds_sum", platform="slack") == 7.0 * sent
    assert sample(after, "electionbot_delivery_latency_seconds_bucket", platform="slack", le="5.0") == 0
    assert sample(after, "electionbot_delivery_latency_seconds_bucket", platform="slack", le="10.0") == sent
    assert sample(after, "electionbot_outbox_rows", platform="slack", status="pending") is None
    assert sample(after, "electionbot_outbox_last_sent_timestamp_seconds", platform="slack") == bot.clock.now.timestamp()
    assert sample(after, "electionbot_recent_delivery_latency_seconds", quantile="0.5") == 7.0
    assert sample(after, "electionbot_recent_delivery_latency_seconds", quantile="1") == 7.0

    assert bot.ask("alabama").status_code == 200
    assert bot.ask("nowhere-land").status_code == 200
    asked = bot.metrics()
    assert sample(asked, "electionbot_results_latency_seconds_count", kind="state", outcome="answered") == 1
    assert sum(v for (name, _), v in asked.items() if name == "electionbot_results_latency_seconds_count") == 2


def test_failed_polls_are_counted_by_feed(ops_bot) -> None:
    bot = ops_bot(feed_url="http://127.0.0.1:9/feed.json")
    for _ in range(2):
        assert bot.runtime.pollers[0].poll().status == "failed"
    metrics = bot.metrics()
    assert sample(metrics, "electionbot_polls_total", feed=FEED, outcome="failed") == 2
    assert sample(metrics, "electionbot_poll_failures_total", feed=FEED) == 2
    assert sample(metrics, "electionbot_parse_seconds_count", feed=FEED) is None, "nothing was parsed"
    assert sample(metrics, "electionbot_feed_consecutive_failures", feed=FEED) == 2


def test_a_web_process_sharing_only_the_database_sees_the_store_not_the_workers_counters(ops_bot) -> None:
    """The Procfile's web (bot/wsgi.py): its own Metrics over its own Store on the same database."""
    bot = ops_bot()
    poller = bot.runtime.pollers[0]
    poller.on_queued = None
    queued = poller.poll().queued  # the "worker" polls in its process...
    web_store = Store(bot.runtime.store.url)
    served = serve_wsgi(operational_routes(web_store, {FEED: 30}, Metrics(web_store))["/metrics"])

    def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = requests.get(served.base_url + "/metrics", timeout=10).text
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
        }

    try:
        waiting = scrape()
        bot.clock.advance(7)
        sent = bot.runtime.worker.deliver_due()  # ...and delivers
        delivered = scrape()
    finally:
        served.shutdown()
        web_store.close()
    assert sample(waiting, "electionbot_outbox_rows", platform="slack", status="pending") == queued >= 1
    assert sample(waiting, "electionbot_outbox_last_sent_timestamp_seconds", platform="slack") is None
    assert sample(waiting, "electionbot_feed_snapshots_stored_total", feed=FEED) == 1
    assert sample(waiting, "electionbot_feed_last_poll_timestamp_seconds", feed=FEED) == bot.clock.now.timestamp() - 7
    assert sent == queued
    assert sample(delivered, "electionbot_outbox_rows", platform="slack", status="pending") is None
    assert sample(delivered, "electionbot_outbox_last_sent_timestamp_seconds", platform="slack") == bot.clock.now.timestamp()
    assert sample(delivered, "electionbot_recent_delivery_latency_seconds", quantile="1") == 7.0
    # the worker's in-process counters are not this process's: absent, not a misleading zero
    assert not any(name.startswith(("electionbot_polls", "electionbot_deliveries")) for name, _ in delivered)
