"""``GET /metrics``: Prometheus text, two kinds of figures for two process layouts.

The Procfile runs ``web`` (gunicorn) and ``worker`` (poller and delivery) as separate processes
that share only the database, so the web's ``/metrics`` cannot see the worker's counters. So:

* **In-process metrics** (``electionbot_polls_total``, ``_poll_failures_total``,
  ``_parse_seconds``, ``_alerts_total``, ``_deliveries_total``, ``_delivery_latency_seconds``,
  ``_results_latency_seconds``) count what *this* process did. ``socket`` runs everything in
  one process and shows them all; ``serve`` runs its poller in a process of its own and adds
  that process's series to its web's through prometheus_client's multiprocess mode
  (bot/app/web_server.py), so it shows them all too; the Procfile's web shows ``/results`` latency
  only (its poll and delivery series are absent, not zero); the worker's can be scraped from the
  worker itself where a platform lets one reach it (``METRICS_PORT``, bot/app/cli.py).
* **Store metrics**, read from the database at scrape time by :class:`StoreCollector`, which any
  process sees whoever did the work: the outbox's queue and failures by platform, when the
  latest message went out, each feed's last poll, last success and failures in a row, snapshots
  stored, and the latency of the latest :data:`RECENT_DELIVERIES` deliveries (alert queued →
  sent) as quantiles. Four small queries (measured by benchmarks/bench_ops.py); no snapshot
  is read.

docs/observability.md says which to alert on.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.core.events import Alert
from bot.store.database import FeedHealthRow, OutboxRow, SnapshotRow, Store

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: the delivery latency quantiles the store exports are over this many latest sent rows
RECENT_DELIVERIES = 1000
QUANTILES = (0.5, 0.9, 0.99, 1.0)
#: the outbox rows exported by platform and status: the queue and what failed (as /healthz counts them)
QUEUE_STATUSES = ("pending", "sending", "failed")

# Buckets sized to the night: a parse is milliseconds (a county CSV) to seconds (AP national);
# a delivery waits for pacing (a second per message per channel) and outages (minutes);
# /results must answer inside Slack's 3 s.
PARSE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DELIVERY_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0)
RESULTS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)


class Metrics:
    """This process's metrics, in a registry of its own (one per runtime: tests read exact values)."""

    def __init__(self, store: Store | None = None, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.polls = Counter(
            "electionbot_polls",
            "Polls by feed and outcome (changed, unchanged, failed, refused)",
            ["feed", "outcome"],
            registry=r,
        )
        self.poll_failures = Counter(
            "electionbot_poll_failures", "Polls that failed or were refused, by feed", ["feed"], registry=r
        )
        self.parse_seconds = Histogram(
            "electionbot_parse_seconds",
            "Time a poll spent parsing (the poll less its HTTP fetches)",
            ["feed"],
            buckets=PARSE_BUCKETS,
            registry=r,
        )
        self.alerts = Counter(
            "electionbot_alerts",
            "Alerts found, by event kind (an alert with two events counts under both)",
            ["kind"],
            registry=r,
        )
        self.deliveries = Counter(
            "electionbot_deliveries",
            "Alert deliveries by platform and outcome (sent, reconciled, retry, failed, skipped)",
            ["platform", "outcome"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "electionbot_delivery_latency_seconds",
            "From an alert queued to its message sent",
            ["platform"],
            buckets=DELIVERY_BUCKETS,
            registry=r,
        )
        self.results_latency = Histogram(
            "electionbot_results_latency_seconds",
            "/results from the request reaching the listener to its answer",
            ["kind", "outcome"],
            buckets=RESULTS_BUCKETS,
            registry=r,
        )
        if store is not None:
            r.register(StoreCollector(store))

    # --- what the poller, the worker and the handler report -------------------------------------

    def poll(self, feed: str, outcome: str, parse_seconds: float | None, alerts: Sequence[Alert]) -> None:
        self.polls.labels(feed, outcome).inc()
        if outcome in ("failed", "refused"):
            self.poll_failures.labels(feed).inc()
        if parse_seconds is not None:
            self.parse_seconds.labels(feed).observe(parse_seconds)
        # counted first: a national first poll brings thousands of events, and each labels() call
        # takes the metric's lock (0.08 s of a national replay)
        kinds = collections.Counter(event.kind.value for alert in alerts for event in alert.events)
        for kind, count in kinds.items():
            self.alerts.labels(kind).inc(count)

    def delivery(self, platform: str, outcome: str, latency_seconds: float | None, count: int = 1) -> None:
        self.deliveries.labels(platform, outcome).inc(count)
        if latency_seconds is not None:
            for _ in range(count):
                self.delivery_latency.labels(platform).observe(latency_seconds)

    def command(self, kind: str, outcome: str, seconds: float) -> None:
        self.results_latency.labels(kind, outcome).observe(seconds)

    def wsgi(self) -> WSGIApp:
        return make_wsgi_app(self.registry)


class StoreCollector(Collector):
    """What the database knows, read at scrape time (any process sees it)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Any]:
        queue = GaugeMetricFamily(
            "electionbot_outbox_rows",
            "Outbox rows waiting (pending, sending) or failed, by platform and status",
            labels=["platform", "status"],
        )
        last_sent = GaugeMetricFamily(
            "electionbot_outbox_last_sent_timestamp_seconds",
            f"When the latest message went out, by platform (over the latest {RECENT_DELIVERIES} sent rows)",
            labels=["platform"],
        )
        last_poll = GaugeMetricFamily(
            "electionbot_feed_last_poll_timestamp_seconds",
            "When a feed was last polled, successfully or not",
            labels=["feed"],
        )
        last_success = GaugeMetricFamily(
            "electionbot_feed_last_success_timestamp_seconds", "When a feed last answered usable data", labels=["feed"]
        )
        failures = GaugeMetricFamily("electionbot_feed_consecutive_failures", "Failed polls in a row", labels=["feed"])
        stored = CounterMetricFamily(
            "electionbot_feed_snapshots_stored",
            "Snapshots committed (polls that read a new reply), by feed",
            labels=["feed"],
        )
        latency = GaugeMetricFamily(
            "electionbot_recent_delivery_latency_seconds",
            f"Queued to sent over the latest {RECENT_DELIVERIES} sent outbox rows (quantile 1 = the slowest)",
            labels=["quantile"],
        )
        with self.store.session() as s:
            # The queue only: a seek in the status index. Grouping every row (the sent ones are
            # almost all of a night's outbox) read the whole table: 1.2 s at 200,000 rows
            # (benchmarks/bench_ops.py); how many were sent is the worker's counter.
            for platform, status, n in s.execute(
                select(OutboxRow.platform, OutboxRow.status, func.count())
                .where(OutboxRow.status.in_(QUEUE_STATUSES))
                .group_by(OutboxRow.platform, OutboxRow.status)
            ):
                queue.add_metric([platform, status], n)
            for row in s.scalars(select(FeedHealthRow)):
                if row.last_poll_at is not None:
                    last_poll.add_metric([row.feed], _epoch(row.last_poll_at))
                if row.last_success_at is not None:
                    last_success.add_metric([row.feed], _epoch(row.last_success_at))
                failures.add_metric([row.feed], row.consecutive_failures or 0)
            for feed, polls in s.execute(select(SnapshotRow.feed, SnapshotRow.polls)):
                stored.add_metric([feed], polls or 0)
            recent = s.execute(
                select(OutboxRow.platform, OutboxRow.created_at, OutboxRow.sent_at)
                .where(OutboxRow.status == "sent", OutboxRow.sent_at.is_not(None))
                .order_by(OutboxRow.id.desc())
                .limit(RECENT_DELIVERIES)
            ).all()
        waits = sorted(max(0.0, _epoch(sent) - _epoch(created)) for _, created, sent in recent if sent is not None)
        if waits:
            for q in QUANTILES:
                latency.add_metric([f"{q:g}"], quantile(waits, q))
        latest: dict[str, float] = {}
        for platform, _, sent in recent:
            if sent is not None:
                latest[platform] = max(latest.get(platform, 0.0), _epoch(sent))
        for platform, at in sorted(latest.items()):
            last_sent.add_metric([platform], at)
        yield from (queue, last_sent, last_poll, last_success, failures, stored, latency)


def quantile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank quantile of sorted values (q=1: the largest), no interpolation: a value
    that was really seen."""
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def _epoch(moment: datetime) -> float:
    # SQLite hands back naive datetimes for timezone=True columns; they were written in UTC.
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
