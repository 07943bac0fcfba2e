"""The Alabama night through the whole bot (the demo: a loopback feed, the real poller, store,
rules and delivery) draws the pictures docs/pictures.md shows: the chart is drawn from the
history rows the poller wrote, one per change, in the polls' own transactions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.pictures.test_golden_pictures import DOCS, MAX_DIFFERING, differing_share

ROOT = Path(__file__).resolve().parents[2]
PICTURES = ("al-u-s-senate-2017-chart.png", "al-u-s-senate-2017-swing-map.png", "al-u-s-senate-2017-margin-map.png")

pytestmark = pytest.mark.e2e


def test_the_replayed_night_draws_the_documented_pictures(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "AP_API_KEY"))}
    out = tmp_path / "charts"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--speed", "8", "--charts", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for name in PICTURES:
        drawn = out / name
        assert drawn.is_file(), f"the demo wrote no {name}:\n{done.stdout[-2000:]}"
        assert str(drawn) in done.stdout
        assert differing_share(drawn.read_bytes(), (DOCS / name).read_bytes()) <= MAX_DIFFERING
