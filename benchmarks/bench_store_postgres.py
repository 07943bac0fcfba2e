"""The national night's polls committed and read back on SQLite and on PostgreSQL, side by side.

    .venv/bin/python -m benchmarks.bench_store_postgres [--scale 1] [--polls 4] [--database postgres|URL]

Generates the seeded national night (``benchmarks/national.py``: 7,007 races, a 26 MB full reply,
then ``nextrequest`` deltas of 1-5 % of the races) and plays the same polls through the real
poller and store twice: into a SQLite file, and into a database made on the PostgreSQL server for
this run (``electionbot_bench_<random>``, dropped at the end). For each it reports each poll's
time from fetch to committed outbox rows, then a fresh ``Store``'s ``load`` (what a restart or the
web process pays to read the night back: the document, the race rows and the rules' memory
decoded), and checks what was read back equals what the poller holds.

No target: a figure for docs/deployment.md and the issue-16 report (figures on a shared, busy
machine move with its load; run it twice). A server that cannot be reached is said and skipped.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from benchmarks.national import API, POLL_SECONDS, write_night
from bot.app.poller import Poller, with_targets
from bot.core.rules import RuleSettings
from bot.core.targets import Target
from bot.feeds.kinds import make_source
from bot.feeds.source import FeedSpec
from bot.rehearsal.recording import read_recording
from bot.rehearsal.replay_server import DiskSite, Reply
from bot.store.database import Store

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True, slots=True)
class Night:
    polls: tuple[float, ...]  # seconds per poll, the full reply first
    queued: int
    read_back: float  # a fresh store's load()
    races: int
    same: bool


def play(night: Path, polls: int, url: str, tmp: Path) -> Night:
    recording = read_recording(night)
    site = DiskSite(tmp / "site")
    store = Store(url)
    spec = FeedSpec("national", "ap", site.url_for(f"{API}?level=ru&format=json"), POLL_SECONDS, {})
    poller = Poller(make_source(spec), store, RuleSettings(), with_targets([Target("console", "#desk")]))
    times, queued = [], 0
    try:
        for poll in recording.polls()[:polls]:
            for response in poll.responses:
                site.publish(response.url, [Reply(200, response.body(), response.content_type)])
            start = time.perf_counter()
            result = poller.poll()
            times.append(time.perf_counter() - start)
            if result.status != "changed":
                raise SystemExit(f"poll {poll.number}: {result.status} {result.error or ''}")
            queued += result.queued
        held = store.load("national")
    finally:
        store.close()
    fresh = Store(url)
    try:
        start = time.perf_counter()
        stored = fresh.load("national")
        read_back = time.perf_counter() - start
    finally:
        fresh.close()
    assert held is not None and stored is not None
    return Night(tuple(times), queued, read_back, len(stored.snapshot.races), stored.snapshot == held.snapshot)


def report(name: str, night: Night) -> None:
    deltas = night.polls[1:]
    print(
        f"{name:>10}: first poll {night.polls[0]:6.2f} s; deltas {', '.join(f'{t:.2f}' for t in deltas)} s "
        f"(median {sorted(deltas)[len(deltas) // 2]:.2f}); read back {night.read_back:5.2f} s; "
        f"{night.races:,} races, {night.queued:,} rows queued; read back equal: {night.same}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--polls", type=int, default=4)
    parser.add_argument("--database", default=DEFAULT_SERVER, help="the PostgreSQL server to create the run's database on")
    args = parser.parse_args(argv)
    server = make_url(args.database)
    name = f"electionbot_bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the driver's connection errors differ by cause
        print(f"PostgreSQL at {server.render_as_string(hide_password=True)} cannot be used ({exc}); skipped")
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="bench-store-pg-") as tmp:
            root = Path(tmp)
            start = time.perf_counter()
            night = write_night(root / "night", seed=13, polls=args.polls, scale=args.scale)
            print(f"night: {night.races:,} races, {args.polls} polls, written in {time.perf_counter() - start:.1f} s")
            sqlite = play(night.files[0].parent, args.polls, f"sqlite:///{root / 'bench.db'}", root / "a")
            report("SQLite", sqlite)
            postgres = play(night.files[0].parent, args.polls, server.set(database=name).render_as_string(False), root / "b")
            report("PostgreSQL", postgres)
            print(
                f"PostgreSQL / SQLite: first poll {postgres.polls[0] / sqlite.polls[0]:.2f}x, "
                f"deltas {sum(postgres.polls[1:]) / max(sum(sqlite.polls[1:]), 1e-9):.2f}x, "
                f"read back {postgres.read_back / sqlite.read_back:.2f}x"
            )
            return 0 if sqlite.same and postgres.same else 1
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
