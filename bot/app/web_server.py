"""``python -m bot serve``: the Procfile's web stack (gunicorn, gthread) with the poller inside it.

Why gunicorn and not a simpler server: wsgiref's listen backlog is 5, so a burst of ``/results``
(20 at once) had connections dropped and retried by the client a second later (p99 about
1,030 ms). Serving with exactly what the Procfile's ``web:`` runs gives ``serve`` the same
``/results`` latency, measured the same way (``benchmarks/bench_results.py --server both``).

One-process mode: the poller and delivery run in the same process as the web app. gunicorn
forks its worker from a master, and a thread started before a fork does not survive it (its
locks may), so nothing runs before the fork: the master only checks the config (the same errors
as ``poll``, one line and exit code 2), then the single worker builds the runtime and the app
(``load``) and starts the scheduler once it is up (``post_worker_init``), and stops it when it
exits (``worker_exit``). Exactly one worker, whatever ``WEB_CONCURRENCY`` says: APScheduler 3.x
cannot share jobs between processes. If the worker dies, gunicorn starts a new one, and the
poller with it.

gunicorn runs on Linux and macOS, where the project is deployed and developed (Heroku-style
dynos, ``make``); it does not run on Windows, where ``serve`` says so and points at WSL.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from config.settings import ConfigError, Secrets, Settings

log = logging.getLogger("electionbot")

#: the Procfile's ``web:`` settings (a test keeps the two the same): one worker, four threads
#: (why four: bot/wsgi.py), a 30 s worker timeout.
WEB_WORKERS = 1
WEB_THREADS = 4
WEB_TIMEOUT = 30
#: SIGTERM: how long the poll and the post under way may take to finish (as ``poll``'s).
STOP_SECONDS = 20
#: How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). Here
#: the poller shares the process with ``/results``: a national poll is seconds of Python, and a
#: request that waits for the GIL after each socket read, store query or write waited up to 5 ms
#: each time behind it. 1 ms bounds each wait fivefold shorter for a little more switching.
SWITCH_INTERVAL = 0.001


def check(settings: Settings, secrets: Secrets) -> None:
    """Raise ConfigError now, in the parent, for what would otherwise only fail in the worker."""
    from slack_bolt.error import BoltError

    from bot.app.discord_app import discord_routes
    from bot.app.health import min_stale_seconds
    from bot.app.runtime import Runtime
    from bot.app.slack_app import create_bolt_app
    from handlers import Services

    runtime = Runtime.build(settings, secrets, console=None)
    try:
        create_bolt_app(Services(runtime.store, runtime.rules), secrets)
        discord_routes(Services(runtime.store, runtime.rules), secrets)  # a bad DISCORD_PUBLIC_KEY: one line, exit 2
        min_stale_seconds()  # a bad HEALTHZ_MIN_STALE_SECONDS: one line, exit 2
    except BoltError as exc:  # no SLACK_BOT_TOKEN, say: Bolt's reason is the message
        raise ConfigError(f"the Slack app cannot start: {exc}") from None
    finally:
        runtime.close()


def serve(settings: Settings, secrets: Secrets, host: str, port: int) -> int:
    """Run until SIGTERM or SIGINT (gunicorn's graceful stop); returns the exit status."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:  # Windows: gunicorn needs fcntl and fork
        raise ConfigError(
            f"serve needs gunicorn, which runs on Linux and macOS only ({exc}); on Windows run it under WSL"
        ) from None
    check(settings, secrets)

    class OneProcess(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types: its base class is Any
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": WEB_WORKERS,
                "worker_class": "gthread",
                "threads": WEB_THREADS,
                "timeout": WEB_TIMEOUT,
                "graceful_timeout": STOP_SECONDS,  # SIGTERM: in-flight deliveries get 20 s
                "post_worker_init": _started,
                "worker_exit": _stopping,
                "when_ready": lambda server: log.warning(
                    "serving /slack/events on %s:%d with the poller (gunicorn, 1 worker, %d threads)",
                    host,
                    port,
                    WEB_THREADS,
                ),
            }
            if "control_socket_disable" in self.cfg.settings:  # gunicorn 27+: a socket in $HOME that
                options["control_socket_disable"] = True  # two servers on one host (tests, the bench) would share
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[..., Any]:
            return _load_in_worker(settings, secrets)

    OneProcess().run()  # exits through SystemExit with gunicorn's status
    return 0


# --- the worker's side (after the fork) -----------------------------------------------------

_worker_state: dict[str, Any] = {}


def _load_in_worker(settings: Settings, secrets: Secrets) -> Callable[..., Any]:
    from bot.app.logs import running
    from bot.app.runtime import Runtime

    # the CLI's log set-up survives the fork; the config held: INFO from here, written by a thread
    # of its own (a line per /results off the request's path: bot/app/logs.py)
    running(background=True)
    sys.setswitchinterval(SWITCH_INTERVAL)
    runtime = Runtime.build(settings, secrets, console=None if secrets.posts_somewhere else sys.stdout)
    _worker_state["runtime"] = runtime
    return one_process_app(runtime)


def one_process_app(runtime: Any) -> Callable[..., Any]:
    """Bolt at /slack/events, /healthz and /metrics over ``runtime`` (a ``bot.app.runtime.Runtime``):
    one process, so the poller's, the worker's and /results' metrics are all this registry's."""
    from bot.app.discord_app import discord_routes
    from bot.app.health import operational_routes
    from bot.app.metrics import Metrics
    from bot.app.pictures import picture_routes
    from bot.app.slack_app import create_bolt_app, wsgi_app
    from handlers import Services

    metrics = runtime.metrics or Metrics(runtime.store)
    intervals = {f.name: f.interval_seconds for f in runtime.settings.feeds}
    services = Services(runtime.store, runtime.rules, on_command=metrics.command, pictures=runtime.pictures)
    return wsgi_app(
        create_bolt_app(services, runtime.secrets),
        routes={
            **operational_routes(runtime.store, intervals, metrics, clock=runtime.worker.clock),
            **discord_routes(services, runtime.secrets),  # /discord/interactions when DISCORD_PUBLIC_KEY is set
            **picture_routes(runtime.pictures),  # /charts/<signed id>.png with PUBLIC_URL and LINK_SIGNING_KEY
        },
    )


def _started(worker: Any) -> None:
    """The app is loaded in this worker: start polling and delivering here."""
    runtime = _worker_state["runtime"]
    scheduler = runtime.scheduler()
    scheduler.start()
    _worker_state["scheduler"] = scheduler


def _stopping(server: Any, worker: Any) -> None:
    """SIGTERM or SIGINT (gunicorn's graceful stop): as ``poll`` stops, no new polls, the post
    under way finished, the lease released (bot/app/cli.py, docs/operations.md)."""
    scheduler = _worker_state.pop("scheduler", None)
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    runtime = _worker_state.pop("runtime", None)
    if runtime is not None:
        runtime.stop(STOP_SECONDS - 1.0)
        runtime.close()
