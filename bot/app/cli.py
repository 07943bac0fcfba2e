"""Command line: ``python -m bot demo | serve | poll | socket | check-config | migrate | record | replay``."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

log = logging.getLogger("electionbot")


def main(argv: Sequence[str] | None = None) -> int:
    return _run(_parse(argv))


#: Commands that are over when they return: every thread they started has been joined, the store
#: closed and their temporary files removed. (poll, serve and socket stop in their own way.)
ONE_SHOT = frozenset({"demo", "replay", "record", "check-config", "migrate", "discord-register"})


def command_line(argv: Sequence[str] | None = None) -> NoReturn:
    """``python -m bot``: a one-shot command's process ends as soon as it has flushed what it wrote.
    The interpreter's own teardown (clearing every module SQLAlchemy, pydantic and the rest
    loaded) took 0.3–0.6 s after a national replay on this machine and has nothing left to do."""
    args = _parse(argv)
    _load_modules(args.command)
    if args.command in ONE_SHOT:
        # What the command hands over here stays referenced until the process ends: freeing a
        # national replay's runtime (its snapshot is millions of objects) took 0.06-0.12 s.
        args.keep_until_exit = []
    code = _run(args)
    if args.command in ONE_SHOT:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: lost either way
                stream.flush()
        os._exit(code)
    sys.exit(code)


#: what every command imports first (``_run``), then what each command goes on to import
_COMMON_MODULES = ("bot.app.logs", "bot.app.settings", "bot.store.schema", "config.settings")
_COMMAND_MODULES = {
    "replay": ("bot.app.rehearse", "bot.rehearsal.recording", "bot.rehearsal.replay_server"),
    "record": ("bot.app.rehearse",),
    "demo": ("bot.app.demo",),
    "poll": ("bot.app.runtime", "bot.app.health"),
    "serve": ("bot.app.web_server",),
}


def _load_modules(command: str) -> None:
    """The command's modules, imported with the cyclic collector held off. Importing them makes
    about 120,000 containers (SQLAlchemy, pydantic, the bot's dataclasses), nearly none of them
    garbage, and the collector walked them about 170 times while they were made: 30 ms of a
    1.05 s national replay. What they leave is frozen (bot/feeds/gc_pause.py), so later
    collections skip it too; serve forks its workers after this, which then share those pages."""
    from bot.feeds.gc_pause import gc_paused

    with gc_paused():
        for name in (*_COMMON_MODULES, *_COMMAND_MODULES.get(command, ())):
            importlib.import_module(name)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="electionbot: election-night results for Slack and Discord"
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("LOG_LEVEL"),
        help="default: $LOG_LEVEL, else WARNING, and INFO once poll, serve or socket is running (one line per poll, delivery and command)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="replay Alabama 2017 through the real pipeline (no network, no token needed)")
    demo.add_argument("--speed", type=float, default=1.0, help="2 = twice as fast (default 1: under a minute)")
    demo.add_argument("--channel", action="append", help="Slack channel for the alerts when SLACK_BOT_TOKEN is set")
    demo.add_argument("--charts", metavar="DIR", help="also write the night's chart and the county maps (PNG) to DIR")
    demo.add_argument("--discord", metavar="FILE", help="also write what Discord would be sent (JSON lines) to FILE")

    for name, text in (
        ("serve", "Bolt HTTP app on $PORT at /slack/events plus the poller"),
        ("poll", "the poller and delivery only"),
        ("socket", "Bolt in Socket Mode ($SLACK_APP_TOKEN, no public URL) plus the poller"),
        ("check-config", "validate the config and exit"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", help="TOML file (default: $ELECTIONBOT_CONFIG)")
    register = sub.add_parser(
        "discord-register", help="create or update Discord's /results command ($DISCORD_APPLICATION_ID, $DISCORD_BOT_TOKEN)"
    )
    register.add_argument("--guild", help="one server's id: the command appears there at once (default: global)")
    _add_rehearsal_commands(sub)
    _add_migrate_command(sub)
    return parser.parse_args(argv)


def _run(args: argparse.Namespace) -> int:
    # Imported once the command is known: ``--help`` and a mistyped command load no pydantic,
    # SQLAlchemy or Slack (a few tens of milliseconds rather than a second, issue 13).
    from bot.app.logs import setup
    from bot.app.settings import load_settings
    from bot.store.schema import SchemaError
    from config.settings import ConfigError, Secrets

    setup(args.log_level, default="WARNING")

    try:
        if args.command in ("record", "replay"):
            return _rehearsal(args)
        if args.command == "demo":
            from bot.app.demo import run_demo

            if args.speed <= 0:
                raise ConfigError("--speed must be positive")
            return run_demo(
                args.speed,
                channels=args.channel,
                charts=Path(args.charts) if args.charts else None,
                discord=Path(args.discord) if args.discord else None,
            )
        if args.command == "discord-register":
            from bot.app.discord_register import register as register_commands

            where = f"guild {args.guild}" if args.guild else "every server (global)"
            names = [c.get("name") for c in register_commands(Secrets.from_env(), args.guild)]
            print(f"discord: commands registered for {where}: " + ", ".join(f"/{n}" for n in names))
            return 0
        if args.command == "migrate":
            return _migrate(_migrate_url(args.config), sql=args.sql)
        settings = load_settings(args.config)
        secrets = Secrets.from_env()
        if args.command == "check-config":
            from bot.app.settings import follow_book, rule_settings
            from bot.core.follow import describe_alerts

            rule_settings(settings)  # reads the recount rules, baselines and seats files it names
            print(f"config OK: {len(settings.feeds)} feed(s): " + ", ".join(f"{f.name} ({f.kind})" for f in settings.feeds))
            print(
                f"slack: {'token set' if secrets.slack_enabled else 'OAuth, a token per workspace' if secrets.slack_oauth_enabled else 'no SLACK_BOT_TOKEN'}"
                f"{'' if secrets.posts_somewhere else ' (console only)'}; channels: {', '.join(settings.alerts.channels) or 'none'}"
            )
            token = "bot token set" if secrets.discord_bot_token else "no DISCORD_BOT_TOKEN"
            print(
                f"discord: {token}; channels: {', '.join(settings.alerts.discord_channels) or 'none'}; "
                f"webhooks: {len(secrets.discord_webhook_urls)}"
            )
            print(describe_alerts(settings.alerts, follow_book(settings.alerts)))
            return 0
        if args.command == "poll":
            return _poll(settings, secrets)
        if args.command == "socket":
            from bot.app.socket_mode import run_socket_mode

            return run_socket_mode(settings, secrets)
        return _serve(settings, secrets)
    except (ConfigError, SchemaError) as exc:
        print(f"electionbot: {exc}", file=sys.stderr)
        return 2


def _add_migrate_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private generic
    mig = sub.add_parser(
        "migrate",
        help="bring the database ($DATABASE_URL, else the config's) to this release's schema and exit (Heroku's release phase)",
    )
    mig.add_argument("--config", help="TOML file (default: $ELECTIONBOT_CONFIG)")
    mig.add_argument("--sql", action="store_true", help="print the SQL from an empty database instead; connect to nothing")


def _migrate_url(config: str | None) -> str:
    """The config's database (``$DATABASE_URL`` first, as for every command); with no config
    file, ``$DATABASE_URL`` alone will do: a release phase may have nothing else."""
    from bot.app.settings import load_settings

    if config or os.environ.get("ELECTIONBOT_CONFIG") or not os.environ.get("DATABASE_URL"):
        return load_settings(config).database_url()
    url = os.environ["DATABASE_URL"]
    return "postgresql+psycopg://" + url[len("postgres://") :] if url.startswith("postgres://") else url


def _migrate(url: str, *, sql: bool) -> int:
    """``python -m bot migrate``: what every process does at start (bot/store/schema.py), alone,
    so a release phase migrates once before the new processes start; ``--sql`` for a DBA."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from bot.store import schema

    if sql:
        print(schema.sql(url), end="")
        return 0
    engine = create_engine(url)
    try:
        revisions = schema.prepare(engine)
    except OperationalError as exc:
        print(f"electionbot: the database cannot be reached: {str(exc.orig).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"database schema at revision {', '.join(revisions)} (this release's head)")
    return 0


def _add_rehearsal_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private generic
    rec = sub.add_parser(
        "record", help="poll the configured feeds without delivering and archive every response (a rehearsal's input)"
    )
    rec.add_argument("--config", help="TOML file (default: $ELECTIONBOT_CONFIG)")
    rec.add_argument("--out", required=True, help="directory for the recording (created; must not hold one already)")
    rec.add_argument("--feed", action="append", default=[], help="record only this feed (repeatable)")
    rec.add_argument("--duration", type=float, help="stop after this many seconds (default: at Ctrl-C)")
    rec.add_argument("--polls", type=int, help="stop once every feed has polled this many times")

    rep = sub.add_parser(
        "replay", help="play a recording (or saved files) through the real pipeline, over loopback HTTP or from disk"
    )
    rep.add_argument(
        "paths", nargs="+", metavar="DIR|FILE", help="a recording directory, or files played as one feed's successive polls"
    )
    rep.add_argument("--speed", type=float, default=1.0, help="10 = ten times as fast as recorded; 0 = as fast as possible")
    rep.add_argument("--step", action="store_true", help="as fast as possible (same as --speed 0)")
    rep.add_argument(
        "--via",
        choices=("http", "disk"),
        default="http",
        help="serve the recording over a loopback HTTP server (default) or as files",
    )
    rep.add_argument("--config", help="TOML file for alerts, rules and races (and the feed of saved files)")
    rep.add_argument(
        "--channel", action="append", help="Slack channel for the alerts when SLACK_BOT_TOKEN is set (repeatable)"
    )
    rep.add_argument(
        "--feed",
        action="append",
        default=[],
        help="replay only this feed of a recording, or the config's feed the files belong to",
    )


def _rehearsal(args: argparse.Namespace) -> int:
    """``record`` and ``replay``: their work is in bot/rehearsal/recording.py and bot/rehearsal/replay_server.py."""
    from bot.rehearsal.recording import RecordingError

    try:
        return _record(args) if args.command == "record" else _replay(args)
    except RecordingError as exc:
        print(f"electionbot: {exc}", file=sys.stderr)
        return 2


def _record(args: argparse.Namespace) -> int:
    from bot.app.rehearse import record
    from bot.app.settings import load_settings
    from config.settings import ConfigError

    if args.duration is not None and args.duration <= 0:
        raise ConfigError("--duration must be positive")
    if args.polls is not None and args.polls < 1:
        raise ConfigError("--polls must be 1 or more")
    settings = load_settings(args.config)
    stop = threading.Event()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if main_thread else None
    names = ", ".join(f.name for f in settings.feeds if not args.feed or f.name in args.feed)
    print(f"Recording {names} into {args.out} (nothing is delivered; Ctrl-C stops)", flush=True)
    try:
        summary = record(
            settings, args.out, feeds=args.feed, duration=args.duration, polls=args.polls, stop=stop, progress=sys.stdout
        )
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    polls = ", ".join(f"{feed} {n}" for feed, n in summary.polls.items())
    print(
        f"Recorded {summary.responses} responses ({summary.bytes:,} bytes of bodies) in {summary.seconds:.1f} s; polls: {polls}"
    )
    if summary.failed:
        print(f"electionbot: {summary.failed}", file=sys.stderr)
        return 1
    return 0


def _replay(args: argparse.Namespace) -> int:
    from bot.app.rehearse import default_channels, replay
    from bot.app.settings import feed_spec, load_settings
    from bot.rehearsal.recording import open_inputs
    from bot.rehearsal.replay_server import FILE_SPACING
    from config.settings import ConfigError, Secrets

    speed = 0.0 if args.step else args.speed
    if speed < 0:
        raise ConfigError("--speed must be 0 (as fast as possible) or more")
    settings = load_settings(args.config) if args.config else None
    recording = open_inputs(args.paths, [feed_spec(f) for f in settings.feeds] if settings else (), args.feed, FILE_SPACING)
    base = settings.model_dump() if settings else {}
    if args.channel:
        base["alerts"] = {**base.get("alerts", {}), "channels": args.channel}
    secrets = Secrets.from_env()
    polls = recording.polls()
    pace = "as fast as possible" if speed == 0 else f"at {speed:g}× the recorded pace"
    feeds = ", ".join(f"{f.name} ({f.kind})" for f in recording.feeds)
    channels = (base.get("alerts") or {}).get("channels", default_channels())
    slack = f"; also posting to Slack {', '.join(channels)}" if secrets.slack_enabled else ""
    print(f"Replaying {recording.source}: {len(polls)} polls of {feeds} via {args.via}, {pace}{slack}\n", flush=True)
    try:
        keep = getattr(args, "keep_until_exit", None)  # set by command_line: the process ends after this
        result = replay(
            recording,
            via=args.via,
            speed=speed,
            out=sys.stdout,
            base=base,
            secrets=secrets,
            keep_until_exit=keep,
        )
    except KeyboardInterrupt:
        print("\nreplay interrupted", file=sys.stderr)
        return 130
    print(f"({result.seconds:.1f} s; {result.polls} polls, {result.delivered} messages delivered, {result.pending} pending)")
    return 0 if result.pending == 0 else 1


def _poll(settings, secrets, *, supervised: bool = False) -> int:  # type: ignore[no-untyped-def]  # typed lazily: importing Settings here would load the runtime for --help
    """``python -m bot poll``, and serve's poller process (``supervised``: forked by serve's
    supervisor, bot/app/web_server.py: it stops as on SIGTERM when that parent is gone, and
    serve's own /metrics shows its series, so no ``METRICS_PORT`` server of its own)."""
    from bot.app.health import serve_operations_from_env
    from bot.app.logs import running
    from bot.app.runtime import Runtime

    parent = os.getppid() if supervised else None
    runtime = Runtime.build(
        settings,
        secrets,
        console=None if secrets.posts_somewhere else sys.stdout,
        # counted for serve's /metrics (supervised) or on METRICS_PORT; otherwise nobody reads them
        metrics=supervised or bool(os.environ.get("METRICS_PORT")),
    )
    running()  # the config held: one line per poll and delivery from here (INFO)
    if not supervised:
        serve_operations_from_env(runtime.store, {f.name: f.interval_seconds for f in settings.feeds}, runtime.metrics)
    scheduler = runtime.scheduler()
    stopping: list[str] = []

    def stop(signum: int, _frame: object) -> None:
        # SIGTERM (a dyno restart, a deploy) and SIGINT alike. Only a note here: a handler that
        # called into the scheduler could deadlock on a lock the main thread held when the signal
        # came (the executor's, while it submitted a job). The main thread does the rest.
        stopping.append(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
    while not stopping:
        time.sleep(0.1)
        if parent is not None and os.getppid() != parent:
            stopping.append("serve is gone")
    scheduler.shutdown(wait=False)
    return _stop_gracefully(runtime, stopping[0])


#: SIGTERM: in-flight work gets this long (Heroku kills a dyno 30 s after its SIGTERM).
STOP_SECONDS = 20.0


def _stop_gracefully(runtime, why: str) -> int:  # type: ignore[no-untyped-def]  # Runtime is imported lazily (as _poll)
    """Stop polling, let the post and the poll under way finish, release the lease, exit 0.
    What a thread still holds after ``STOP_SECONDS`` is abandoned with ``os._exit``: a post cut
    short is a row marked "sending", looked up in the channel by the next start, never lost and
    never posted twice."""
    started = time.monotonic()
    log.warning("%s: stopping (no new polls; finishing what is in flight, %.0f s at most)", why, STOP_SECONDS)
    finished = runtime.stop(STOP_SECONDS - 1.0)
    runtime.close()
    log.warning(
        "stopped in %.1f s%s; lease released",
        time.monotonic() - started,
        "" if finished else " (work still running was left for the next start)",
    )
    if not finished:
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)
    # Still bounded: a thread that keeps the interpreter from exiting (an HTTP call of a library's
    # own) must not carry the process past the 20 s; everything is stored and closed by now.
    watchdog = threading.Timer(max(0.5, STOP_SECONDS - (time.monotonic() - started)), os._exit, args=(0,))
    watchdog.daemon = True
    watchdog.start()
    return 0


def _serve(settings, secrets) -> int:  # type: ignore[no-untyped-def]  # as _poll
    """The Procfile's web (gunicorn) and worker (``_poll``, in a process of its own, supervised)
    under one command: bot/app/web_server.py."""
    from bot.app.web_server import serve

    host, port = os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "3000"))
    return serve(settings, secrets, host, port, run_poller=lambda: _poll(settings, secrets, supervised=True))


if __name__ == "__main__":
    sys.exit(main())
