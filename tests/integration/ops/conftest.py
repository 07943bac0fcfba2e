"""The one-process bot (``serve``'s app over a Runtime) on loopback: a replayed Alabama feed, the
fake Slack, a mocked clock, and ``/healthz``, ``/metrics`` and ``/slack/events`` served by the
same WSGI app ``python -m bot serve`` mounts (bot/app/web_server.py ``one_process_app``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.app.runtime import Runtime
from bot.app.settings import Secrets, settings_from_dict
from bot.app.web_server import one_process_app
from bot.codec import native
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import load_scenario
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import post_signed, slash_body
from tests.fakes.wsgi_server import serve_wsgi

SECRET = "ops-signing-secret"
FEED = "al-2017"
CHANNEL = "C0ELECTION"
INTERVAL = 30
#: the scenario's last snapshot: the AP call, 2,235 of 2,235 precincts
LAST = -1


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2017, 12, 13, 4, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class OpsBot:
    runtime: Runtime
    url: str
    slack: FakeSlack
    feed: ReplayServer
    clock: Clock
    body: bytes

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=10)

    def health(self) -> tuple[int, dict[str, Any]]:
        resp = self.get("/healthz")
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status_code, resp.json()

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics by (name, sorted labels)."""
        resp = self.get("/metrics")
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(resp.text)
            for sample in family.samples
        }

    def ask(self, text: str) -> requests.Response:
        body = slash_body(text, channel_id=CHANNEL, response_url=self.slack.response_url())
        return post_signed(self.url + "/slack/events", body, SECRET)


def sample(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float | None:
    return metrics.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def ops_bot(tmp_path: Path) -> Iterator[Callable[..., OpsBot]]:
    cleanup: list[Callable[[], None]] = []

    def make(body: bytes | None = None, *, feed_url: str | None = None, alerts: dict[str, Any] | None = None) -> OpsBot:
        body = body if body is not None else native.dumps(load_scenario()[LAST])
        clock = Clock()
        slack = FakeSlack().start()
        feed = ReplayServer([body])
        feed.start()
        settings = settings_from_dict(
            {
                "feeds": [{"name": FEED, "kind": "json", "url": feed_url or feed.url, "interval_seconds": INTERVAL}],
                # pictures (issue 17) are their own rows and uploads: left out of these counts
                "alerts": {"channels": [CHANNEL], "style": "messages", "pictures": False, **(alerts or {})},
            }
        )
        runtime = Runtime.build(
            settings,
            Secrets("xoxb-test", SECRET, slack.base_url),
            database_url=db_url(tmp_path / f"ops{len(cleanup)}.db"),
            clock=clock,
            min_interval=0.01,
        )
        served = serve_wsgi(one_process_app(runtime))
        cleanup.extend([served.shutdown, runtime.close, feed.stop, slack.stop])
        return OpsBot(runtime, served.base_url, slack, feed, clock, body)

    yield make
    for fn in reversed(cleanup):
        fn()
