"""The command line as a newcomer meets it: the demo, check-config, and clear config errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def run_bot(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "AP_API_KEY"))
    }
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.e2e
def test_demo_replays_alabama_and_ends_with_the_results_answer() -> None:
    done = run_bot("demo", "--speed", "8")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line in (
        "LEAD CHANGE: Doug Jones (Dem) overtakes Roy Moore (GOP)",
        "Recount territory",
        "RACE CALLED: Doug Jones (Dem) wins",
        "GAIN: Democrats gain an Alabama Senate seat from the Republicans, the first since 1992",
        "Senate: Republicans 51, Democrats 49 (Jones gain; was 52–48)",
        "Jefferson, all precincts in: Jones by 37.9 points, a swing of 30.7 points towards the Democrats from 2016",
    ):
        assert line in out
    answer = out.split("=== /results alabama ===", 1)[1]
    assert "Jones 671,151 (49.92 %) · Moore 650,436 (48.38 %)" in answer
    assert "Jones leads by 20,715 votes (1.54 points)" in answer
    assert "a swing of 29.2 points towards the Democrats; all 67 counties moved towards the Democrats" in answer
    assert "0 pending" in answer


def test_check_config_accepts_the_example() -> None:
    done = run_bot("check-config", "--config", str(ROOT / "config" / "example.toml"))
    assert done.returncode == 0, done.stderr
    assert "config OK: 1 feed(s): al-2017 (json)" in done.stdout


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        (
            '[[feeds]]\nname = "x"\nkind = "json"\nurl = "http://127.0.0.1/"\ninterval_seconds = -1\n',
            "feeds.0.interval_seconds",
        ),
        ('[[feeds]]\nname = "x"\nkind = "fax"\nurl = "http://127.0.0.1/"\n', "feeds.0.kind"),
        ('[[feeds]]\nname = "x"\nkind = "json"\nurl = "u"\n[alerts]\nlevel = "loud"\n', "alerts.level"),
        ("[alerts]\nchannels = []\n", "feeds"),
        ("feeds = [", "not valid TOML"),
        ('[[feeds]]\nname = "x"\nkind = "json"\nurl = "u"\n[context]\nseats = "no/such/seats.toml"\n', "context.seats"),
        (
            '[[feeds]]\nname = "x"\nkind = "json"\nurl = "u"\n[[context.baselines]]\nraces = ["AL"]\nfile = "no/such.csv"\n',
            "context.baselines.0",
        ),
    ],
)
def test_bad_config_names_the_key_and_exits_2(tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings(path)
    done = run_bot("check-config", "--config", str(path))
    assert done.returncode == 2
    assert named in done.stderr and "Traceback" not in done.stderr


def test_missing_config_is_one_clear_message() -> None:
    done = run_bot("poll")
    assert done.returncode == 2
    assert "no config file" in done.stderr


def test_secrets_never_show_in_repr() -> None:
    from bot.app.settings import Secrets

    secrets = Secrets.from_env({"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "shh"})
    assert "very-secret" not in repr(secrets) and "shh" not in repr(secrets)
    assert secrets.slack_api_url == "https://slack.com/api/"


def test_a_bad_feed_option_stops_poll_with_the_key_named(tmp_path: Path) -> None:
    """Options are read by the feed's adapter when the bot starts: still one message, exit 2."""
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[feeds]]\nname = "ap"\nkind = "ap"\nurl = "http://127.0.0.1:9/v2/elections"\noptions = { trendtables = 5 }\n'
    )
    done = run_bot("poll", "--config", str(path), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "feeds.0 (ap)" in done.stderr and "trendtables" in done.stderr and "Traceback" not in done.stderr
