"""Where a ``/results`` request spends its time on the server, without HTTP or a second process.

Calls the WSGI callable of ``bot.app.slack_app`` directly with signed requests, as gunicorn would, first
untimed, then plain (ms per request), then under cProfile. What it leaves out is the HTTP
server itself: ``bench_results`` reports the whole server's CPU per request, and the difference
is gunicorn's share.

    .venv/bin/python -m benchmarks.profile_results [--requests 3000] [--text alabama] [--limit 30]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.app.settings import Secrets, load_recount_rules
from bot.app.slack_app import create_bolt_app, wsgi_app
from bot.core.rules import RuleSettings
from bot.rehearsal.scenarios import load_scenario
from bot.store.database import Store
from handlers import Services
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import signed_headers, slash_body

SECRET = "profile-signing-secret"


def request_environ(body: bytes, secret: str) -> dict[str, Any]:
    """A WSGI environ for one signed slash command, as a server builds it."""
    headers = signed_headers(body.decode(), secret)
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
    }


def driver(app: Callable[..., Any], body: bytes) -> Callable[[], bytes]:
    """One request through ``app``; anything but a 200 stops the run (a fast 401 proves nothing)."""
    status: list[str] = []

    def start_response(code: str, _headers: list[tuple[str, str]], _exc: Any = None) -> None:
        status.append(code)

    def one() -> bytes:
        status.clear()
        out = b"".join(app(request_environ(body, SECRET), start_response))
        if not status or not status[0].startswith("200"):
            raise SystemExit(f"request answered {status}: {out[:200]!r}")
        return out

    return one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--text", default="alabama")
    parser.add_argument("--limit", type=int, default=30, help="rows of each profile table")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="profile-results-") as tmp, FakeSlack() as slack:
        store = Store(f"sqlite:///{Path(tmp) / 'profile.db'}")
        store.commit_poll(load_scenario()[-1], {}, {}, [])
        services = Services(store, RuleSettings(recount_rules=load_recount_rules()))
        app = wsgi_app(create_bolt_app(services, Secrets("xoxb-profile", SECRET, slack.base_url)))
        one = driver(app, slash_body(args.text).encode())
        for _ in range(50):  # auth.test, the first decode, the caches
            one()
        started = time.perf_counter()
        for _ in range(args.requests):
            one()
        plain = (time.perf_counter() - started) * 1000 / args.requests
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            one()
        profile.disable()
        store.close()

    print(f"/results {args.text!r}: {plain:.3f} ms per request in-process ({args.requests} requests, no HTTP server)")
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(args.limit)
    stats.sort_stats("tottime").print_stats(args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
