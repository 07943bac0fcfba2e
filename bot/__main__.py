"""Command line: ``python -m bot demo | serve | poll | check-config``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from config.settings import ConfigError, Secrets, load_settings

log = logging.getLogger("electionbot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="electionbot: election-night results for Slack")
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "WARNING"))
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="replay Alabama 2017 through the real pipeline (no network, no token needed)")
    demo.add_argument("--speed", type=float, default=1.0, help="2 = twice as fast (default 1: under a minute)")
    demo.add_argument("--channel", action="append", help="Slack channel for the alerts when SLACK_BOT_TOKEN is set")

    for name, text in (("serve", "Bolt HTTP app on $PORT at /slack/events plus the poller"), ("poll", "the poller and delivery only"), ("check-config", "validate the config and exit")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", help="TOML file (default: $ELECTIONBOT_CONFIG)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:
        if args.command == "demo":
            from bot.demo import run_demo

            if args.speed <= 0:
                raise ConfigError("--speed must be positive")
            return run_demo(args.speed, channels=args.channel)
        settings = load_settings(args.config)
        secrets = Secrets.from_env()
        if args.command == "check-config":
            print(f"config OK: {len(settings.feeds)} feed(s): " + ", ".join(f"{f.name} ({f.kind})" for f in settings.feeds))
            print(f"slack: {'token set' if secrets.slack_enabled else 'no SLACK_BOT_TOKEN (console only)'}; channels: {', '.join(settings.alerts.channels) or 'none'}")
            return 0
        if args.command == "poll":
            return _poll(settings, secrets)
        return _serve(settings, secrets)
    except ConfigError as exc:
        print(f"electionbot: {exc}", file=sys.stderr)
        return 2


def _poll(settings, secrets) -> int:  # type: ignore[no-untyped-def]
    from bot.runtime import Runtime

    runtime = Runtime.build(settings, secrets, console=None if secrets.slack_enabled else sys.stdout)
    scheduler = runtime.scheduler(blocking=True)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    runtime.close()
    return 0


def _serve(settings, secrets) -> int:  # type: ignore[no-untyped-def]
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from bot.app import create_bolt_app, wsgi_app
    from bot.runtime import Runtime
    from handlers import Services

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            log.debug("http: " + format, *args)

    runtime = Runtime.build(settings, secrets, console=None if secrets.slack_enabled else sys.stdout)
    app = wsgi_app(create_bolt_app(Services(runtime.store, runtime.rules), secrets))
    port = int(os.environ.get("PORT", "3000"))
    httpd = make_server("0.0.0.0", port, app, server_class=Server, handler_class=QuietHandler)
    scheduler = runtime.scheduler()
    scheduler.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: (stop.set(), threading.Thread(target=httpd.shutdown).start()))
    log.warning("serving /slack/events on port %d", port)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
