"""The Procfile's ``worker`` (``python -m bot poll``) with ``METRICS_PORT``: its own counters and
health on a local port, where the web process's /metrics cannot see them (bot/app/metrics.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from benchmarks._results_server import free_port
from bot.rehearsal.scenarios import DEFAULT_FEED, scenario_files
from tests.databases import db_url
from tests.fakes.feed_server import FeedServer, Reply
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "C0WORKER"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples
    }


def test_the_worker_serves_its_own_metrics_and_health_on_metrics_port(tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack() as slack, FeedServer() as feed:
        feed.route("/feed.json", Reply(200, scenario_files()[-1].read_bytes(), {"Content-Type": "application/json"}))
        config = tmp_path / "worker.toml"
        config.write_text(
            f'[store]\ndatabase_url = "{db_url(tmp_path / "worker.db")}"\n\n'
            f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed.url("/feed.json")}"\ninterval_seconds = 2\n\n'
            f'[alerts]\nchannels = ["{CHANNEL}"]\nstyle = "messages"\npictures = false\n',
            encoding="utf-8",
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "LOG_"))},
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": "xoxb-worker-test",
            "SLACK_API_URL": slack.base_url,
            "METRICS_PORT": str(port),
        }
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "poll", "--config", str(config)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            slack.wait_for_posts(1, CHANNEL, timeout=60)
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:  # the sent mark and the counters follow the post by a moment
                samples = _samples(requests.get(base + "/metrics", timeout=10).text)
                sent = samples.get(("electionbot_deliveries_total", (("outcome", "sent"), ("platform", "slack"))))
                if sent or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert sent == len(slack.posts(CHANNEL)) >= 1
            assert samples[("electionbot_polls_total", (("feed", DEFAULT_FEED), ("outcome", "changed")))] == 1
            assert samples[("electionbot_parse_seconds_count", (("feed", DEFAULT_FEED),))] == 1
            assert samples[("electionbot_alerts_total", (("kind", "race_called"),))] == 1
            health = requests.get(base + "/healthz", timeout=10)
            assert health.status_code == 200
            report = health.json()
            assert report["status"] == "ok" and report["feeds"][0]["feed"] == DEFAULT_FEED
            assert report["poller"]["holder"].endswith(f":{proc.pid}"), report["poller"]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        output = log.read_text(errors="replace")
        assert f"/healthz and /metrics on http://127.0.0.1:{port}" in output
        assert f"poll {DEFAULT_FEED}: changed" in output and f"delivery slack {CHANNEL}: " in output
