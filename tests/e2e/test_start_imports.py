"""What a process loads before it works (issue 13: a national replay's start-up was 1.7 s of
imports): ``--help`` loads none of the big libraries, a replay from disk to the console loads no
Slack library, no Alembic and no HTTP client, and a database already at the head (or an empty
one) is opened without Alembic. Read from ``python -X importtime``, which lists every module a
process imported."""

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

ROOT = Path(__file__).resolve().parents[2]
AP_FILE = ROOT / "tests" / "fixtures" / "ap" / "20171212_al_senate_full.json"

#: what a command that does not post to Slack, draw or migrate has no use for
PLATFORMS_AND_MIGRATIONS = {"alembic", "slack_sdk", "slack_bolt", "matplotlib", "nacl"}


def imported(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages ``python -m bot ARGS`` imported (it must succeed)."""
    return {name.split(".")[0] for name in imported_modules(*args, env=env)}


def imported_modules(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Every module ``python -m bot ARGS`` imported, by its full name (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        cwd=ROOT,
        env=without_secrets(env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return modules_in(done.stderr)


def without_secrets(env: dict[str, str] | None = None) -> dict[str, str]:
    """This environment less what would make a command post, read a config or another database."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "DISCORD_"))}
    return {**clean, **(env or {})}


def modules_in(importtime: str) -> set[str]:
    """The modules named in ``-X importtime`` output (its header line names none)."""
    lines = [line for line in importtime.splitlines() if line.startswith("import time:") and "|" in line]
    return {line.split("|")[2].strip() for line in lines[1:]}


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


#: what a process that stores in SQLite, posts to the console and serves no /metrics has no use
#: for, before or during its polls: PostgreSQL's dialect (SQLAlchemy loaded it to check the
#: outbox indexes' ``postgresql_where``), Prometheus (its client, http.server and urllib.request),
#: the platforms' and the pictures' libraries.
UNUSED_ON_SQLITE_TO_THE_CONSOLE = {
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "prometheus_client",
    "http.server",
    *PLATFORMS_AND_MIGRATIONS,
}


@pytest.mark.e2e
def test_a_replay_to_the_console_loads_no_postgresql_dialect_and_no_prometheus() -> None:
    loaded = imported_modules("replay", str(AP_FILE), "--step", "--via", "disk")
    # the reading works: the store's tables, its SQLite dialect and the scheduler were loaded
    assert {"bot.store.tables", "sqlalchemy.dialects.sqlite", "apscheduler.schedulers.background"} <= loaded
    assert loaded.isdisjoint(UNUSED_ON_SQLITE_TO_THE_CONSOLE), sorted(loaded & UNUSED_ON_SQLITE_TO_THE_CONSOLE)


@pytest.mark.e2e
def test_the_worker_without_metrics_port_polls_and_prints_without_postgresql_or_prometheus(tmp_path: Path) -> None:
    """``python -m bot poll`` with no ``METRICS_PORT`` serves no /metrics: its counters would be
    read by nobody, so Prometheus stays unloaded (with the port set, tests/e2e/test_worker_endpoints.py)."""
    with FeedServer() as feed:
        feed.route("/feed.json", Reply(200, scenario_files()[-1].read_bytes(), {"Content-Type": "application/json"}))
        config = tmp_path / "worker.toml"
        config.write_text(
            f'[store]\ndatabase_url = "sqlite:///{tmp_path / "worker.db"}"\n\n'
            f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed.url("/feed.json")}"\ninterval_seconds = 2\n',
            encoding="utf-8",
        )
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-X", "importtime", "-m", "bot", "poll", "--config", str(config)],
                cwd=ROOT,
                env={k: v for k, v in without_secrets().items() if not k.startswith(("METRICS_", "LOG_"))},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while f"poll {DEFAULT_FEED}: changed" not in log.read_text(errors="replace"):
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    loaded = modules_in(log.read_text(errors="replace"))
    assert {"bot.store.tables", "sqlalchemy.dialects.sqlite", "bot.delivery.console"} <= loaded
    assert loaded.isdisjoint(UNUSED_ON_SQLITE_TO_THE_CONSOLE), sorted(loaded & UNUSED_ON_SQLITE_TO_THE_CONSOLE)


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


def test_a_commands_modules_load_with_the_collector_held_off_and_stay_frozen() -> None:
    """``_load_modules``: no collection runs while a replay's modules are imported (there were
    about 170, walking SQLAlchemy's and pydantic's containers as they were made), what they left
    is frozen, and the collector is on again afterwards. In a fresh interpreter: the suite's own
    process has everything imported already."""
    code = (
        "import gc, sys\n"
        "from bot.app import cli\n"
        "before = sum(s['collections'] for s in gc.get_stats())\n"
        "cli._load_modules('replay')\n"
        "after = sum(s['collections'] for s in gc.get_stats())\n"
        "print(after - before, gc.isenabled(), gc.get_freeze_count(), 'bot.app.rehearse' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=without_secrets(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    collections, enabled, frozen, loaded = done.stdout.split()
    assert (collections, enabled, loaded) == ("0", "True", "True")
    assert int(frozen) > 50_000
