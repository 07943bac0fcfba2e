"""Load benchmark for /results (a script, not a timed test).

Starts the Bolt WSGI app on loopback (the threaded wsgiref server the tests use) with the Alabama
2017 final snapshot in a temp SQLite store, fires N signed ``/results alabama`` requests from a
thread pool, and reports p50/p99 latency and throughput. Target: p99 < 50 ms at 20 concurrent.

    .venv/bin/python -m benchmarks.bench_results [--requests 2000] [--concurrency 20] [--text alabama]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bot.app import create_bolt_app, wsgi_app
from bot.rules import RuleSettings
from bot.scenarios import load_scenario
from bot.store import Store
from config.settings import Secrets, load_recount_rules
from handlers import Services
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import signed_headers, slash_body
from tests.fakes.wsgi_server import serve_wsgi

SECRET = "bench-signing-secret"


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--text", default="alabama")
    parser.add_argument("--target-p99-ms", type=float, default=50.0)
    args = parser.parse_args(argv)

    # Bolt calls auth.test once (then caches it): a local fake Slack answers, so nothing leaves the host.
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.commit_poll(load_scenario()[-1], {}, {}, [])
        app = create_bolt_app(Services(store, RuleSettings(recount_rules=load_recount_rules())), Secrets("xoxb-bench", SECRET, slack.base_url))
        with serve_wsgi(wsgi_app(app)) as (base, _):
            url = base + "/slack/events"
            body = slash_body(args.text)
            local = __import__("threading").local()

            def one(_: int) -> tuple[float, int]:
                session = getattr(local, "session", None)
                if session is None:
                    session = local.session = requests.Session()
                started = time.perf_counter()
                resp = session.post(url, data=body.encode(), headers=signed_headers(body, SECRET), timeout=10)
                return time.perf_counter() - started, resp.status_code

            for i in range(20):  # warm up: imports, the parse cache, the answer cache
                one(i)
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(one, range(args.requests)))
            wall = time.perf_counter() - started
        store.close()

    latencies = sorted(r[0] * 1000 for r in results)
    errors = sum(1 for r in results if r[1] != 200)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"/results {args.text!r}: {args.requests} requests at concurrency {args.concurrency}")
    print(f"  p50 {p50:.1f} ms · p90 {percentile(latencies, 90):.1f} ms · p99 {p99:.1f} ms · max {latencies[-1]:.1f} ms · mean {statistics.fmean(latencies):.1f} ms")
    print(f"  throughput {args.requests / wall:,.0f} req/s over {wall:.2f} s · non-200: {errors}")
    ok = p99 < args.target_p99_ms and errors == 0
    print(f"  target p99 < {args.target_p99_ms:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
