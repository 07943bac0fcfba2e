"""``bench_results --feed national``: the measured deployment polls the seeded national night
while the client asks ``/results``, so the p99 target is measured where issue 13 puts it
("while a full poll runs in the worker").

Why full replies and a store seeded one reply behind: the worker's polls must be full polls
(the 26 MB reply fetched, parsed and merged every time), and ``/results STATE`` must answer from
the first request on, so the bench process commits the night's first full reply before the
deployment starts, and the loopback feed answers every request, the first and each
``nextrequest`` alike, with the next full reply of the night (``benchmarks.national.replies(full=True)``),
round and round.

Poll windows come from the deployment's own log: APScheduler logs ``Running job "poll national``
when a poll starts and ``Job "poll national ...`` when it ends (``LOG_LEVEL=INFO``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.national import API, POLL_SECONDS, replies
from bot.app.poller import Poller, with_targets
from bot.core.rules import RuleSettings
from bot.feeds.kinds import make_source
from bot.feeds.source import FeedSpec
from bot.store.database import Store
from tests.fakes.feed_server import FeedServer, Reply, Request
from tests.fakes.slack_api import FakeSlack

FEED = "national"
PATH = API.split("://", 1)[1].split("/", 1)[1]  # v2/elections/DATE
_STAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"
_START = re.compile(_STAMP + r' .*Running job "poll ' + FEED)
#: how long the feed holds the first poll for the warm-up (then it answers anyway)
GATE_SECONDS = 180.0
#: a deployment opening a national store on a loaded 2-core machine may take longer than 30 s
READY_SECONDS = 120.0
_END = re.compile(_STAMP + r' .*Job "poll ' + FEED + r".*(executed successfully|raised an exception)")


def night_bodies(polls: int, seed: int = 13, scale: float = 1.0) -> list[bytes]:
    """Every poll of the night as a full reply (poll 0 first)."""
    return [body for body, _ in replies(seed, polls, scale, full=True)]


def feed_url(feed: FeedServer) -> str:
    return feed.url(f"/{PATH}?level=ru")


def serve_night(feed: FeedServer, bodies: list[bytes], gate: threading.Event | None = None) -> list[float]:
    """Answer every request of the AP path with the next full reply after the first (which the
    store holds already); returns the list the handler appends each request's arrival to.
    ``gate``: a request is held until it is set (the bench sets it once the measured client is
    under way, so the deployment's first poll starts with the load, not before it)."""
    order = itertools.cycle(list(range(1, len(bodies))) + [0])
    lock = threading.Lock()
    arrivals: list[float] = []

    def answer(_: Request) -> Reply:
        with lock:
            arrivals.append(datetime.now().timestamp())
        if gate is not None:
            gate.wait(GATE_SECONDS)
        with lock:
            body = bodies[next(order)]
        return Reply(200, body, {"Content-Type": "application/json"})

    feed.handle(f"/{PATH}", answer)
    return arrivals


def seed_national(directory: Path, first: bytes) -> Path:
    """A store holding the night's first full reply, committed through the real poller as the
    worker would have."""
    db = directory / "national.db"
    database_url = f"sqlite:///{db}"
    store = Store(database_url)
    try:
        with FeedServer() as staging:  # its own server: the measured feed's replies stay in order
            staging.route(f"/{PATH}", Reply(200, first, {"Content-Type": "application/json"}))
            spec = FeedSpec(FEED, "ap", feed_url(staging), POLL_SECONDS, {})
            result = Poller(make_source(spec), store, RuleSettings(), with_targets([])).poll()
        if result.status != "changed":
            raise SystemExit(f"seeding the national store: {result.status} {result.error or ''}")
    finally:
        store.close()
    return db


_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*"([^"]+)"', re.MULTILINE)


def schema_head(tree: Path) -> str:
    """The Alembic head of ``tree``'s store (its revisions' ``revision =`` lines)."""
    revisions, downs = set(), set()
    for script in (tree / "bot" / "store" / "migrations" / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else downs).add(value)
    (head,) = revisions - downs
    return head


