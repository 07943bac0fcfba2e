"""``python -m bot socket`` as an operator without a public URL runs it: a subprocess with an
app-level token, the fake Slack answering ``apps.connections.open`` with a loopback WebSocket
(tests/fakes/socket_mode.py) that says hello and sends a ``/results`` slash command envelope.
The same process polls the feed and posts the alert; the ack carries the answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.rehearsal.scenarios import DEFAULT_FEED, scenario_files
from tests.databases import db_url
from tests.fakes.feed_server import FeedServer, Reply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode, slash_command

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FINAL = scenario_files()[-1]
ALERTS = "C0ALERTS"


def _env(extra: dict[str, str]) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "AP_API_KEY", "LOG_", "METRICS_PORT"))
    }
    return {**clean, "PYTHONPATH": str(ROOT), **extra}


def _config(tmp_path: Path, feed_url: str) -> Path:
    config = tmp_path / "socket.toml"
    config.write_text(
        f'[store]\ndatabase_url = "{db_url(tmp_path / "socket.db")}"\n\n'
        f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed_url}"\ninterval_seconds = 2\n\n'
        f'[alerts]\nchannels = ["{ALERTS}"]\nstyle = "messages"\npictures = false\n',
        encoding="utf-8",
    )
    return config


def _texts(message: dict) -> str:
    parts = [str(message.get("text", ""))]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                parts.append(value) if key == "text" and isinstance(value, str) else walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)


def test_results_over_socket_mode_with_the_poller_in_the_same_process(tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeSocketMode() as socket_mode, FeedServer() as feed:
        slack.socket_mode_url = socket_mode.url
        feed.route("/feed.json", Reply(200, FINAL.read_bytes(), {"Content-Type": "application/json"}))
        log = tmp_path / "socket.log"
        env = _env(
            {
                "SLACK_APP_TOKEN": "xapp-1-A0APP-1-fake",
                "SLACK_BOT_TOKEN": "xoxb-socket-test",
                "SLACK_API_URL": slack.base_url,
                "LOG_FORMAT": "json",
            }
        )
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "socket", "--config", str(_config(tmp_path, feed.url("/feed.json")))],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            socket_mode.wait_connected(timeout=60)
            (opened,) = slack.calls_to("apps.connections.open")
            assert opened.ok and opened.headers["Authorization"] == "Bearer xapp-1-A0APP-1-fake"
            # the poller runs in this process: its alert reaches the channel through the Web API
            slack.wait_for_posts(1, ALERTS, timeout=60)

            envelope = socket_mode.send(slash_command("/results", "alabama"))
            ack = socket_mode.wait_for_ack(envelope["envelope_id"], timeout=30)
            answer = ack["payload"]
            assert answer["response_type"] == "ephemeral"
            text = _texts(answer)
            for figure in ("49.92 %", "48.38 %", "20,715", "Doug Jones"):
                assert figure in text, (figure, text)

            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        output = log.read_text(errors="replace")
        assert "xapp-1-A0APP-1-fake" not in output and "xoxb-socket-test" not in output
        assert '"event": "command"' in output and '"query": "alabama"' in output
        assert '"event": "poll"' in output and '"event": "delivery"' in output


def test_socket_without_an_app_token_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/unused.json")
    for env, named in (
        ({"SLACK_BOT_TOKEN": "xoxb-x"}, "SLACK_APP_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "xapp-"),
        ({"SLACK_APP_TOKEN": "xapp-1-x"}, "SLACK_BOT_TOKEN is not set"),
    ):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "socket", "--config", str(config)],
            cwd=ROOT,
            env=_env(env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert named in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert time.monotonic() - started < 60
        assert "xoxb-wrong-kind" not in done.stderr
