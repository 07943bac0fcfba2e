"""Many workspaces in the Procfile's shape: the ``web`` process (gunicorn serving
``bot.wsgi:application``) installs two workspaces by OAuth, and the ``worker`` (``python -m bot
poll``), which shares nothing with it but the database, posts each workspace's alerts with that
workspace's own token; an uninstall received by the web process stops the worker posting there.
No ``SLACK_BOT_TOKEN`` anywhere: every token comes from an installation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from benchmarks._results_server import free_port, gunicorn_command
from bot.rehearsal.scenarios import DEFAULT_FEED, scenario_files
from tests.databases import db_url
from tests.fakes.feed_server import FeedServer, Reply
from tests.fakes.slack_api import FakeSlack, wait_for
from tests.fakes.slack_signing import post_signed, signed_headers, slash_body

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SECRET = "workspaces-signing-secret"
CLIENT_ID, CLIENT_SECRET = "4321.8765", "workspaces-client-secret"
COOKIE = "slack-app-oauth-state"
#: (team id, bot token, channel)
DESK_A = ("TWSA", "xoxb-workspace-a", "CWSA")
DESK_B = ("TWSB", "xoxb-workspace-b", "CWSB")


def _serving(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=5).ok
    except requests.RequestException:  # not listening yet
        return False


def _install(base: str, code: str) -> None:
    start = requests.get(base + "/slack/install", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    done = requests.get(
        base + "/slack/oauth_redirect",
        params={"code": code, "state": state},
        cookies={COOKIE: start.cookies[COOKIE]},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 200, done.text


def _uninstall(base: str, team: str) -> None:
    body = json.dumps(
        {
            "team_id": team,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"Ev{team}",
            "event_time": int(time.time()),
            "event": {"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"},
        }
    )
    headers = {**signed_headers(body, SECRET), "Content-Type": "application/json"}
    assert requests.post(base + "/slack/events", data=body.encode(), headers=headers, timeout=10).status_code == 200


def _tokens(slack: FakeSlack, channel: str) -> set[str]:
    return {
        c.headers["Authorization"].removeprefix("Bearer ")
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("channel") == channel and c.status == 200
    }


def test_the_web_installs_two_workspaces_and_the_worker_posts_with_each_ones_token(tmp_path: Path) -> None:
    port = free_port()
    files = scenario_files()
    with FakeSlack() as slack, FeedServer() as feed:
        slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
        slack.authorize("code-a", DESK_A[0], "Desk A", DESK_A[1])
        slack.authorize("code-b", DESK_B[0], "Desk B", DESK_B[1])
        feed.route("/feed.json", Reply(200, files[20].read_bytes(), {"Content-Type": "application/json"}))
        config = tmp_path / "workspaces.toml"
        config.write_text(
            f'[store]\ndatabase_url = "{db_url(tmp_path / "workspaces.db")}"\n\n'
            f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed.url("/feed.json")}"\ninterval_seconds = 1\n\n'
            '[alerts]\nstyle = "messages"\npictures = false\n',
            encoding="utf-8",
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "LOG_"))},
            "PYTHONPATH": str(ROOT),
            "ELECTIONBOT_CONFIG": str(config),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        }
        logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("worker", "web")}
        web = subprocess.Popen(gunicorn_command(port), cwd=ROOT, env=env, stdout=logs["web"], stderr=subprocess.STDOUT)
        worker = None
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(lambda: _serving(base), timeout=90, interval=0.2, message="the web process")
            _install(base, "code-a")
            _install(base, "code-b")
            for team, _, channel in (DESK_A, DESK_B):
                body = slash_body("subscribe alabama", channel_id=channel, team_id=team, response_url=slack.response_url())
                answer = post_signed(base + "/slack/events", body, SECRET, timeout=10)
                assert answer.status_code == 200 and "alabama" in answer.text.lower(), answer.text

            worker = subprocess.Popen(
                [sys.executable, "-m", "bot", "poll"], cwd=ROOT, env=env, stdout=logs["worker"], stderr=subprocess.STDOUT
            )
            slack.wait_for_posts(1, DESK_A[2], timeout=90)
            slack.wait_for_posts(1, DESK_B[2], timeout=30)
            assert _tokens(slack, DESK_A[2]) == {DESK_A[1]} and _tokens(slack, DESK_B[2]) == {DESK_B[1]}

            _uninstall(base, DESK_A[0])
            time.sleep(1.5)  # a delivery round the worker may have begun before the event
            a_posts = len(slack.posts(DESK_A[2]))
            b_posts = len(slack.posts(DESK_B[2]))
            feed.route("/feed.json", Reply(200, files[-1].read_bytes(), {"Content-Type": "application/json"}))
            slack.wait_for_posts(b_posts + 1, DESK_B[2], timeout=60)
            time.sleep(3)  # three more poll intervals: nothing may reach the uninstalled workspace
            assert len(slack.posts(DESK_A[2])) == a_posts
            assert _tokens(slack, DESK_B[2]) == {DESK_B[1]}
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
        web_log = (tmp_path / "web.log").read_text()
        assert f"Slack workspace {DESK_A[0]} uninstalled the app: 1 channel(s) unsubscribed" in web_log
