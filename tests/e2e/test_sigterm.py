"""SIGTERM (a deploy, a dyno's daily restart) and SIGINT stop ``python -m bot poll`` cleanly: no
new polls, the post under way finished and recorded, the lease released, exit 0 within 20 s,
and nothing lost: the next start delivers the rest, each alert once and in order per channel.

The night is queued while the fake Slack is down; then it answers slowly (``LATENCY``), so a
post is nearly always in flight when the signal lands and a backlog waits behind it. SIGTERM runs on PostgreSQL (skipped with a reason
when no server answers), SIGINT on SQLite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import DEFAULT_FEED, load_scenario, scenario_files
from bot.store.database import OutboxRow, Store
from bot.store.lease import PollerLease, current_holder
from tests.e2e.backlog import queue_night_behind_an_outage
from tests.fakes.slack_api import FakeSlack, wait_for
from tests.integration.delivery.harness import alert_keys
from tests.integration.store.own_postgres import own_database

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = ["C1", "C2"]
LATENCY = 0.4
STOP_WITHIN = 20.0


@pytest.fixture(params=[("postgres", signal.SIGTERM), ("sqlite", signal.SIGINT)], ids=["SIGTERM-postgres", "SIGINT-sqlite"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, signal.Signals]]:
    kind, sig = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}", sig
        return
    with own_database("electionbot_lease_sigterm") as url:
        yield url, sig


def _config(tmp_path: Path, db_url: str, feed_url: str) -> Path:
    config = tmp_path / "worker.toml"
    channels = ", ".join(f'"{c}"' for c in CHANNELS)
    config.write_text(
        f'[store]\ndatabase_url = "{db_url}"\n\n'
        f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed_url}"\ninterval_seconds = 0.2\n\n'
        f'[alerts]\nchannels = [{channels}]\nstyle = "messages"\nlevel = "all"\n',
        encoding="utf-8",
    )
    return config


def _worker(tmp_path: Path, slack: FakeSlack, config: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "DISCORD_"))}
    env |= {
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "unused-here",
        "SLACK_API_URL": slack.base_url,
    }
    log = tmp_path / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--log-level", "INFO", "poll", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, log


def _counts(store: Store) -> Counter[str]:
    return Counter(store.backlog())


def _sending(store: Store) -> set[tuple[str, str]]:
    from sqlalchemy import select

    with store.session() as s:
        rows = s.execute(select(OutboxRow.channel, OutboxRow.alert_key).where(OutboxRow.status == "sending")).all()
    return {(r.channel, r.alert_key) for r in rows}


def _queue_order(store: Store, channel: str) -> tuple[list[str], int]:
    """The channel's sent messages' keys in queue order, and its sent pictures (uploads, not posts)."""
    from sqlalchemy import select

    from bot.core.picture_orders import PictureOrder
    from bot.store.database import outbox_item

    with store.session() as s:
        rows = s.execute(
            select(OutboxRow.alert_key, OutboxRow.payload)
            .where(OutboxRow.channel == channel, OutboxRow.platform == "slack", OutboxRow.status == "sent")
            .order_by(OutboxRow.id)
        ).all()
    pictures = {r.alert_key for r in rows if isinstance(outbox_item(r.payload), PictureOrder)}
    return [r.alert_key for r in rows if r.alert_key not in pictures], len(pictures)


def test_a_signal_stops_the_worker_within_20_s_and_the_next_start_delivers_the_rest_once(
    tmp_path: Path, case: tuple[str, signal.Signals]
) -> None:
    db_url, sig = case
    files = scenario_files()
    generated = [s.generated_at for s in load_scenario()]
    store = Store(db_url)
    with FakeSlack(latency=LATENCY) as slack, ReplayServer.from_files(files) as feed:
        config = _config(tmp_path, db_url, feed.url)
        proc, log = _worker(tmp_path, slack, config, "first")
        try:
            # The night is queued while Slack is down, then Slack comes back slow: a backlog,
            # drained a post at a time, one always in flight.
            queue_night_behind_an_outage(store, slack, feed, files, generated)
            before = _counts(store)
            assert before["pending"] + before["sending"] > 5, f"nothing left to be in flight: {before}"
            started = time.monotonic()
            proc.send_signal(sig)
            code = proc.wait(timeout=STOP_WITHIN + 5)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = log.read_text(errors="replace")
        assert code == 0, f"exit {code}:\n{text[-3000:]}"
        assert took < STOP_WITHIN, f"took {took:.1f} s to stop"
        assert f"{sig.name}: stopping" in text and "lease released" in text, text[-3000:]
        after = _counts(store)
        # the post under way was finished and recorded: Slack's posts are exactly the rows marked
        # sent, and no row left "sending" (an attempt during the outage, to be checked) was posted
        posted_first = len(slack.posts()) + len(slack.uploads())
        assert posted_first == after["sent"], (posted_first, after)
        landed = {(c, k) for c in CHANNELS for k in alert_keys(slack.posts(c))}
        assert not _sending(store) & landed, "a post landed but was not recorded"
        assert after["pending"] > 0, "the test stopped nothing: all was delivered before the signal"
        # the lease is free at once: a new process takes it at its first try
        if db_url.startswith("postgresql"):
            assert current_holder(store) is None
        probe = PollerLease(store, interval=1.0)
        assert probe.ensure(), "the lease was not released"
        probe.release()

        # The next start delivers the rest, once.
        proc, log = _worker(tmp_path, slack, config, "second")
        try:
            wait_for(lambda: not (c := _counts(store))["pending"] and not c["sending"], timeout=300, message="rest")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=STOP_WITHIN + 5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert set(_counts(store)) <= {"sent", "skipped"}, _counts(store)  # nothing pending, sending or failed
        for channel in CHANNELS:
            messages, pictures = _queue_order(store, channel)
            assert alert_keys(slack.posts(channel)) == messages, f"{channel}: lost, doubled or out of order"
            assert len(slack.uploads(channel)) == pictures, f"{channel}: a picture lost or uploaded twice"
        print(
            f"\n{sig.name} ({db_url.split(':')[0]}): exit 0 in {took:.2f} s with {before['pending'] + before['sending']} "
            f"unsent; {posted_first} posted before, {len(slack.posts()) + len(slack.uploads()) - posted_first} after the restart, none twice"
        )
    store.close()
