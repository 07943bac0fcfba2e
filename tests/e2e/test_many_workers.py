"""Many processes on one PostgreSQL database during the Alabama replay, as a newsroom scales it:
two ``python -m bot poll`` workers and two web processes (the Procfile's gunicorn command).

One worker holds the poller's lease and polls; both deliver (channel claims). Mid-night the
holder is SIGKILLed: the other takes the lease over within about one poll interval (measured
here from the kill to the new holder's row; the interval boundary itself is pinned on a mocked
clock in tests/integration/store/test_lease.py). Every alert reaches each channel exactly once
and in order, the story of the night intact, and signed ``/results`` requests are answered by
both web processes throughout. Finally SIGTERM stops the surviving worker with exit 0.

Real processes, a real feed server, the fake Slack, the real signature check; skipped with a
reason only when no PostgreSQL server answers.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from benchmarks._results_server import free_port
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import DEFAULT_FEED, load_scenario, scenario_files
from bot.store.database import Store
from bot.store.lease import current_holder
from tests.e2e.test_election_night import STORY, story_of
from tests.fakes.slack_api import FakeSlack, wait_for
from tests.fakes.slack_signing import post_signed, slash_body
from tests.integration.delivery.harness import alert_keys
from tests.integration.store.own_postgres import own_database

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SECRET = "many-workers-signing-secret"
CHANNELS = ["C1", "C2", "C3"]
INTERVAL = 0.5


def _env(tmp_path: Path, slack: FakeSlack, config: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN", "DISCORD_"))
    }
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        # gunicorn's control socket lives in $HOME: one per test, not shared; matplotlib's font
        # cache stays where it was (building it again costs each process seconds)
        "HOME": str(tmp_path),
        "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR") or str(Path.home() / ".cache" / "matplotlib"),
        "ELECTIONBOT_CONFIG": str(config),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }


def _config(tmp_path: Path, db_url: str, feed_url: str) -> Path:
    config = tmp_path / "night.toml"
    channels = ", ".join(f'"{c}"' for c in CHANNELS)
    config.write_text(
        f'[store]\ndatabase_url = "{db_url}"\n\n'
        f'[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed_url}"\ninterval_seconds = {INTERVAL}\n\n'
        f'[alerts]\nchannels = [{channels}]\nstyle = "messages"\nlevel = "all"\n',
        encoding="utf-8",
    )
    return config


def web_command(port: int) -> list[str]:
    """The Procfile's ``web:`` line, bound to loopback on ``port``."""
    line = next(line for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines() if line.startswith("web:"))
    words = shlex.split(line.removeprefix("web:").strip())
    assert words[0] == "gunicorn"
    return [sys.executable, "-m", "gunicorn", *(w.replace("0.0.0.0:$PORT", f"127.0.0.1:{port}") for w in words[1:])]


@dataclass
class Asked:
    """/results asked of the web processes, by port: (time, HTTP status or the error)."""

    answers: dict[int, list[tuple[float, int | str]]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, ports: list[int]) -> None:
        i = 0
        while not self.stop.is_set():
            port = ports[i % len(ports)]
            i += 1
            try:
                resp = post_signed(f"http://127.0.0.1:{port}/slack/events", slash_body("alabama"), SECRET, timeout=5)
                outcome: int | str = resp.status_code if "Alabama" in resp.text or resp.status_code != 200 else "empty"
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            self.answers.setdefault(port, []).append((time.monotonic(), outcome))
            time.sleep(0.05)


