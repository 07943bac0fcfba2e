"""The pictures' cost: each figure of the Alabama night drawn from what the bot stores, timed
cold (the first in the process: fonts, the county shapes) and warm, with its PNG size.

    .venv/bin/python -m benchmarks.bench_pictures [--runs 7] [--write docs/pictures]

Prints one line per picture: wall and CPU milliseconds (median of the warm runs; the CPU time
is the process's, so a machine shared with other work shows in wall but not in CPU) and bytes.
``--write DIR`` also writes the PNGs (docs/pictures holds the ones docs/pictures.md shows).
The history is the scenario's snapshots committed through a real store (SQLite in a temporary
folder), then read back as ``/results … chart`` reads it. Target (issue 17): under 300 ms each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.context_files import scenario_baseline
from bot.app.settings import rule_settings, settings_from_dict
from bot.rehearsal.scenarios import DEFAULT_FEED, DEFAULT_SCENARIO, load_scenario
from bot.render.picture import Picture
from bot.store.database import Store
from bot.store.history import race_history

KEY = "AL-1000"


def figures(folder: Path) -> dict[str, Callable[[], Picture | None]]:
    """The three pictures of the Alabama night, from a store that polled it."""
    from bot.render.chart import race_chart
    from bot.render.county_map import margin_map, swing_map

    store = Store(f"sqlite:///{folder / 'bench.db'}")
    start = datetime(2026, 11, 3, 20, 0, tzinfo=UTC)
    for n, snapshot in enumerate(load_scenario()):
        store.commit_poll(snapshot, {}, {}, [], start + timedelta(minutes=n))
    rules = rule_settings(
        settings_from_dict({"feeds": [{"name": DEFAULT_FEED, "kind": "json", "url": "http://x.invalid/"}]})
    )
    baseline = scenario_baseline(DEFAULT_SCENARIO)
    assert baseline is not None

    def race():  # noqa: ANN202
        return store.latest_snapshots()[0].races[KEY]

    return {
        "chart": lambda: race_chart(race(), race_history(store, DEFAULT_FEED, KEY), rules),
        "swing_map": lambda: swing_map(race(), baseline),
        "margin_map": lambda: margin_map(race()),
    }


def measure(draw: Callable[[], Picture | None], runs: int) -> tuple[float, float, float, Picture]:
    """(cold wall ms, warm wall ms median, warm CPU ms median, the picture)."""
    t0 = time.perf_counter()
    picture = draw()
    cold = (time.perf_counter() - t0) * 1000
    assert picture is not None
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        again = draw()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
        assert again is not None and again.png == picture.png, "the same inputs drew different bytes"
    return cold, statistics.median(walls), statistics.median(cpus), picture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", type=Path, help="write the PNGs into this folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        import bot.render.chart  # noqa: F401  # matplotlib's import, counted apart from the figures

        print(f"import matplotlib + figures: {(time.perf_counter() - t0) * 1000:.0f} ms")
        for name, draw in figures(Path(tmp)).items():
            cold, wall, cpu, picture = measure(draw, args.runs)
            print(
                f"{name:<11} cold {cold:6.0f} ms   warm {wall:5.0f} ms wall, {cpu:5.0f} ms CPU (median of {args.runs})"
                f"   {len(picture.png):,} bytes   {picture.filename}"
            )
            if args.write:
                args.write.mkdir(parents=True, exist_ok=True)
                (args.write / picture.filename).write_bytes(picture.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
