"""``python -m bot serve`` as an operator runs it: a subprocess on loopback, a real feed server,
the fake Slack, signed slash commands.

Issue 12: serve used wsgiref, whose listen backlog (5) dropped connections in a burst; clients
retried after a second (p99 about 1,030 ms at 20 concurrent). serve now runs the Procfile's web
stack (gunicorn) and, in a process of its own, the poller and delivery (issue 13: a national poll
in the web worker held its GIL). These tests check what that must keep: one command does
everything (the poller stores the feed, delivery posts to Slack, ``/results`` answers from what
the poller stored), no connection is dropped in a burst, it stops cleanly on SIGTERM, and config
errors are still one line and exit code 2. The poller's own process (restarted when killed,
stopped with serve) is tested in test_serve_poller.py. Speed itself is measured by
``benchmarks/bench_results.py``, not asserted here.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from benchmarks._results_server import free_port
from benchmarks.bench_results import ALABAMA_FIGURES, check_answers
from bot.app.web_server import WEB_THREADS, WEB_TIMEOUT, WEB_WORKERS
from bot.rehearsal.scenarios import DEFAULT_FEED, scenario_files
from tests.databases import db_url
from tests.fakes.feed_server import FeedServer, Reply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import post_signed, slash_body

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-test-signing-secret"
FINAL = scenario_files()[-1]
#: a dropped SYN is retried after the kernel's initial retransmission timeout: one second.
DROPPED = 1000.0


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    slack: FakeSlack
    feed: FeedServer
    log: Path


def _env(extra: dict[str, str]) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "AP_API_KEY", "WEB_CONCURRENCY", "GUNICORN"))
    }
    return {**clean, "PYTHONPATH": str(ROOT), **extra}


def _config(tmp_path: Path, feed_url: str) -> Path:
    config = tmp_path / "serve.toml"
    config.write_text(
        f'[store]\ndatabase_url = "{db_url(tmp_path / "serve.db")}"\n\n'
        f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed_url}"\ninterval_seconds = 2\n\n'
        '[alerts]\nchannels = ["C1"]\nstyle = "messages"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with FakeSlack() as slack, FeedServer() as feed:
        feed.route("/al.json", Reply.json(json.loads(FINAL.read_text(encoding="utf-8"))))
        port = free_port()
        env = _env(
            {
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_API_URL": slack.base_url,
            }
        )
        log = tmp_path / "serve.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--config", str(_config(tmp_path, feed.url("/al.json")))],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_healthy(proc, f"http://127.0.0.1:{port}/healthz", log)
            yield Served(f"http://127.0.0.1:{port}/slack/events", proc, slack, feed, log)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"serve did not answer {url} within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _wait(predicate, timeout: float, what: str, log: Path):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.mark.e2e
def test_serve_polls_delivers_and_answers_then_stops_on_sigterm(served: Served) -> None:
    # The poller fetched the feed, and delivery posted its alerts.
    _wait(lambda: served.feed.requests_to("/al.json"), 30, "the feed was not polled", served.log)
    posts = _wait(lambda: served.slack.posts("C1"), 30, "no alert was posted", served.log)
    assert any("Jones" in (p.get("text") or "") for p in posts)
    # /results answers from the snapshot the poller stored.
    answer = post_signed(served.url, slash_body("alabama"), SECRET, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["response_type"] == "ephemeral"
    assert all(figure in answer.text for figure in ALABAMA_FIGURES)
    # A forged request is still refused.
    assert post_signed(served.url, slash_body("alabama"), "not-the-secret", timeout=10).status_code == 401
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0
    log = served.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.e2e
def test_serve_answers_a_burst_of_signed_results_without_dropping_a_connection(served: Served) -> None:
    """200 signed ``/results alabama`` at 20 in flight, a new TCP connection for each (as a burst
    of slash commands arrives), from a separate client process. Every answer must be the right
    one, and none may take a second or more: that is what a connection dropped from the listen
    backlog costs (the client's SYN is retried after 1 s). A correctness test, not a timing one:
    a loaded machine makes answers slower by milliseconds, never by a second."""
    requests_, concurrency = 200, 20
    env = _env({"BENCH_SIGNING_SECRET": SECRET})
    command = [
        sys.executable,
        "-m",
        "benchmarks._results_client",
        "--url",
        served.url,
        "--requests",
        str(requests_),
        "--concurrency",
        str(concurrency),
        "--warmup",
        str(concurrency),
        "--fresh-connections",
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{shlex.join(command)}\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout)
    assert check_answers(result, requests_, ALABAMA_FIGURES) == []
    latencies = sorted(result["latencies_ms"])
    assert len(latencies) == requests_
    slow = [round(ms) for ms in latencies if ms >= DROPPED]
    assert not slow, f"{len(slow)} of {requests_} answers took a second or more (dropped connections): {slow[:10]} ms"


@pytest.mark.parametrize(
    ("secrets", "named"),
    [({"SLACK_BOT_TOKEN": "xoxb-test"}, "SLACK_SIGNING_SECRET"), ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN")],
)
def test_serve_without_a_slack_secret_is_one_clear_line_and_exit_2(
    tmp_path: Path, secrets: dict[str, str], named: str
) -> None:
    """Checked before gunicorn starts: a worker that cannot boot would only say so in a traceback."""
    config = _config(tmp_path, "http://127.0.0.1:9/unused.json")
    env = _env({"PORT": str(free_port()), "HOST": "127.0.0.1", **secrets})
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert named in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_serve_runs_the_procfile_web_settings() -> None:
    """serve and the Procfile's web process are one stack: same server, workers, threads, timeout."""
    web = next(line.partition(":")[2] for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    args = shlex.split(web)
    assert args[0] == "gunicorn"

    def option(name: str) -> str:
        return args[args.index(name) + 1]

    assert int(option("--workers")) == WEB_WORKERS == 1
    assert int(option("--threads")) == WEB_THREADS
    assert int(option("--timeout")) == WEB_TIMEOUT
    assert args[-1] == "bot.wsgi:application"
