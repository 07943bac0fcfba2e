"""How much work one poll of a national-size feed costs when only one race moved, and what the
rules cost over a national first poll.

    .venv/bin/python -m benchmarks.bench_diff [--races 500] [--units 60] [--candidates 4] [--repeat 5]
    .venv/bin/python -m benchmarks.bench_diff --national [FILE] [--repeat 5]

Builds two snapshots (every race × counties × candidates), identical but for one county of one
race, evaluates every race as ``bot.app.poller.Poller._evaluate`` does (memory carried from the first
snapshot), and shows that the diff touches only that race: events and memory changes. It also
times the cheap skip the poller could make for a race equal to its previous version (safe: the
rules are idempotent, see tests/unit/core/test_properties.py::test_same_race_twice_gives_nothing).

``--national`` times the rules over the first poll of a national night instead (every race new,
no memory): an AP reply FILE (``python -m benchmarks.national --out /tmp/nat``), or the seeded
night's full reply built in memory. CPU seconds, best of ``--repeat``, and µs per race.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.app.settings import load_recount_rules, load_runoff_rules
from bot.core.events import coalesce
from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot, sum_units
from bot.core.rules import RaceMemory, RuleSettings, evaluate

STATES = ["AL", "FL", "GA", "TX", "OH", "PA", "MI", "WI", "AZ", "NV"]


def build(races: int, units: int, candidates: int, seed: int = 7) -> list[Race]:
    rnd = random.Random(seed)
    out = []
    for i in range(races):
        cands = tuple(Candidate(f"c{j}", f"Candidate {i}-{j}", "P") for j in range(candidates))
        rows = []
        for u in range(units):
            total = rnd.randint(5, 80)
            rep = rnd.randint(total // 2, total)
            rows.append(
                ReportingUnit(
                    f"{i}-{u}", Level.COUNTY, f"County {u}", {c.id: rnd.randint(0, 20_000) for c in cands}, None, rep, total
                )
            )
        state = STATES[i % len(STATES)]
        out.append(Race(state, str(i), "Office", cands, (sum_units(rows, state, state), *rows)))
    return out


def change_one(race: Race) -> Race:
    """One county of one race gets a batch of 6,000 votes (and one more precinct)."""
    state, first, *rest = race.units
    moved = replace(
        first,
        votes={k: v + (6_000 if k == "c1" else 0) for k, v in first.votes.items()},
        precincts_reporting=min(first.precincts_total, first.precincts_reporting + 1),
    )
    rows = (moved, *rest)
    return replace(race, units=(sum_units(rows, race.state, race.state), *rows))


def poll(
    previous: Snapshot | None, snapshot: Snapshot, memory: dict[str, RaceMemory], settings: RuleSettings, skip_equal: bool
) -> tuple[int, int]:
    """Poller._evaluate, optionally skipping races equal to their previous version."""
    alerts = skipped = 0
    at, fresh = snapshot.generated_at.isoformat(), RaceMemory()
    for key, race in snapshot.races.items():
        prev = previous.races.get(key) if previous else None
        if skip_equal and prev is not None and key in memory and prev == race:
            skipped += 1
            continue
        result = evaluate(snapshot.feed, prev, race, memory.get(key, fresh), settings, snapshot.generated_at, snapshot.races)
        memory[key] = result.memory
        if coalesce(result.events, result.facts, at, False) is not None:
            alerts += 1
    return alerts, skipped


def national_first_poll(path: str | None, repeat: int) -> None:
    """The rules over every race of a national first poll, as the poller runs them (its gc pause too)."""
    from bot.feeds.ap import parse_ap

    if path:
        with open(path, "rb") as f:
            body = f.read()
    else:
        from benchmarks.national import replies

        body, _count = next(iter(replies(polls=1)))
    reply = parse_ap(body, "national")
    snapshot = Snapshot.of("national", reply.timestamp or datetime.now(UTC), reply.races, test=reply.test)
    settings = RuleSettings(recount_rules=load_recount_rules(), runoff_rules=load_runoff_rules())
    times, alerts = [], 0
    gc.disable()
    try:
        for _ in range(repeat):
            memory: dict[str, RaceMemory] = {}
            start = time.process_time()
            alerts, _ = poll(None, snapshot, memory, settings, skip_equal=False)
            times.append(time.process_time() - start)
            gc.collect()
    finally:
        gc.enable()
    best, n = min(times), len(snapshot.races)
    print(
        f"national first poll: {n} races, {alerts} alerts; rules best of {repeat} {best:.3f} s CPU "
        f"({best / n * 1e6:.0f} µs per race), median {sorted(times)[len(times) // 2]:.3f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--races", type=int, default=500)
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--candidates", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--national", nargs="?", const="", default=None, metavar="FILE", help="time a national first poll")
    args = ap.parse_args()
    if args.national is not None:
        national_first_poll(args.national or None, args.repeat)
        return

    settings = RuleSettings(recount_rules=load_recount_rules())
    t0 = datetime(2024, 11, 5, 23, tzinfo=UTC)
    start = time.perf_counter()
    races_a = build(args.races, args.units, args.candidates)
    target = len(races_a) // 2
    races_b = build(args.races, args.units, args.candidates)  # equal, but fresh objects, as a parser makes them
    races_b[target] = change_one(races_b[target])
    a = Snapshot.of("bench", t0, races_a)
    b = Snapshot.of("bench", t0 + timedelta(minutes=1), races_b)
    print(
        f"built 2 snapshots of {args.races} races × {args.units} units × {args.candidates} candidates in {time.perf_counter() - start:.2f} s"
    )

    base: dict[str, RaceMemory] = {}
    start = time.perf_counter()
    first_alerts, _ = poll(None, a, base, settings, skip_equal=False)
    print(f"first poll (every race new): {time.perf_counter() - start:.3f} s, {first_alerts} alerts")

    for skip in (False, True):
        times = []
        for _ in range(args.repeat):
            memory = dict(base)
            start = time.perf_counter()
            alerts, skipped = poll(a, b, memory, settings, skip_equal=skip)
            times.append(time.perf_counter() - start)
        changed = [k for k in memory if memory[k] != base[k]]
        label = "skip equal races" if skip else "evaluate every race"
        print(
            f"second poll, {label}: best {min(times) * 1000:.1f} ms, median {sorted(times)[len(times) // 2] * 1000:.1f} ms "
            f"(per race {min(times) / args.races * 1e6:.0f} µs); alerts {alerts}, races skipped {skipped}, "
            f"memory changed for {changed}"
        )
        assert alerts == 1 and set(changed) <= {races_b[target].key}, "the diff must touch only the changed race"

    # the diff touches only the changed race: its events
    key = list(b.races)[target]
    result = evaluate("bench", a.races[key], b.races[key], base[key], settings, b.generated_at)
    print(
        f"changed race {key}: "
        + ", ".join(
            f"{e.kind.value} {e.details.get('unit', '')} {e.details.get('added', '')}".strip() for e in result.events
        )
    )
    start = time.perf_counter()
    same = sum(1 for k in b.races if a.races[k] == b.races[k])
    print(f"equality check of all races: {(time.perf_counter() - start) * 1000:.1f} ms ({same} equal)")


if __name__ == "__main__":
    main()
