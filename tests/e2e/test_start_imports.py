"""What a process loads before it works (issue 13: a national replay's start-up was 1.7 s of
imports): ``--help`` loads none of the big libraries, a replay from disk to the console loads no
Slack library, no Alembic and no HTTP client, and a database already at the head (or an empty
one) is opened without Alembic. Read from ``python -X importtime``, which lists every module a
process imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import db_url

ROOT = Path(__file__).resolve().parents[2]
AP_FILE = ROOT / "tests" / "fixtures" / "ap" / "20171212_al_senate_full.json"

#: what a command that does not post to Slack, draw or migrate has no use for
PLATFORMS_AND_MIGRATIONS = {"alembic", "slack_sdk", "slack_bolt", "matplotlib", "nacl"}


def imported(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages ``python -m bot ARGS`` imported (it must succeed)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "DISCORD_"))}
    clean.update(env or {})
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    return {line.split("|")[2].strip().split(".")[0] for line in lines[1:]}


@pytest.mark.e2e
def test_help_loads_no_database_settings_feed_or_platform_library() -> None:
    loaded = imported("--help")
    assert "bot" in loaded  # the reading works: the CLI itself is there
    assert loaded.isdisjoint(
        {"pydantic", "sqlalchemy", "requests", "apscheduler", "prometheus_client", *PLATFORMS_AND_MIGRATIONS}
    ), sorted(loaded)


@pytest.mark.e2e
def test_a_replay_from_disk_to_the_console_loads_no_slack_no_alembic_and_no_http_client() -> None:
    loaded = imported("replay", str(AP_FILE), "--step", "--via", "disk")
    assert {"sqlalchemy", "apscheduler", "pydantic"} <= loaded  # the store, scheduler and settings did run
    unused = {*PLATFORMS_AND_MIGRATIONS, "requests", "urllib3"}  # files from disk: no HTTP client
    assert loaded.isdisjoint(unused), sorted(loaded & unused)


@pytest.mark.e2e
def test_an_empty_database_and_one_at_the_head_open_without_alembic(tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url(tmp_path / "release.db")}
    assert "alembic" not in imported("migrate", env=env)  # empty: created at the head
    assert "alembic" not in imported("migrate", env=env)  # at the head: one read


@pytest.mark.e2e
def test_a_one_shot_command_ends_with_its_status_and_everything_it_wrote(tmp_path: Path) -> None:
    """The process ends without the interpreter's teardown (bot.app.cli.command_line): what was
    printed is all there, through a pipe, and the command's status is the process's."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(AP_FILE), "--step", "--via", "disk"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DISCORD_"))},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("Replaying ") and done.stdout.rstrip().endswith("2 messages delivered, 0 pending)")
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(tmp_path / "none.json")], cwd=ROOT, capture_output=True, text=True
    )
    assert missing.returncode == 2 and missing.stderr.startswith("electionbot: ")