def store_for(tree: Path, db: Path, to: Path) -> Path:
    """The seeded store as ``tree``'s code opens it: this checkout's seed, stepped down to an
    older checkout's schema head (``--before``) by this checkout's migrations."""
    from sqlalchemy import create_engine

    from bot.store import schema

    head = schema_head(tree)
    if (head,) == schema.heads():
        return db
    to.mkdir(parents=True, exist_ok=True)
    fresh_copy(db, to)
    engine = create_engine(f"sqlite:///{to / db.name}")
    try:
        schema.downgrade(engine, head)
    finally:
        engine.dispose()
    return to / db.name


def write_config(path: Path, database_url: str, url: str, interval: float) -> Path:
    """One deployment's config: its own store, and the loopback national feed as its one feed."""
    path.write_text(
        f'[store]\ndatabase_url = "{database_url}"\n\n[[feeds]]\nname = "{FEED}"\nkind = "ap"\nurl = "{url}"\ninterval_seconds = {interval}\n',
        encoding="utf-8",
    )
    return path


def fresh_copy(db: Path, to: Path) -> str:
    """A copy of the seeded store for one deployment (each run starts from the same state)."""
    to.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copyfile(f"{db}{suffix}", to / f"{db.name}{suffix}")
    return f"sqlite:///{to / db.name}"


def poll_windows(log_text: str) -> list[tuple[float, float | None]]:
    """(start, end) epoch seconds of each poll in the log; end None for a poll still running."""
    windows: list[tuple[float, float | None]] = []
    for line in log_text.splitlines():
        if m := _START.search(line):
            windows.append((_epoch(m.group(1)), None))
        elif (m := _END.search(line)) and windows and windows[-1][1] is None:
            windows[-1] = (windows[-1][0], _epoch(m.group(1)))
    return windows


