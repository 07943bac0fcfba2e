"""``python -m bot demo``: the Alabama 2017 Senate night, replayed through the real pipeline.

The shipped scenario is a set of saved snapshots; the demo replays them like any recording
(bot/rehearsal/replay_server.py): a loopback HTTP server publishes one per tick and the real poller,
rules, store and delivery worker print the alerts to the console (and post them to Slack when
``SLACK_BOT_TOKEN`` is set). No network beyond 127.0.0.1, no ../shared needed.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.app.pictures import PictureDesk, default_figures, write_pictures
from bot.app.rehearse import default_channels, replay
from bot.app.runtime import Runtime
from bot.core.events import Alert
from bot.feeds.source import FeedSpec
from bot.rehearsal.recording import recording_from_files
from bot.rehearsal.replay_server import FILE_SPACING
from bot.rehearsal.scenarios import DEFAULT_FEED, scenario_files, scenario_info
from bot.render import discord as discord_render
from bot.render.answers import answer
from bot.render.discord_answers import discord_message
from bot.render.text_answers import answer_text
from config.settings import Secrets

log = logging.getLogger("electionbot.demo")

#: The context a desk would configure for the night: the 2016 presidential vote by county as the
#: baseline, and the Senate's seats as they stood before the special.
DEMO_CONTEXT = {"seats": "config/seats.toml", "baselines": [{"races": ["AL"], "scenario": "20171212_al_senate_special"}]}

DEFAULT_TICK = FILE_SPACING  # seconds per snapshot at speed 1: the whole night in well under a minute


def run_demo(
    speed: float = 1.0,
    *,
    out: TextIO | None = None,
    database: str | None = None,
    channels: list[str] | None = None,
    charts: Path | None = None,
    discord: Path | None = None,
) -> int:
    out = out or sys.stdout
    files = scenario_files()
    info = scenario_info()
    secrets = Secrets.from_env()
    channels = channels or default_channels()
    feed = FeedSpec(DEFAULT_FEED, "json", "http://replay.invalid/al-2017.json", DEFAULT_TICK)
    out.write(
        f"Replaying {info.get('description', 'Alabama 2017')} — {len(files)} snapshots, one every {DEFAULT_TICK / speed:.2f} s"
        + (f"; also posting to Slack {', '.join(channels)}" if secrets.slack_enabled else "")
        + "\n\n"
    )
    out.flush()

    def final_answer(runtime: Runtime) -> None:
        final = answer("alabama", runtime.store.latest_snapshots(), runtime.rules)
        out.write("=== /results alabama ===\n" + answer_text(final) + "\n")
        if charts is not None:
            write_charts(runtime, charts, out)
        if discord is not None:
            write_discord_preview(runtime, discord, out)

    result = replay(
        recording_from_files(files, feed, DEFAULT_TICK),
        speed=speed,
        out=out,
        # swing from the 2016 presidential vote and the Senate tally (issue 7)
        base={"alerts": {"channels": channels}, "context": DEMO_CONTEXT},
        secrets=secrets,
        database=database,
        after=final_answer,
    )
    out.write(f"\n({result.seconds:.1f} s; {result.delivered} messages delivered, {result.pending} pending)\n")
    return 0 if result.pending == 0 else 1


def write_charts(runtime: Runtime, directory: Path, out: TextIO) -> list[Path]:
    """``--charts DIR``: the night's chart and both county maps of each race, as the store has
    them at the end of the night, written to ``directory``; their paths (with size and drawing
    time) printed. Drawn even where [alerts] pictures is off: asking for them is the switch."""
    desk = runtime.pictures if runtime.pictures is not None and runtime.pictures.enabled else None
    desk = desk or PictureDesk(runtime.store, default_figures(runtime.store, runtime.rules))
    if not desk.enabled:
        out.write("=== pictures ===\n(none: the figures need matplotlib)\n")
        return []
    out.write(f"=== pictures in {directory} ===\n")
    written: list[Path] = []
    for snapshot in runtime.store.latest_snapshots():
        for path, took in write_pictures(desk, directory, snapshot.feed, list(snapshot.races)):
            out.write(f"{path}  ({path.stat().st_size / 1024:.0f} kB, drawn in {took:.0f} ms)\n")
            written.append(path)
    return written


def discord_preview(alerts: list[Alert], final: dict[str, Any]) -> list[dict[str, Any]]:
    """What a Discord channel would have been sent for the night (each alert's message, as
    ``bot.delivery.discord`` posts it) and, last, the ``/results alabama`` answer as Discord
    shows it: the payloads themselves, so a reader sees embeds, colours and limits, not a retelling."""
    lines = [{"alert": a.key, "message": discord_render.alert_message(a)} for a in alerts]
    return [*lines, {"results": "alabama", "message": final}]


def write_discord_preview(runtime: Runtime, path: Path, out: TextIO) -> int:
    """``--discord FILE``: the preview as JSON lines, and the final answer's embed in words."""
    alerts = [a for _, a in runtime.store.sent_alerts(platform="console") if isinstance(a, Alert)]
    final = discord_message(answer("alabama", runtime.store.latest_snapshots(), runtime.rules))
    entries = discord_preview(alerts, final)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries), encoding="utf-8")
    out.write(f"=== Discord: {len(alerts)} messages and /results alabama in {path} ===\n")
    for embed in final.get("embeds", []):
        out.write(f"[embed] {embed.get('title', '')}\n{embed.get('description', '')}\n")
    return len(entries)
