"""Load benchmark for /results (a script, not a timed test): signed ``/results alabama`` over HTTP
against the web process as production runs it, both ways it is deployed, side by side.

The servers (``--server``, default ``both``): ``procfile``, the Procfile's ``web`` command
(gunicorn serving ``bot.wsgi:application``), and ``serve``, ``python -m bot serve`` (the same
gunicorn stack, with the poller and delivery in a child process of serve's, the one-command
deployment; its poller reads the final Alabama snapshot from a loopback feed every
``--poll-interval`` seconds while it answers). Each runs in its own process with a temp config and a temp SQLite store
holding the Alabama 2017 final snapshot; the client is another process
(``benchmarks._results_client``) keeping ``--concurrency`` requests in flight. With both, the
servers run at once and their runs alternate, so each sees the same load from the rest of the
machine. Every answer must be a 200 carrying the final figures (49.92 %, 20,715 votes), so
errors cannot pass for speed. Target: p99 <= 50 ms at 20 concurrent, for each server.

    .venv/bin/python -m benchmarks.bench_results [--requests 2000] [--concurrency 20 | 1,5,20,50]
        [--runs 3] [--text alabama] [--server both|procfile|serve|wsgiref] [--workers N] [--threads N]
        [--poll-interval S] [--fresh-connections] [--feed alabama|national] [--duration S] [--max-duration S]
        [--platform slack|discord|both] [--before DIR]

``--before DIR`` (a checkout made with ``git archive COMMIT | tar -x -C DIR``): each server also
runs from that checkout, with a store seeded by its own code, alternating with this one, so the
summary shows before and after under the same load from the rest of the machine.

``--feed national`` measures ``/results georgia`` while the deployment's poller polls the seeded
national night (full 26 MB replies; the Procfile case runs its ``worker`` beside ``web``): the
first poll starts with the load, and each window lasts ``--duration`` seconds and on until a poll
that began in it has ended; the answers are split by overlap with the polls
(``benchmarks/_results_feed.py``). ``--platform both`` measures Slack's window, then Discord's, on
the same deployment.

``--platform discord`` asks the same through Discord's interactions endpoint
(``/discord/interactions``): each request an APPLICATION_COMMAND ``/results`` signed with an Ed25519
key made for the run (its public half is the server's ``DISCORD_PUBLIC_KEY``); every answer must be
an ephemeral type-4 message carrying the same figures.

``--workers``/``--threads`` change the Procfile's command only (serve always runs the Procfile's
one web worker). ``gunicorn`` is the old name of ``procfile``.

Exit status: 0 when every answer was right and the target was met, 1 on a wrong answer, 2 when
the answers were right but the target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from benchmarks._results_server import (
    ROOT,
    cpu_seconds,
    free_port,
    gunicorn_command,
    log_tail,
    serve_command,
    serve_env,
    web_process,
    wsgiref_command,
)
from bot.rehearsal.scenarios import DEFAULT_FEED, load_scenario, scenario_files
from bot.store.database import Store
from tests.fakes.discord_api import APPLICATION_ID
from tests.fakes.feed_server import FeedServer, Reply
from tests.fakes.slack_api import FakeSlack

SECRET = "bench-signing-secret"
#: the Ed25519 seed of the run's Discord key (the client signs with it; the server gets its public half)
DISCORD_SEED = os.urandom(32).hex()
#: where each platform's commands arrive
PATHS = {"slack": "/slack/events", "discord": "/discord/interactions"}
#: What the Alabama 2017 final card must say (Jones's share, his lead in votes).
ALABAMA_FIGURES = ("49.92", "20,715")
SORRY = "results are unavailable"
#: Discord's "thinking…" (type 5): the answer follows by an edit of the original response
DEFERRED = 5
#: what each --server runs, and how the summary names it.
LABELS = {"procfile": "Procfile web (gunicorn)", "serve": "python -m bot serve", "wsgiref": "wsgiref (tests' server)"}


def discord_env() -> dict[str, str]:
    """What the server needs for ``/discord/interactions``: the public half of the run's key."""
    return {
        "DISCORD_PUBLIC_KEY": SigningKey(bytes.fromhex(DISCORD_SEED)).verify_key.encode().hex(),
        "DISCORD_APPLICATION_ID": APPLICATION_ID,
        "DISCORD_API_URL": "http://127.0.0.1:9/api/v10/",  # never called: every answer is ready in time
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


@dataclass(frozen=True)
class Run:
    concurrency: int
    requests: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float
    rps: float
    server_cpu_ms: float | None  # server CPU per request
    client_cpu_ms: float | None
    load: tuple[float, float, float]
    problems: tuple[str, ...]

    def line(self) -> str:
        cpu = f" · server CPU {self.server_cpu_ms:.2f} ms/req" if self.server_cpu_ms is not None else ""
        cpu += f" · client CPU {self.client_cpu_ms:.2f} ms/req" if self.client_cpu_ms is not None else ""
        verdict = "all answers right" if not self.problems else "WRONG: " + "; ".join(self.problems[:3])
        return (
            f"p50 {self.p50:6.1f} · p90 {self.p90:6.1f} · p99 {self.p99:6.1f} · max {self.max:6.1f} · mean {self.mean:6.1f} ms"
            f" · {self.rps:6,.0f} req/s{cpu} · load {self.load[0]:.2f} · {verdict}"
        )


def _ephemeral(message: object) -> bool:
    """Slack's ``response_type`` or Discord's type 4 with flags 64."""
    if not isinstance(message, dict):
        return False
    if "response_type" in message:
        return message["response_type"] == "ephemeral"
    return message.get("type") == 4 and (message.get("data") or {}).get("flags") == 64


def deferred(result: dict) -> int:
    """How many answers Discord's handler deferred (type 5: not ready within its ``defer_after``)."""
    return sum(n for body, n in result["bodies"].items() if body.startswith('{"type":5'))


def check_answers(result: dict, requests: int, figures: tuple[str, ...]) -> list[str]:
    """Every measured request answered 200 with an ephemeral card carrying ``figures``."""
    problems = []
    if result["error_count"]:
        problems.append(f"{result['error_count']} transport errors (first: {result['errors'][0]})")
    statuses = {int(k): v for k, v in result["statuses"].items()}
    if statuses.get(200, 0) != requests:
        problems.append(f"statuses {statuses} for {requests} requests")
    for body in result["bodies"]:
        try:
            message = json.loads(body)
        except ValueError:
            problems.append(f"not JSON: {body[:120]!r}")
            continue
        if isinstance(message, dict) and message.get("type") == DEFERRED:
            continue  # slower than Discord's defer_after: counted by deferred(), a latency, not a wrong answer
        if not _ephemeral(message):
            problems.append(f"not an ephemeral answer: {body[:120]!r}")
        missing = [f for f in figures if f not in body]
        if missing or SORRY in body:
            problems.append(f"answer lacks {missing or 'a result'}: {body[:160]!r}")
    return problems


def python_path(tree: Path = ROOT) -> str:
    """The checkout under test first, then whatever the caller had (a gunicorn plug-in under trial, say)."""
    return os.pathsep.join(p for p in (str(tree), os.environ.get("PYTHONPATH", "")) if p)


#: run in a checkout's own interpreter path: its own ``seed`` writes a store its own code reads
#: (an older checkout's schema differs)
_SEED = "import sys; from pathlib import Path; from benchmarks.bench_results import seed; print(seed(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]))[0])"


def seed_in(tree: Path, directory: Path, feed_url: str, interval: float) -> tuple[str, Path]:
    """``seed`` as ``tree``'s code does it (this checkout's in-process)."""
    if tree == ROOT:
        return seed(directory, feed_url, interval)
    env = {**os.environ, "PYTHONPATH": python_path(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _SEED, str(directory), feed_url, str(interval)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"seeding the store from {tree} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1], directory / "bench.toml"


def seed(directory: Path, feed_url: str = "http://127.0.0.1:9/unused.json", interval: float = 30.0) -> tuple[str, Path]:
    """A SQLite store holding the final snapshot of the night, and a config file pointing at it
    (and at ``feed_url``, which only ``serve``'s poller reads)."""
    url = f"sqlite:///{directory / 'bench.db'}"
    store = Store(url)
    try:
        store.commit_poll(load_scenario()[-1], {}, {}, [])
    finally:
        store.close()
    config = directory / "bench.toml"
    # The Procfile's web process reads the store only; serve also polls the feed.
    config.write_text(
        f'[store]\ndatabase_url = "{url}"\n\n[[feeds]]\nname = "{DEFAULT_FEED}"\nkind = "json"\nurl = "{feed_url}"\ninterval_seconds = {interval}\n',
        encoding="utf-8",
    )
    return url, config


def measure(
    url: str, args: argparse.Namespace, concurrency: int, server_pid: int, figures: tuple[str, ...], platform: str = "slack"
) -> Run:
    command = [
        sys.executable,
        "-m",
        "benchmarks._results_client",
        "--url",
        url,
        "--requests",
        str(args.requests),
        "--concurrency",
        str(concurrency),
        "--text",
        args.text,
        "--warmup",
        str(max(args.warmup, concurrency)),
        "--platform",
        platform,
    ]
    if args.fresh_connections:
        command.append("--fresh-connections")
    env = {**os.environ, "BENCH_SIGNING_SECRET": SECRET, "BENCH_DISCORD_SEED": DISCORD_SEED, "PYTHONPATH": python_path()}
    cpu_before = cpu_seconds(server_pid)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    cpu_after = cpu_seconds(server_pid)
    if done.returncode != 0:
        raise SystemExit(f"the load client failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout)
    latencies = sorted(result["latencies_ms"])
    # Server CPU includes the untimed warm-up requests, so divide by every request it served.
    served = args.requests + max(args.warmup, concurrency)
    server_cpu = (cpu_after - cpu_before) * 1000 / served if cpu_before is not None and cpu_after is not None else None
    client_cpu = result.get("client_cpu_s")
    return Run(
        concurrency=concurrency,
        requests=args.requests,
        p50=percentile(latencies, 50),
        p90=percentile(latencies, 90),
        p99=percentile(latencies, 99),
        max=latencies[-1] if latencies else float("nan"),
        mean=statistics.fmean(latencies) if latencies else float("nan"),
        rps=len(latencies) / result["wall_s"] if result["wall_s"] else float("nan"),
        server_cpu_ms=server_cpu,
        client_cpu_ms=client_cpu * 1000 / served if client_cpu is not None else None,
        load=os.getloadavg(),
        problems=tuple(check_answers(result, args.requests, figures)),
    )


def label(key: str) -> str:
    """A run's server, and its platform when both were measured ("serve:discord")."""
    name, _, platform = key.partition(":")
    server, _, tree = name.partition(" ")
    return LABELS.get(server, server) + (f" {tree}" if tree else "") + (f" · {platform}" if platform else "")


def _span(values: list[float], fmt: str = "{:.1f}") -> str:
    lo, hi = min(values), max(values)
    return fmt.format(lo) if len(values) == 1 or fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"


def summary(runs: list[tuple[str, Run]]) -> list[str]:
    """Per concurrency and server, the range over runs: on a shared machine one run proves little."""
    lines = []
    width = max(len(label(name)) for name, _ in runs)
    for c in sorted({r.concurrency for _, r in runs}):
        for name in dict.fromkeys(n for n, _ in runs):
            rs = [r for n, r in runs if n == name and r.concurrency == c]
            if not rs:
                continue
            lines.append(
                f"  c={c:<3} {label(name):<{width}} ({len(rs)} run{'s' if len(rs) > 1 else ''}): p50 {_span([r.p50 for r in rs])}"
                f" · p90 {_span([r.p90 for r in rs])} · p99 {_span([r.p99 for r in rs])} · max {_span([r.max for r in rs])} ms"
                f" · {_span([r.rps for r in rs], '{:,.0f}')} req/s · load {_span([r.load[0] for r in rs], '{:.2f}')}"
            )
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per run (after an untimed warm-up)")
    parser.add_argument("--concurrency", default="20", help="requests in flight; a comma list (1,5,20,50) runs each")
    parser.add_argument("--runs", type=int, default=3, help="repeat each concurrency this many times (per server)")
    parser.add_argument("--text", default="alabama", help="the /results text")
    parser.add_argument(
        "--expect",
        action="append",
        help="a figure every answer must contain (default: Alabama's final figures for 'alabama')",
    )
    parser.add_argument(
        "--server",
        choices=("both", "procfile", "serve", "wsgiref", "gunicorn"),
        default="both",
        help="both (default): the Procfile's web process and python -m bot serve, side by side",
    )
    parser.add_argument(
        "--poll-interval", type=float, default=5.0, help="seconds between serve's polls of the loopback feed"
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the Procfile's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: the Procfile's)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed requests before each run (at least --concurrency)")
    parser.add_argument(
        "--fresh-connections", action="store_true", help="open a TCP connection per request instead of keep-alive"
    )
    parser.add_argument(
        "--feed",
        choices=("alabama", "national"),
        default="alabama",
        help="national: the deployment's poller polls the seeded national night (full 26 MB replies) while "
        "the client asks; the Procfile case runs its worker (python -m bot poll) beside the web process",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=40.0,
        help="--feed national: at least this many seconds of requests per run and platform, and on until "
        "a poll that began in them has ended",
    )
    parser.add_argument(
        "--max-duration", type=float, default=300.0, help="--feed national: at most this many seconds per window"
    )
    parser.add_argument("--national-polls", type=int, default=4, help="--feed national: full replies in the cycle")
    parser.add_argument(
        "--before",
        help="a checkout of the code before a change (git archive COMMIT | tar -x -C DIR); each server "
        "(each deployment with --feed national) also runs from it, alternating with this checkout, and the "
        "summary shows both",
    )
    parser.add_argument(
        "--platform",
        choices=("slack", "discord", "both"),
        default="slack",
        help="discord: the same /results as a signed interaction at /discord/interactions; both: each run "
        "asks Slack's endpoint, then Discord's, on the same servers",
    )
    parser.add_argument("--target-p99-ms", type=float, default=50.0)
    parser.add_argument("--target-concurrency", type=int, default=20, help="the concurrency the p99 target applies to")
    return parser.parse_args(argv)


def servers(choice: str) -> list[str]:
    return {"both": ["procfile", "serve"], "gunicorn": ["procfile"]}.get(choice, [choice])


def command_for(name: str, port: int, config: Path, args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The server's command line and what it adds to the environment."""
    if name == "procfile":
        return gunicorn_command(port, args.workers, args.threads), {}
    if name == "serve":
        return serve_command(config), serve_env(port)
    return wsgiref_command(port), {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.feed == "national":
        from benchmarks._results_feed import main_national

        return main_national(args)
    levels = [int(c) for c in str(args.concurrency).split(",") if c.strip()]
    figures = tuple(args.expect) if args.expect else (ALABAMA_FIGURES if args.text.strip().lower() == "alabama" else ())
    names = servers(args.server)
    platforms = ["slack", "discord"] if args.platform == "both" else [args.platform]

    runs: list[tuple[str, Run]] = []
    # --before TREE: every server also runs from that checkout, alternating with this one
    trees = [("before", Path(args.before).resolve()), ("", ROOT)] if args.before else [("", ROOT)]
    # Bolt calls auth.test once per process: a local fake Slack answers it, so nothing leaves the host.
    with tempfile.TemporaryDirectory(prefix="bench-results-") as tmp, FakeSlack() as slack, FeedServer() as feed:
        feed.route("/al.json", Reply(200, scenario_files()[-1].read_bytes(), {"Content-Type": "application/json"}))
        common = {
            **os.environ,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": slack.base_url,
            **discord_env(),
        }
        print(
            f"/results {args.text!r} on {args.platform}: {args.requests} requests per run, {args.runs} run(s) per server and concurrency"
        )
        print(f"  load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        with ExitStack() as stack:
            started: dict[str, tuple[int, str, Path]] = {}
            for tree_label, tree in trees:
                directory = Path(tmp) / (tree_label or "this")
                directory.mkdir()
                database_url, config = seed_in(tree, directory, feed.url("/al.json"), args.poll_interval)
                env = {
                    **common,
                    "PYTHONPATH": python_path(tree),
                    "ELECTIONBOT_CONFIG": str(config),
                    "DATABASE_URL": database_url,
                }
                for name in names:
                    port = free_port()
                    command, extra = command_for(name, port, config, args)
                    key = name + (f" ({tree_label})" if tree_label else "")
                    log_path = directory / f"{name}.log"
                    print(f"  {label(key)}: {shlex.join(command[1:])}" + (f" (PORT={port})" if extra else ""))
                    proc = stack.enter_context(web_process(command, port, {**env, **extra}, log_path, tree))
                    started[key] = (proc.pid, f"http://127.0.0.1:{port}", log_path)
            for concurrency in levels:
                for i in range(args.runs):
                    for name in started:  # alternating: each server meets the same load from the rest of the machine
                        for platform in platforms:
                            pid, base, _ = started[name]
                            run = measure(base + PATHS[platform], args, concurrency, pid, figures, platform)
                            key = name if len(platforms) == 1 else f"{name}:{platform}"
                            runs.append((key, run))
                            print(f"  c={concurrency:<3} {key:<25} run {i + 1}: {run.line()}", flush=True)
            for name, (_, _, log_path) in started.items():
                if any(r.problems for n, r in runs if n.partition(":")[0] == name):
                    print(f"{name} log tail:\n" + log_tail(log_path))
        if "serve" in started:
            print(f"  serve's poller read the feed {len(feed.requests_to('/al.json'))} times while it answered")

    print("summary (range over runs):")
    print("\n".join(summary(runs)))
    if any(r.problems for _, r in runs):
        print("  some answers were WRONG: the figures above do not count")
        return 1
    verdicts = []
    for name in dict.fromkeys(n for n, _ in runs):
        at_target = [r for n, r in runs if n == name and r.concurrency == args.target_concurrency]
        if at_target and "(before)" in name:  # the old code's figures are for comparison, not the verdict
            print(f"  {label(name)}: worst p99 {max(r.p99 for r in at_target):.1f} ms (for comparison)")
        elif at_target:
            worst = max(r.p99 for r in at_target)
            verdicts.append(worst <= args.target_p99_ms)
            print(
                f"  {label(name)}: target p99 <= {args.target_p99_ms:.0f} ms at concurrency {args.target_concurrency}: "
                f"{'met' if verdicts[-1] else 'NOT met'} (worst p99 {worst:.1f} ms)"
            )
    return 0 if all(verdicts) else 2


if __name__ == "__main__":
    sys.exit(main())
