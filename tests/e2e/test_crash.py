"""SIGKILL at random points of the replay, restart on the same SQLite store: the multiset of
delivered alerts (metadata alert_key) equals an uncrashed run's, and each race gets one card.

Half the kills are timed at random (seeded) by this process; the other half are the worst case,
made deterministic: the driver kills itself right after a post and before marking it sent, so
the restart must find the post in the channel (conversations.history/replies) and not re-post.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery import crash_driver
from tests.integration.delivery.harness import alert_keys, card_posts

ROOT = Path(__file__).resolve().parents[2]


def _delivered(slack: FakeSlack) -> tuple[Counter[str], int]:
    posts = slack.posts()
    return Counter((p["channel"], k) for p in posts for k in alert_keys([p])), len(card_posts(posts))


def test_sigkill_at_random_points_never_loses_or_duplicates_an_alert(tmp_path):
    with FakeSlack() as clean:
        crash_driver.run(db_url(tmp_path / "clean.db"), clean.base_url)
        expected, expected_cards = _delivered(clean)
    assert sum(expected.values()) == 80 and expected_cards == 1

    rng = random.Random(1212)
    db = db_url(tmp_path / "crashy.db")
    kills = 0
    with FakeSlack(latency=0.005) as slack:
        cmd = [sys.executable, "-m", "tests.integration.delivery.crash_driver", db, slack.base_url]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for attempt in range(8):
            if attempt % 2 == 0:
                proc = subprocess.Popen(cmd + [str(rng.randint(2, 12))], cwd=ROOT, env=env, stdout=subprocess.PIPE)
                proc.wait(timeout=60)
            else:
                proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE)
                time.sleep(rng.uniform(0.3, 1.0))  # early enough that work remains to be killed
                if proc.poll() is None:
                    proc.kill()  # SIGKILL
                proc.wait(timeout=60)
            if proc.returncode == -9:
                kills += 1
        final = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert final.returncode == 0 and "DONE" in final.stdout, final.stderr[-2000:]
        got, cards = _delivered(slack)
        history = len(slack.calls_to("conversations.history")) + len(slack.calls_to("conversations.replies"))
    print(f"\ncrash: {kills} SIGKILLs, {sum(got.values())} alerts delivered, {cards} card(s), {history} history checks")
    assert kills >= 5
    assert got == expected
    assert cards == expected_cards
