"""Discord's interactions endpoint in the processes an operator runs: the Procfile's ``web``
(gunicorn serving ``bot.wsgi:application``) and ``python -m bot serve``, with the Discord
variables in the environment; a key Discord could never have given us stops ``serve`` with one
line and exit code 2 before it binds a port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from benchmarks._results_server import free_port, gunicorn_command, serve_command, serve_env, web_process
from benchmarks.bench_results import seed
from tests.fakes.discord_api import APPLICATION_ID, FakeDiscord
from tests.fakes.discord_signing import Signer, command, ping
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _env(extra: dict[str, str]) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "ELECTIONBOT_", "DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN"))
    }
    return {**clean, "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def environment(tmp_path: Path, signer: Signer) -> Iterator[tuple[dict[str, str], Path]]:
    with FakeSlack() as slack, FakeDiscord() as discord:
        database_url, config = seed(tmp_path)
        yield (
            _env(
                {
                    "ELECTIONBOT_CONFIG": str(config),
                    "DATABASE_URL": database_url,
                    "SLACK_SIGNING_SECRET": "e2e-secret",
                    "SLACK_BOT_TOKEN": "xoxb-e2e",
                    "SLACK_API_URL": slack.base_url,
                    "DISCORD_PUBLIC_KEY": signer.public_key,
                    "DISCORD_APPLICATION_ID": APPLICATION_ID,
                    "DISCORD_API_URL": discord.base_url,
                }
            ),
            config,
        )


@pytest.mark.parametrize("process", ["procfile", "serve"])
def test_the_web_process_answers_discord_beside_slack(
    environment: tuple[dict[str, str], Path], signer: Signer, tmp_path: Path, process: str
) -> None:
    env, config = environment
    port = free_port()
    if process == "procfile":
        argv, extra = gunicorn_command(port), {}
    else:
        argv, extra = serve_command(config), serve_env(port)
    with web_process(argv, port, {**env, **extra}, tmp_path / f"{process}.log"):
        url = f"http://127.0.0.1:{port}/discord/interactions"
        assert signer.post(url, ping()).json() == {"type": 1}
        answer = signer.post(url, command("alabama")).json()
        assert answer["type"] == 4 and answer["data"]["flags"] == 64
        shown = answer["data"]["embeds"][0]["description"]
        assert "49.92 %" in shown and "20,715" in shown
        assert Signer().post(url, ping()).status_code == 401
        assert requests.get(url, timeout=5).status_code == 405
        assert requests.post(f"http://127.0.0.1:{port}/slack/events", data=b"x", timeout=5).status_code == 401


@pytest.mark.parametrize(
    "change, says",
    [
        ({"DISCORD_PUBLIC_KEY": "not-hex"}, "DISCORD_PUBLIC_KEY is not an Ed25519 public key"),
        ({"DISCORD_APPLICATION_ID": ""}, "DISCORD_APPLICATION_ID is not"),
    ],
)
def test_serve_refuses_a_discord_setup_it_cannot_run_with_one_line(
    environment: tuple[dict[str, str], Path], change: dict[str, str], says: str
) -> None:
    env, config = environment
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--config", str(config)],
        cwd=ROOT,
        env={**env, **serve_env(free_port()), **change},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("electionbot:")]
    assert len(errors) == 1 and says in errors[0], done.stderr[-2000:]
