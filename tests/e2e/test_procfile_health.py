"""The Procfile's two processes on one database, as a deployment runs them: ``worker`` polls and
delivers, ``web`` (gunicorn serving ``bot.wsgi:application``) answers ``/healthz``, ``/metrics``
and ``/results`` from the store alone; SIGKILL the worker and ``/healthz`` turns 503."""

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

from benchmarks._results_server import free_port, gunicorn_command
from bot.rehearsal.scenarios import DEFAULT_FEED, scenario_files
from tests.databases import db_url
from tests.fakes.feed_server import FeedServer, Reply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import post_signed, slash_body

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SECRET = "procfile-health-secret"
CHANNEL = "C0PROCFILE"
#: the stale floor for this test (HEALTHZ_MIN_STALE_SECONDS): 3 intervals of 1 s, not a minute
FLOOR = 3


def _wait(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except requests.RequestException:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples
    }


def test_web_reports_the_workers_health_and_turns_503_when_the_worker_dies(tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack() as slack, FeedServer() as feed:
        feed.route("/feed.json", Reply(200, scenario_files()[-1].read_bytes(), {"Content-Type": "application/json"}))
        config = tmp_path / "procfile.toml"
        config.write_text(
            f'[store]\ndatabase_url = "{db_url(tmp_path / "procfile.db")}"\n\n'
            f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed.url("/feed.json")}"\ninterval_seconds = 1\n\n'
            f'[alerts]\nchannels = ["{CHANNEL}"]\nstyle = "messages"\npictures = false\n',
            encoding="utf-8",
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "LOG_"))},
            "PYTHONPATH": str(ROOT),
            "ELECTIONBOT_CONFIG": str(config),
            "SLACK_BOT_TOKEN": "xoxb-procfile",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "HEALTHZ_MIN_STALE_SECONDS": str(FLOOR),
        }
        logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("worker", "web")}
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "poll"], cwd=ROOT, env=env, stdout=logs["worker"], stderr=subprocess.STDOUT
        )
        web = None
        try:
            slack.wait_for_posts(1, CHANNEL, timeout=90)  # the worker polled and delivered
            home = tmp_path / "home"  # where gunicorn 27 would bind its control socket (gunicorn.conf.py)
            home.mkdir()
            web = subprocess.Popen(
                gunicorn_command(port),
                cwd=ROOT,
                env={**env, "HOME": str(home)},
                stdout=logs["web"],
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            health = _wait(lambda: requests.get(base + "/healthz", timeout=5), 90, "the web process")
            assert health.status_code == 200, health.text
            report = health.json()
            assert report["status"] == "ok" and report["feeds"][0]["last_poll_at"] is not None
            assert report["poller"]["holder"].endswith(f":{worker.pid}"), report["poller"]
            assert not (home / ".gunicorn").exists(), "the Procfile's web started gunicorn's control socket"

            answer = post_signed(base + "/slack/events", slash_body("alabama", channel_id=CHANNEL), SECRET)
            assert answer.status_code == 200 and "20,715" in answer.text

            samples = _samples(requests.get(base + "/metrics", timeout=5).text)
            assert samples[("electionbot_outbox_last_sent_timestamp_seconds", (("platform", "slack"),))] > 0
            assert samples[("electionbot_feed_snapshots_stored_total", (("feed", DEFAULT_FEED),))] >= 1
            assert samples[("electionbot_results_latency_seconds_count", (("kind", "state"), ("outcome", "answered")))] == 1
            assert not any(name.startswith("electionbot_polls") for name, _ in samples), "the worker's, not the web's"

            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            killed = time.monotonic()
            (stale,) = _wait(  # a list: a 503 Response is falsy
                lambda: [r] if (r := requests.get(base + "/healthz", timeout=5)).status_code == 503 else None, 30, "a 503"
            )
            waited = time.monotonic() - killed
            assert stale.json()["stale_feeds"] == [DEFAULT_FEED]
            assert waited <= FLOOR + 10, waited  # stale FLOOR s after the last poll, give or take a poll and the load
            last = stale.json()["feeds"][0]["last_poll_at"]
            assert last is not None
        finally:
            for proc in (worker, web):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            for out in logs.values():
                out.close()