@pytest.fixture()
def pg_url() -> Iterator[str]:
    with own_database("electionbot_lease_e2e") as url:
        yield url


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_two_workers_two_web_processes_the_holder_killed_mid_night(tmp_path: Path, pg_url: str) -> None:
    files = scenario_files()
    generated = [s.generated_at for s in load_scenario()]
    store = Store(pg_url)  # this test's view of the database (it migrates the schema first)
    procs: list[subprocess.Popen[bytes]] = []
    asked = Asked()
    with FakeSlack(latency=0.002) as slack, ReplayServer.from_files(files) as feed:
        config = _config(tmp_path, pg_url, feed.url)
        env = _env(tmp_path, slack, config)
        ports = [free_port(), free_port()]
        try:
            workers = [
                _start([sys.executable, "-m", "bot", "--log-level", "INFO", "poll"], env, tmp_path / f"worker{i}.log")
                for i in range(2)
            ]
            webs = [_start(web_command(port), env, tmp_path / f"web{port}.log") for port in ports]
            procs = workers + webs
            for port in ports:
                wait_for(lambda port=port: _answers(port), timeout=180, message=f"web on {port} never answered")
            asker = threading.Thread(target=asked.run, args=(ports,), daemon=True)
            asker.start()

            def stored():  # noqa: ANN202
                loaded = store.load(DEFAULT_FEED)
                return loaded.snapshot.generated_at if loaded else None

            def play(upto: int) -> None:
                wait_for(lambda: stored() == generated[feed.index], timeout=120, message="the first poll")
                while feed.index < upto:
                    feed.advance()
                    wait_for(lambda: stored() == generated[feed.index], timeout=30, message=f"poll {feed.index}")

            play(len(files) // 2)
            holder = current_holder(store)
            assert holder is not None and holder.verified
            pids = {w.pid: w for w in workers}
            assert holder.pid in pids, f"the lease holder {holder} is not one of the workers {list(pids)}"
            survivor = next(w for pid, w in pids.items() if pid != holder.pid)
            killed_at = time.monotonic()
            pids[holder.pid].send_signal(signal.SIGKILL)
            new = wait_for(
                lambda: (h := current_holder(store)) is not None and h.pid == survivor.pid and h,
                timeout=10,
                interval=0.01,
                message="no takeover",
            )
            takeover = time.monotonic() - killed_at
            assert pids[holder.pid].wait(timeout=10) == -signal.SIGKILL
            assert new.since > holder.since
            play(len(files) - 1)
            wait_for(lambda: not _unsent(store), timeout=60, message="the outbox never emptied")
            time.sleep(1.0)  # /results keeps being asked after the night is in
            asked.stop.set()
            asker.join(timeout=10)

            # Every alert once, in order, per channel; the story whole.
            sent = {c: [a.key for ch, a in store.sent_alerts("slack") if ch == c] for c in CHANNELS}  # pictures too
            by_id = {c: _sent_in_queue_order(store, c) for c in CHANNELS}
            for c in CHANNELS:
                posted = alert_keys(slack.posts(c))
                dupes = [k for k, n in Counter(posted).items() if n > 1]
                assert not dupes, f"{c}: posted twice: {dupes}"
                messages, pictures = by_id[c]
                assert posted == messages, f"{c}: not every alert, or not in order"
                assert len(slack.uploads(c)) == pictures, f"{c}: a picture lost or uploaded twice"
                assert story_of([a for ch, a in store.sent_alerts("slack") if ch == c]) == STORY
            assert store.backlog().get("failed", 0) == 0

            # /results answered by both web processes throughout, the kill included.
            for port in ports:
                outcomes = asked.answers.get(port, [])
                bad = [o for _, o in outcomes if o != 200]
                assert outcomes and not bad, f"web {port}: {len(bad)} of {len(outcomes)} not answered: {bad[:5]}"
                around = [o for t, o in outcomes if killed_at - 1 <= t <= killed_at + 5]
                assert around, f"web {port} was not asked around the kill"

            # SIGTERM: the survivor stops with exit 0 well within 20 s.
            started = time.monotonic()
            survivor.send_signal(signal.SIGTERM)
            code = survivor.wait(timeout=25)
            stopped = time.monotonic() - started
            assert code == 0 and stopped < 20, (code, stopped)
            assert current_holder(store) is None, "the lease was not released"
            print(
                f"\nmany workers: takeover {takeover:.2f} s after SIGKILL (interval {INTERVAL} s); "
                f"{sum(len(v) for v in sent.values())} alerts over {len(CHANNELS)} channels; "
                f"/results answered {', '.join(f'{len(asked.answers[p])}x on :{p}' for p in ports)}; "
                f"SIGTERM exit {code} in {stopped:.2f} s"
            )
            assert takeover < 2 * INTERVAL + 0.5, f"takeover took {takeover:.2f} s (interval {INTERVAL} s)"
        finally:
            asked.stop.set()
            for proc in procs:
                _stop(proc)
            store.close()
            for log in sorted(tmp_path.glob("*.log")):
                text = log.read_text(errors="replace")
                if "Traceback" in text:
                    print(f"--- {log.name} ---\n{text[-3000:]}")


def _answers(port: int) -> bool:
    try:
        return post_signed(f"http://127.0.0.1:{port}/slack/events", slash_body("alabama"), SECRET, timeout=2).ok
    except requests.RequestException:
        return False


def _unsent(store: Store) -> int:
    backlog = store.backlog()
    return backlog.get("pending", 0) + backlog.get("sending", 0)


def _sent_in_queue_order(store: Store, channel: str) -> tuple[list[str], int]:
    """The channel's sent messages' keys in queue order, and how many pictures (uploads, not posts)."""
    from sqlalchemy import select

    from bot.core.picture_orders import PictureOrder
    from bot.store.database import OutboxRow, outbox_item

    with store.session() as s:
        rows = s.execute(
            select(OutboxRow.alert_key, OutboxRow.payload)
            .where(OutboxRow.channel == channel, OutboxRow.platform == "slack", OutboxRow.status == "sent")
            .order_by(OutboxRow.id)
        ).all()
    pictures = [r.alert_key for r in rows if isinstance(outbox_item(r.payload), PictureOrder)]
    return [r.alert_key for r in rows if r.alert_key not in pictures], len(pictures)