def _epoch(stamp: str) -> float:
    """logging's asctime is local time, as ``datetime.now().timestamp()`` reads it back."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def overlaps(span: tuple[float, float], windows: list[tuple[float, float | None]], until: float) -> bool:
    """A request overlaps a poll when any part of it was in flight while the poll ran."""
    sent, answered = span
    return any(sent < (end if end is not None else until) and answered > start for start, end in windows)


def _split(latencies: list[float]) -> str:
    from benchmarks.bench_results import percentile

    values = sorted(latencies)
    if not values:
        return "none"
    return f"{len(values):5d} req · p50 {percentile(values, 50):6.1f} · p99 {percentile(values, 99):6.1f} · max {values[-1]:6.1f} ms"


def main_national(args: argparse.Namespace) -> int:
    """Each run starts a fresh deployment (the seeded store copied), lets its first poll start,
    fires ``/results`` for ``--duration`` seconds, stops it and splits the answers by whether
    they overlapped a poll. Deployments run one after another: two pollers of 26 MB replies at
    once on a 2-core machine would measure each other."""
    from benchmarks import bench_results as br

    names = [n for n in br.servers(args.server) if n in ("procfile", "serve")]
    platforms = ["slack", "discord"] if args.platform == "both" else [args.platform]
    text = args.text if args.text != "alabama" else "georgia"
    figures = tuple(args.expect or ())
    # --before TREE: each deployment also runs from that checkout, alternating with this one, so
    # before and after meet the same load from the rest of the machine (the figures are ratios)
    trees = [("before", Path(args.before).resolve()), ("after", br.ROOT)] if args.before else [("", br.ROOT)]
    worst: dict[str, float] = {}
    table: dict[str, list[tuple[list[float], list[float]]]] = {}
    wrong = False
    with tempfile.TemporaryDirectory(prefix="bench-results-national-") as tmp, FakeSlack() as slack, FeedServer() as feed:
        root = Path(tmp)
        print(
            f"/results {text!r} while the poller polls the national night ({args.national_polls} full replies, round and round)"
        )
        print(f"  load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        bodies = night_bodies(args.national_polls)
        print(f"  full reply {len(bodies[0]) / 1e6:.1f} MB; seeding the store with the first ...", flush=True)
        db = seed_national(root, bodies[0])
        seeded = {label: store_for(tree, db, root / f"seed-{label or 'this'}") for label, tree in trees}
        gate = threading.Event()
        arrivals = serve_night(feed, bodies, gate)
        for i, (label, tree), name in itertools.product(range(args.runs), trees, names):
            who = f"{br.LABELS[name]}{f' ({label})' if label else ''}"
            deployment = root / f"{name}-{label or 'this'}-{i}"
            database_url = fresh_copy(seeded[label], deployment)
            config = write_config(deployment / "bench.toml", database_url, feed_url(feed), args.poll_interval)
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(p for p in (str(tree), os.environ.get("PYTHONPATH", "")) if p),
                "ELECTIONBOT_CONFIG": str(config),
                "DATABASE_URL": database_url,
                "SLACK_SIGNING_SECRET": br.SECRET,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": slack.base_url,
                "LOG_LEVEL": "INFO",
                **br.discord_env(),
            }
            port = br.free_port()
            base = f"http://127.0.0.1:{port}"
            polled_log = deployment / ("worker.log" if name == "procfile" else "serve.log")
            # the Procfile's worker's first poll waits for the measured load (serve polls as it starts,
            # so its window is held open until a later poll has run whole)
            if name == "procfile":
                gate.clear()
            else:
                gate.set()
            results: dict[str, tuple[dict[str, Any], float]] = {}
            with ExitStack() as stack:
                if name == "procfile":
                    web = stack.enter_context(
                        br.web_process(
                            br.gunicorn_command(port, args.workers, args.threads),
                            port,
                            env,
                            deployment / "web.log",
                            tree,
                            READY_SECONDS,
                        )
                    )
                    pid = web.pid
                else:
                    serve_env = {**env, **br.serve_env(port), "LOG_LEVEL": "INFO"}
                    pid = stack.enter_context(
                        br.web_process(br.serve_command(config), port, serve_env, polled_log, tree, READY_SECONDS)
                    ).pid
                # the web process's first decode of the seeded store, untimed, before any poll runs
                for platform in platforms:
                    _client(br, base + br.PATHS[platform], text, args, platform, duration=1.0)
                if name == "procfile":
                    worker_log = stack.enter_context(open(polled_log, "wb"))
                    worker = subprocess.Popen(
                        [sys.executable, "-m", "bot", "poll", "--config", str(config)],
                        cwd=tree,
                        env=env,
                        stdout=worker_log,
                        stderr=subprocess.STDOUT,
                    )
                    stack.callback(_stop, worker)
                seen = len(arrivals)
                _wait_for(lambda seen=seen: len(arrivals) > seen, 60, "the poller's first request")
                for platform in platforms:
                    cpu_before = br.cpu_seconds(pid) or 0.0
                    result = _window(br, base + br.PATHS[platform], text, args, platform, polled_log, gate)
                    results[platform] = (result, (br.cpu_seconds(pid) or 0.0) - cpu_before)
                until = datetime.now().timestamp()
                windows = poll_windows(br.log_tail(polled_log, 100000))
                web_log = deployment / "web.log" if name == "procfile" else polled_log
                if any(result["error_count"] for result, _ in results.values()):
                    print(f"  {who}: transport errors; the web process's log ends:\n{br.log_tail(web_log, 15)}")
            for platform, (result, cpu) in results.items():
                whom = who + (f" · {platform}" if len(platforms) > 1 else "")
                spans = [tuple(s) for s in result["spans"]]
                latencies = result["latencies_ms"]
                inside = [lat for lat, span in zip(latencies, spans, strict=True) if overlaps(span, windows, until)]
                outside = [lat for lat, span in zip(latencies, spans, strict=True) if not overlaps(span, windows, until)]
                t0 = min((sent for sent, _ in spans), default=until)
                t1 = max((answered for _, answered in spans), default=until)
                mine = [(a, b) for a, b in windows if a < t1 and (b if b is not None else until) > t0]
                first = mine[:1]
                in_first = [lat for lat, span in zip(latencies, spans, strict=True) if overlaps(span, first, until)]
                problems = br.check_answers(result, len(latencies), figures)
                late = br.deferred(result)
                wrong = wrong or bool(problems)
                durations = [f"{start - t0:+.1f}…{'' if end is None else f'{end - t0:+.1f}'}" for start, end in mine]
                print(
                    f"  {whom} run {i + 1}: load {os.getloadavg()[0]:.2f} · {len(latencies)} requests in {result['wall_s']:.1f} s"
                    f" · web process CPU {cpu:.1f} s · polls {len(mine)} (s from the first request: {', '.join(durations) or '-'})"
                    f" · {'all answers right' if not problems else 'WRONG: ' + '; '.join(problems[:3])}"
                    + (f" · {late} deferred (not ready within 2 s)" if late else "")
                )
                print(f"      all              {_split(latencies)}")
                print(f"      during a poll    {_split(inside)}")
                print(f"      during the first {_split(in_first)}")
                print(f"      between polls    {_split(outside)}", flush=True)
                table.setdefault(whom, []).append((inside, outside))
                if inside and label != "before":
                    p99 = br.percentile(sorted(inside), 99)
                    worst[whom] = max(worst.get(whom, 0.0), p99)
    print("summary: p99 in ms per run, during a poll / between polls")
    for who, runs in table.items():
        cells = [
            "/".join(f"{br.percentile(sorted(v), 99):.0f}" if v else "-" for v in (inside, outside))
            for inside, outside in runs
        ]
        print(f"  {who:<40} {' · '.join(cells)}")
    if wrong:
        print("  some answers were WRONG: the figures above do not count")
        return 1
    for name, p99 in worst.items():
        print(
            f"  {name}: target p99 <= {args.target_p99_ms:.0f} ms at concurrency {args.concurrency} during a poll: "
            f"{'met' if p99 <= args.target_p99_ms else 'NOT met'} (worst p99 {p99:.1f} ms)"
        )
    return 0 if all(p <= args.target_p99_ms for p in worst.values()) else 2


def _command(br: Any, url: str, text: str, args: argparse.Namespace, platform: str, duration: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "benchmarks._results_client",
        "--url",
        url,
        "--concurrency",
        str(args.concurrency),
        "--text",
        text,
        "--warmup",
        str(max(args.warmup, int(args.concurrency))),
        "--duration",
        str(duration),
        "--platform",
        platform,
    ]


def _client_env(br: Any) -> dict[str, str]:
    return {
        **os.environ,
        "BENCH_SIGNING_SECRET": br.SECRET,
        "BENCH_DISCORD_SEED": br.DISCORD_SEED,
        "PYTHONPATH": br.python_path(),
    }


def _client(
    br: Any, url: str, text: str, args: argparse.Namespace, platform: str = "slack", duration: float | None = None
) -> dict[str, Any]:
    command = _command(br, url, text, args, platform, args.duration if duration is None else duration)
    done = subprocess.run(
        command, cwd=br.ROOT, env=_client_env(br), capture_output=True, text=True, timeout=args.duration + 600
    )
    if done.returncode != 0:
        raise SystemExit(f"the load client failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _window(
    br: Any, url: str, text: str, args: argparse.Namespace, platform: str, polled_log: Path, gate: threading.Event
) -> dict[str, Any]:
    """Requests for at least ``--duration`` seconds and until a poll that began in the window has
    ended (at most ``--max-duration``): a poll slower than the window (the first one, on a loaded
    machine) is measured to its end. The gate opens (the deployment's first poll starts) once the
    client is running."""
    with tempfile.TemporaryDirectory(prefix="bench-window-") as tmp:
        stop = Path(tmp) / "stop"
        command = _command(br, url, text, args, platform, args.max_duration) + ["--stop-file", str(stop)]
        started = datetime.now().timestamp()
        with subprocess.Popen(
            command, cwd=br.ROOT, env=_client_env(br), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as client:
            gate.set()
            while client.poll() is None:
                windows = poll_windows(br.log_tail(polled_log, 100000))
                whole = any(start >= started - 1.0 and end is not None for start, end in windows)
                if whole and datetime.now().timestamp() - started >= args.duration:
                    stop.touch()
                    break
                time.sleep(0.25)
            out, err = client.communicate(timeout=120)
    if client.returncode != 0:
        raise SystemExit(f"the load client failed ({client.returncode}):\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out)
    return result


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
