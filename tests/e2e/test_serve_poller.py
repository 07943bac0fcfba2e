"""``python -m bot serve`` runs its poller in a process of its own, supervised (bot/app/web_server.py):
the web worker no longer shares a GIL with a national poll, serve stays one command.

A real serve on loopback, the Alabama night replayed from a loopback feed, the fake Slack slow
(a post nearly always in flight). The night is queued while Slack is down, then drained; the
poller is killed outright mid-drain (SIGKILL: a crash, an OOM kill), while ``/results`` keeps
answering; the supervisor starts another; SIGTERM stops serve and every process it started; the
next serve delivers the rest. Across the three pollers every alert is posted once, in order per
channel, and nothing is left pending.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from benchmarks._results_server import free_port
from benchmarks.bench_results import ALABAMA_FIGURES
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import DEFAULT_FEED, load_scenario, scenario_files
from bot.store.database import OutboxRow, Store
from bot.store.lease import PollerLease
from tests.databases import db_url
from tests.e2e.backlog import queue_night_behind_an_outage
from tests.fakes.slack_api import FakeSlack, wait_for
from tests.fakes.slack_signing import post_signed, slash_body
from tests.integration.delivery.harness import alert_keys

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-poller-test-secret"
CHANNELS = ["C1", "C2"]
LATENCY = 0.4
#: serve's stop: the poll's own 20 s, plus the web worker's and the supervisor's moments
STOP_WITHIN = 25.0


def _config(tmp_path: Path, database: str, feed_url: str) -> Path:
    config = tmp_path / "serve.toml"
    channels = ", ".join(f'"{c}"' for c in CHANNELS)
    config.write_text(
        f'[store]\ndatabase_url = "{database}"\n\n'
        f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed_url}"\ninterval_seconds = 0.2\n\n'
        f'[alerts]\nchannels = [{channels}]\nstyle = "messages"\nlevel = "all"\npictures = false\n',
        encoding="utf-8",
    )
    return config


def _serve(tmp_path: Path, slack: FakeSlack, config: Path, name: str) -> tuple[subprocess.Popen[bytes], Path, str]:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "DISCORD_", "WEB_CONCURRENCY", "GUNICORN", "PROMETHEUS")
        )
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
    }
    log = tmp_path / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            return requests.get(base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(healthy, timeout=90, message="serve did not answer /healthz")
    return proc, log, base


def _poller_pid(base: str) -> int | None:
    """The poller lease's holder, as /healthz shows it ("host:pid")."""
    holder = requests.get(base + "/healthz", timeout=10).json()["poller"]["holder"]
    return int(holder.rsplit(":", 1)[1]) if holder else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=STOP_WITHIN + 10)
    return code, time.monotonic() - started


def _counts(store: Store) -> Counter[str]:
    return Counter(store.backlog())


def _rows(store: Store, status: str) -> set[tuple[str, str]]:
    with store.session() as s:
        rows = s.execute(select(OutboxRow.channel, OutboxRow.alert_key).where(OutboxRow.status == status)).all()
    return {(r.channel, r.alert_key) for r in rows}


def _queued(store: Store, channel: str) -> list[str]:
    with store.session() as s:
        return list(
            s.scalars(
                select(OutboxRow.alert_key)
                .where(OutboxRow.channel == channel, OutboxRow.platform == "slack", OutboxRow.status == "sent")
                .order_by(OutboxRow.id)
            )
        )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples
    }


def test_serve_restarts_a_killed_poller_and_stops_with_it_on_sigterm_nothing_posted_twice(tmp_path: Path) -> None:
    database = db_url(tmp_path / "serve.db")
    files = scenario_files()
    generated = [s.generated_at for s in load_scenario()]
    store = Store(database)
    with FakeSlack(latency=LATENCY) as slack, ReplayServer.from_files(files) as feed:
        config = _config(tmp_path, database, feed.url)
        proc, log, base = _serve(tmp_path, slack, config, "first")
        try:
            queue_night_behind_an_outage(store, slack, feed, files, generated)

            # The poller is a process of its own: not serve's, not gunicorn's web worker.
            first = _poller_pid(base)
            text = log.read_text(errors="replace")
            workers = {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", text)}
            (supervisor,) = (int(pid) for pid in re.findall(r"supervisor pid (\d+)", text))
            assert first is not None and workers, text[-3000:]
            assert first not in workers | {proc.pid, supervisor}, (first, workers, proc.pid, supervisor)

            os.kill(first, signal.SIGKILL)  # mid-drain: a post may be cut short ("sending")
            # the web worker answers while there is no poller
            answer = post_signed(base + "/slack/events", slash_body("alabama"), SECRET, timeout=10)
            assert answer.status_code == 200 and all(f in answer.text for f in ALABAMA_FIGURES), answer.text[:300]
            wait_for(
                lambda: (pid := _poller_pid(base)) is not None and pid != first,
                timeout=60,
                message="no new poller took the lease",
            )
            second = _poller_pid(base)
            assert second is not None and second not in workers
            assert f"the poller (pid {first}) was killed by SIGKILL" in log.read_text(errors="replace")
            sent_before = len(slack.posts())
            wait_for(lambda: len(slack.posts()) > sent_before, timeout=60, message="the new poller posted nothing")

            # serve's /metrics: the poller's series (both pollers') beside the web worker's /results
            metrics = _samples(requests.get(base + "/metrics", timeout=10).text)
            polls = sum(v for (name, _), v in metrics.items() if name == "electionbot_polls_total")
            sent = sum(v for (name, _), v in metrics.items() if name == "electionbot_deliveries_total")
            assert polls >= len(files) and sent >= 1, {k: v for k, v in metrics.items() if "total" in k[0]}
            assert metrics[("electionbot_results_latency_seconds_count", (("kind", "state"), ("outcome", "answered")))] == 1

            before = _counts(store)
            assert before["pending"] + before["sending"] > 2, f"nothing left to be in flight: {before}"
            code, took = _stop(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = log.read_text(errors="replace")
        assert code == 0, f"exit {code}:\n{text[-3000:]}"
        assert took < STOP_WITHIN, f"took {took:.1f} s to stop"
        assert "SIGTERM: stopping" in text and "lease released" in text, text[-3000:]
        assert "Traceback" not in text, text[-3000:]
        wait_for(lambda: not _alive(second) and not _alive(supervisor), timeout=5, message="a child outlived serve")
        # the post under way was finished and recorded: no row left "sending" landed in Slack
        after = _counts(store)
        assert len(slack.posts()) == after["sent"], (len(slack.posts()), after)
        landed = {(c, k) for c in CHANNELS for k in alert_keys(slack.posts(c))}
        assert not _rows(store, "sending") & landed, "a post landed but was not recorded"
        probe = PollerLease(store, interval=1.0)
        assert probe.ensure(), "the lease was not released"
        probe.release()

        # The next serve delivers the rest, once.
        proc, log, _ = _serve(tmp_path, slack, config, "second")
        try:
            wait_for(lambda: not (c := _counts(store))["pending"] and not c["sending"], timeout=300, message="rest")
            assert _stop(proc)[0] == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert set(_counts(store)) <= {"sent", "skipped"}, _counts(store)
    for channel in CHANNELS:
        assert alert_keys(slack.posts(channel)) == _queued(store, channel), f"{channel}: lost, doubled or out of order"
    store.close()
