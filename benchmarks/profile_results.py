"""Where a ``/results`` request spends its time on the server, without HTTP or a second process.

Calls the web process's WSGI callable (``bot.app.slack_app.wsgi_app``, Bolt at ``/slack/events`` and,
with ``--platform discord``, the interactions app at ``/discord/interactions``) directly with
signed requests (Slack's HMAC, Discord's Ed25519 made for the run), as gunicorn would, first
untimed, then plain (ms per request), then under cProfile. What it leaves out is the HTTP
server itself: ``bench_results`` reports the whole server's CPU per request, and the difference
is gunicorn's share.

    .venv/bin/python -m benchmarks.profile_results [--requests 3000] [--text alabama] [--limit 30]
        [--platform slack|discord]
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

from nacl.signing import SigningKey

from bot.app.discord_app import discord_routes
from bot.app.settings import Secrets, load_recount_rules
from bot.app.slack_app import create_bolt_app, wsgi_app
from bot.core.rules import RuleSettings
from bot.rehearsal.scenarios import load_scenario
from bot.store.database import Store
from handlers import Services
from tests.fakes.discord_api import APPLICATION_ID
from tests.fakes.discord_signing import Signer, command, encode
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import signed_headers, slash_body

SECRET = "profile-signing-secret"
#: the run's Discord key pair (the app verifies with its public half)
DISCORD = Signer(SigningKey.generate().encode())


def request_environ(body: bytes, secret: str, platform: str = "slack") -> dict[str, Any]:
    """A WSGI environ for one signed slash command (or Discord interaction), as a server builds it."""
    if platform == "discord":
        signed = DISCORD.headers(body)
        return {
            **_common(body, "/discord/interactions", signed["Content-Type"]),
            "HTTP_X_SIGNATURE_ED25519": signed["X-Signature-Ed25519"],
            "HTTP_X_SIGNATURE_TIMESTAMP": signed["X-Signature-Timestamp"],
        }
    headers = signed_headers(body.decode(), secret)
    return {
        **_common(body, "/slack/events", headers["Content-Type"]),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
    }


def _common(body: bytes, path: str, content_type: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
    }


def driver(app: Callable[..., Any], body: bytes, platform: str = "slack") -> Callable[[], bytes]:
    """One request through ``app``; anything but a 200 stops the run (a fast 401 proves nothing).
    Signed once (a signature stays good for minutes): the signing is the client's work, not the
    server's, and Ed25519 signing costs about as much as verifying."""
    status: list[str] = []
    signed = request_environ(body, SECRET, platform)

    def start_response(code: str, _headers: list[tuple[str, str]], _exc: Any = None) -> None:
        status.append(code)

    def one() -> bytes:
        status.clear()
        out = b"".join(app({**signed, "wsgi.input": io.BytesIO(body)}, start_response))
        if not status or not status[0].startswith("200"):
            raise SystemExit(f"request answered {status}: {out[:200]!r}")
        return out

    return one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--text", default="alabama")
    parser.add_argument("--limit", type=int, default=30, help="rows of each profile table")
    parser.add_argument("--platform", choices=("slack", "discord"), default="slack")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="profile-results-") as tmp, FakeSlack() as slack:
        store = Store(f"sqlite:///{Path(tmp) / 'profile.db'}")
        store.commit_poll(load_scenario()[-1], {}, {}, [])
        services = Services(store, RuleSettings(recount_rules=load_recount_rules()))
        secrets = Secrets(
            "xoxb-profile",
            SECRET,
            slack.base_url,
            discord_public_key=DISCORD.public_key,
            discord_application_id=APPLICATION_ID,
            discord_api_url="http://127.0.0.1:9/api/v10/",  # never called: every answer is ready in time
        )
        app = wsgi_app(create_bolt_app(services, secrets), routes=discord_routes(services, secrets))
        body = encode(command(args.text)) if args.platform == "discord" else slash_body(args.text).encode()
        one = driver(app, body, args.platform)
        for _ in range(50):  # auth.test, the first decode, the caches
            one()
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            one()
        plain = (time.perf_counter() - started) * 1000 / args.requests
        cpu_ms = (time.process_time() - cpu) * 1000 / args.requests
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            one()
        profile.disable()
        store.close()

    print(
        f"/results {args.text!r} on {args.platform}: {plain:.3f} ms ({cpu_ms:.3f} ms CPU) per request in-process ({args.requests} requests, no HTTP server)"
    )
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(args.limit)
    stats.sort_stats("tottime").print_stats(args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
