"""The Alabama night through the whole bot (the demo: a loopback feed, the real poller, store,
rules and delivery) draws the pictures docs/pictures.md shows: the chart is drawn from the
history rows the poller wrote, one per change, in the polls' own transactions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.render.discord import message_size
from tests.unit.pictures.test_golden_pictures import DOCS, MAX_DIFFERING, differing_share

ROOT = Path(__file__).resolve().parents[2]
PICTURES = ("al-u-s-senate-2017-chart.png", "al-u-s-senate-2017-swing-map.png", "al-u-s-senate-2017-margin-map.png")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One replay of the night for both the pictures and the Discord preview."""
    where = tmp_path_factory.mktemp("night")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "AP_API_KEY"))}
    command = [sys.executable, "-m", "bot", "demo", "--speed", "8", "--charts", str(where / "charts")]
    done = subprocess.run(
        [*command, "--discord", str(where / "discord.jsonl")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return where, done


def test_the_replayed_night_draws_the_documented_pictures(night: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    where, done = night
    out = where / "charts"
    for name in PICTURES:
        drawn = out / name
        assert drawn.is_file(), f"the demo wrote no {name}:\n{done.stdout[-2000:]}"
        assert str(drawn) in done.stdout
        assert differing_share(drawn.read_bytes(), (DOCS / name).read_bytes()) <= MAX_DIFFERING


def test_the_demo_shows_what_discord_would_be_sent(night: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """`demo --discord FILE`: every alert of the night as the Discord sink would post it, then
    /results alabama as Discord shows it; within Discord's limits, never a ping."""
    where, done = night
    entries = [json.loads(line) for line in (where / "discord.jsonl").read_text(encoding="utf-8").splitlines()]
    alerts, final = entries[:-1], entries[-1]
    assert len(alerts) == 40 and len({e["alert"] for e in alerts}) == 40  # the night's 40 alerts, once each
    assert final["results"] == "alabama"
    for entry in entries:
        message = entry["message"]
        assert message["allowed_mentions"] == {"parse": []}
        assert message_size(message) <= 6000 and len(message.get("embeds", [])) <= 10
    embed = final["message"]["embeds"][0]
    assert "49.92" in embed["description"] and "48.38" in embed["description"] and "20,715" in embed["description"]
    assert f"=== Discord: 40 messages and /results alabama in {where / 'discord.jsonl'} ===" in done.stdout
    assert embed["title"] in done.stdout
