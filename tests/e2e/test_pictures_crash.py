"""The Alabama night with pictures, SIGKILLed and restarted on the same SQLite store: each
channel gets the call's chart and swing map exactly once (real figures, real uploads into the
fake Slack), and every alert exactly once, as in an uncrashed run.

The kills hit the two windows the upload's commit point must cover, deterministically: right
after a picture's file id is recorded and before the upload is completed (nothing shared: the
restart uploads it afresh), and right after the completion and before the row is marked sent
(shared: the restart finds it by files.info and does not upload it again); and at random moments.

    python -m tests.e2e.test_pictures_crash DB_URL SLACK_BASE_URL [uploaded:N | shared:N | -]
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.picture_crash import run_bot
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = {"C1": "messages", "C2": "cards"}

pytestmark = pytest.mark.e2e


def drive(db_url: str, base_url: str, kill: str = "-") -> dict[str, int]:
    """One bot process: the replay through the real poller, store, worker, figures and Slack sink."""
    from tests.e2e.picture_crash import arm_pictures
    from tests.integration.delivery.harness import build, unsent

    poller, worker, store = build(db_url, base_url, CHANNELS, min_interval=0.01, backoff_base=0.05, card_throttle=0.0)
    arm_pictures(store, poller, worker, kill)
    worker.deliver_due()  # first: whatever a killed predecessor left (reconciled before redoing)
    while poller.poll().status != "unchanged":
        worker.deliver_due()
    deadline = time.monotonic() + 60
    while unsent(store) and time.monotonic() < deadline:
        worker.deliver_due()
        time.sleep(0.01)
    stats = dict(worker.stats)
    store.close()
    return stats


def _delivered(slack: FakeSlack) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    from tests.integration.delivery.harness import alert_keys

    alerts = Counter((p["channel"], k) for p in slack.posts() for k in alert_keys([p]))
    pictures = Counter((u["channel"], u["name"]) for u in slack.uploads())
    return alerts, pictures


def test_each_picture_is_shared_exactly_once_across_sigkills(tmp_path):
    with FakeSlack() as clean:
        drive(f"sqlite:///{tmp_path / 'clean.db'}", clean.base_url)
        expected_alerts, expected_pictures = _delivered(clean)
    assert sorted(expected_pictures) == [
        ("C1", "al-u-s-senate-2017-chart.png"),
        ("C1", "al-u-s-senate-2017-swing-map.png"),
        ("C2", "al-u-s-senate-2017-chart.png"),
        ("C2", "al-u-s-senate-2017-swing-map.png"),
    ]
    assert set(expected_pictures.values()) == {1}

    rng = random.Random(1712)
    db = f"sqlite:///{tmp_path / 'crashy.db'}"
    cmd = [sys.executable, "-m", "tests.e2e.test_pictures_crash", db]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kills = 0
    with FakeSlack(latency=0.002) as slack:
        plan = ["uploaded:1", "shared:1", "uploaded:1", "shared:2", "random", "random"]
        for step in plan:
            args = [db, slack.base_url] + ([step] if step != "random" else [])
            random_kill = rng if step == "random" else None
            kills += run_bot("tests.e2e.test_pictures_crash", args, random_kill, stderr=subprocess.PIPE)
        final = subprocess.run(cmd + [slack.base_url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert final.returncode == 0 and "DONE" in final.stdout, final.stderr[-2000:]
        alerts, pictures = _delivered(slack)
        checks = len(slack.calls_to("files.info"))
        started = len(slack.calls_to("files.getUploadURLExternal"))
    print(
        f"\npictures: {kills} SIGKILLs, {sum(pictures.values())} pictures shared, {started} uploads started, {checks} files.info checks"
    )
    assert kills >= 4
    assert pictures == expected_pictures
    assert alerts == expected_alerts
    assert checks >= 2  # the "shared" kills were found by their file, not uploaded again


if __name__ == "__main__":
    stats = drive(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "-")
    print("DONE", stats, flush=True)
