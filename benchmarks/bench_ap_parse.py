"""What parsing an AP reply costs beyond decoding its JSON.

    .venv/bin/python -m benchmarks.bench_ap_parse [--file PATH] [--repeat 30]

Parses the largest AP sample (Massachusetts 2016 primaries by town: 2 races, 704 units, 6,688
candidate rows, 1.09 MB) ``--repeat`` times with ``bot.feeds.ap.parse_ap`` and with a plain
``json.loads`` of the same bytes, and reports candidate rows per second and the ratio of the
two (best of the runs, so a busy machine does not decide it), and how many of its races the
typed fast path read (bot/feeds/ap/shapes.py, typed.py; the others went the generic way). Target:
the whole adapter costs at most 3× ``json.loads`` — on election night the feed's size, not our
parsing, should set the pace. ``--file /tmp/nat/national-000.json`` measures a national night's
full reply (``python -m benchmarks.national --out /tmp/nat`` writes it).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.feeds.ap import parse_ap
from bot.feeds.ap.shapes import REFUSED, decode_race, decode_reply
from bot.feeds.ap.typed import NotPlain, typed_race

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "ap" / "20160301_super_tuesday.json"
TARGET_RATIO = 3.0


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, with the collector off while timing (as timeit does)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best


def typed_races(data: bytes) -> tuple[int, int]:
    """(races the typed path reads itself, races in the reply)."""
    try:
        races = decode_reply(data).races
    except REFUSED:
        return 0, 0
    plain = 0
    for raw in races:
        try:
            typed_race(decode_race(raw))
        except (NotPlain, *REFUSED):
            continue
        plain += 1
    return plain, len(races)


def candidate_rows(doc: dict) -> int:
    return sum(len(u.get("candidates", [])) for r in doc.get("races", []) for u in r.get("reportingUnits", []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"no sample at {args.file} (pass --file; ../shared is only in a full checkout)", file=sys.stderr)
        return 2

    data = args.file.read_bytes()
    doc = json.loads(data)
    rows = candidate_rows(doc)
    units = sum(len(r.get("reportingUnits", [])) for r in doc.get("races", []))
    reply = parse_ap(data, "bench")  # warm caches (state names, timestamps) as a running poller has them

    loads = best_of(args.repeat, lambda: json.loads(data))
    parse = best_of(args.repeat, lambda: parse_ap(data, "bench"))
    ratio = parse / loads

    print(
        f"file           {args.file.name}: {len(data):,} bytes, {len(reply.races)} races, {units:,} units, {rows:,} candidate rows"
    )
    print(f"json.loads     {loads * 1000:8.2f} ms   {rows / loads:12,.0f} rows/s")
    print(
        f"parse_ap       {parse * 1000:8.2f} ms   {rows / parse:12,.0f} rows/s   (adapter work beyond json.loads: {(parse - loads) * 1000:.2f} ms)"
    )
    plain, total = typed_races(data)
    print(f"typed path     {plain:,} of {total:,} races (the others read by the generic path)")
    print(f"ratio          {ratio:8.2f}×  (target ≤ {TARGET_RATIO:g}×: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
