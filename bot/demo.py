"""``python -m bot demo``: the Alabama 2017 Senate night, replayed through the real pipeline.

A loopback HTTP server plays the shipped scenario one snapshot per tick; the real scheduler,
poller, rules, store and delivery worker run against it and print alerts to the console (and to
Slack when ``SLACK_BOT_TOKEN`` is set). No network beyond 127.0.0.1, no ../shared needed.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.answers import answer
from bot.feeds import native
from bot.replay_server import ReplayServer, wait_until
from bot.runtime import Runtime
from bot.scenarios import scenario_files, scenario_info
from config.settings import Secrets, settings_from_dict

log = logging.getLogger("electionbot.demo")

#: The context a desk would configure for the night: the 2016 presidential vote by county as the
#: baseline, and the Senate's seats as they stood before the special.
DEMO_CONTEXT = {"seats": "config/seats.toml", "baselines": [{"races": ["AL"], "scenario": "20171212_al_senate_special"}]}

DEFAULT_TICK = 0.8  # seconds per snapshot at speed 1: the whole night in well under a minute


def run_demo(speed: float = 1.0, *, out: TextIO | None = None, database: str | None = None, channels: list[str] | None = None) -> int:
    out = out or sys.stdout
    files = scenario_files()
    info = scenario_info()
    tick = DEFAULT_TICK / speed
    with tempfile.TemporaryDirectory(prefix="electionbot-demo-") as tmp:
        db_url = database or f"sqlite:///{Path(tmp) / 'demo.db'}"
        secrets = Secrets.from_env()
        channels = channels or [c for c in os.environ.get("ELECTIONBOT_CHANNELS", "#elections").split(",") if c.strip()]
        server = ReplayServer.from_files(files)
        server.start(tick=tick)
        settings = settings_from_dict(
            {
                "feeds": [{"name": "al-2017", "kind": "json", "url": server.url, "interval_seconds": tick / 2}],
                "alerts": {"channels": channels},
                # swing from the 2016 presidential vote and the Senate tally (issue 7)
                "context": DEMO_CONTEXT,
            },
            source="demo",
        )
        runtime = Runtime.build(settings, secrets, console=out, database_url=db_url)
        out.write(
            f"Replaying {info.get('description', 'Alabama 2017')} — {len(files)} snapshots, one every {tick:.2f} s"
            + (f"; also posting to Slack {', '.join(channels)}" if secrets.slack_enabled else "")
            + "\n\n"
        )
        out.flush()
        scheduler = runtime.scheduler()
        started = time.monotonic()
        scheduler.start()
        try:
            last_at = native.parse(files[-1].read_bytes(), "al-2017").generated_at
            done = wait_until(
                lambda: server.finished and _stored_at(runtime) == last_at and not runtime.store.backlog().get("pending"),
                timeout=len(files) * tick * 3 + 30,
                interval=0.1,
            )
        finally:
            scheduler.shutdown(wait=True)
            server.stop()
        runtime.worker.deliver_due()
        elapsed = time.monotonic() - started
        final = answer("alabama", runtime.store.latest_snapshots(), runtime.rules)
        out.write("=== /results alabama ===\n" + final.text() + "\n")
        backlog = runtime.store.backlog()
        out.write(f"\n({elapsed:.1f} s; {backlog.get('sent', 0)} messages delivered, {backlog.get('pending', 0)} pending)\n")
        runtime.close()
        return 0 if done else 1


def _stored_at(runtime: Runtime) -> datetime | None:
    stored = runtime.store.load("al-2017")
    return stored.snapshot.generated_at if stored else None
