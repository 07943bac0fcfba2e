"""The demo's output, byte for byte: a restructure (issue 14) must not change one character of it.

The stored copy is the console output of ``python -m bot demo --speed 4`` without its last line
(the wall-clock timing). Regenerate it only for a change of behaviour that is meant, never to make
this test pass after a move.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "fixtures" / "demo" / "al2017_speed4.txt"

pytestmark = pytest.mark.e2e


def test_demo_output_is_byte_identical_to_the_stored_copy() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ELECTIONBOT_", "DATABASE_URL", "AP_API_KEY"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--speed", "4"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines(keepends=True)
    assert lines[-1].startswith("(") and "messages delivered, 0 pending)" in lines[-1]
    assert "".join(lines[:-1]) == GOLDEN.read_text(encoding="utf-8")
