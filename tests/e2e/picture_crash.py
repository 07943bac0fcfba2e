"""Pictures and their crash points, armed in a bot process the e2e crash tests start.

Both picture crash tests (Slack's uploads, Discord's multipart messages) must hit the same two
windows of a picture's commit point, so they arm them here in one way: ``uploaded:N`` kills the
process once the Nth picture's marker is committed (before it is shared), ``shared:N`` right after
the Nth picture is shared (before it is marked sent). ``-`` arms nothing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from bot.app.poller import Poller
from bot.delivery.worker import DeliveryWorker
from bot.store.database import Store

ROOT = Path(__file__).resolve().parents[2]


def arm_pictures(
    store: Store, poller: Poller, worker: DeliveryWorker, kill: str, platforms: Collection[str] = ("slack",)
) -> None:
    """The desk as the runtime wires it (real figures, the demo's baseline for the swing map) and
    the SIGKILL in the picture window ``kill`` names. Replaces ``store.note_upload`` and
    ``worker.on_posted`` in this process only."""
    from bot.app.demo import DEMO_CONTEXT
    from bot.app.pictures import PictureDesk, default_figures
    from bot.app.settings import rule_settings, settings_from_dict
    from bot.core.picture_orders import PictureOrder

    feeds = [{"name": "al-2017", "kind": "json", "url": "http://127.0.0.1:1/"}]
    figure_rules = rule_settings(settings_from_dict({"feeds": feeds, "context": DEMO_CONTEXT}))
    desk = PictureDesk(store, default_figures(store, figure_rules), platforms=platforms)
    assert desk.enabled, "the figures need matplotlib"
    poller.pictures, worker.draw = desk.orders, desk.draw
    window, _, nth = kill.partition(":")
    seen = 0

    def die_at(where: str) -> None:
        nonlocal seen
        if window == where:
            seen += 1
            if seen >= int(nth):
                os.kill(os.getpid(), signal.SIGKILL)

    note_upload = store.note_upload

    def noted(delivery_id: int, marker: str | None) -> None:
        note_upload(delivery_id, marker)
        die_at("uploaded")  # the marker is committed; the picture not yet shared

    store.note_upload = noted  # type: ignore[method-assign]  # the crash point, in this process only
    worker.on_posted = lambda row: die_at("shared") if isinstance(row.alert, PictureOrder) else None


def run_bot(module: str, args: list[str], rng: random.Random | None = None, **popen: Any) -> bool:
    """One bot process (``python -m module *args``) to its end, or, with ``rng``, SIGKILLed from
    outside 1 to 4 s in; True if it died by SIGKILL (armed from inside or from here)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", module, *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, **popen)
    if rng is not None:
        time.sleep(rng.uniform(1.0, 4.0))
        if proc.poll() is None:
            proc.kill()  # SIGKILL
    proc.wait(timeout=180)
    return proc.returncode == -9
