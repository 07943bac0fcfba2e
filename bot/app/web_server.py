"""``python -m bot serve``: the Procfile's ``web`` and ``worker`` under one command.

    serve: gunicorn's master (binds $PORT)
    ├── gunicorn's worker: the Procfile's web app (:func:`web_app`, as bot/wsgi.py serves it)
    └── the poller's supervisor (forked once gunicorn is ready)
        └── the poller: what ``python -m bot poll`` runs, restarted with a backoff if it dies

Why the poll is out of the web process: a national poll is seconds of Python and long C calls
(a 26 MB JSON decode) under one GIL, and ``/results`` waited behind them: p99 193 ms (Slack) and
237 ms (Discord) at 20 concurrent during a poll when the poller ran in gunicorn's worker, against
the target's 50 ms that the Procfile's two processes meet (``benchmarks/bench_results.py --feed
national``, docs/performance.md).

Why gunicorn and not a simpler server: wsgiref's listen backlog is 5, so a burst of ``/results``
(20 at once) had connections dropped and retried by the client a second later (p99 about
1,030 ms). Exactly one web worker, four threads: the Procfile's settings (bot/wsgi.py says why).

Why a supervisor process rather than the master: gunicorn's master reaps every child it has
(``waitpid(-1)``) and runs no code of ours in its loop, so it could neither tell how the poller
ended nor restart it without a thread of its own in a process that forks workers. The supervisor
is forked when the master is ready, still one thread and before its first worker (a thread does
not survive a fork, its locks may); it forks the poller in turn (no exec: the settings loaded
and checked once, no second start-up) and is the poller's only reaper. Nothing runs a thread
before a fork: the master only checks the config (the same errors as ``poll``, one line and exit
code 2) before gunicorn starts.

Stopping (SIGTERM, SIGINT): the master passes the signal on to the supervisor, which sends the
poller SIGTERM: the poll's own graceful stop (no new polls, the post under way finished, the
lease released, 20 s at most), while gunicorn stops its worker as it always does; the master
waits for both and exits 0. If serve is killed outright, its worker, the supervisor and the
poller see their parent gone and stop as well.

Nothing posted twice, nothing lost: what already holds between the Procfile's processes. One
poller (the lease: an ``flock`` on SQLite, an advisory lock on PostgreSQL, both released by the
kernel with a dead process); a post cut short by a killed poller is a row marked "sending", looked
up in the channel by the next one before it is sent again (bot/store/lease.py, the outbox).

SQLite, two processes on one file, as the Procfile on SQLite: WAL, so ``/results`` reads while
the poll commits, and a 30 s busy timeout for the web's few writes (bot/store/sessions.py). An
in-memory database exists in one process only: serve refuses it with one line.

``/healthz`` reads the store as the Procfile's web does (the poller's feed rows and lease holder:
the poller's own pid). ``/metrics`` shows the poller's and delivery's series beside ``/results``'s
through prometheus_client's multiprocess mode (:func:`metrics_dir`, :func:`shared_metrics`).

gunicorn runs on Linux and macOS, where the project is deployed and developed (Heroku-style
dynos, ``make``); it does not run on Windows, where ``serve`` says so and points at WSL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

from config.settings import ConfigError, Secrets, Settings

log = logging.getLogger("electionbot")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: the Procfile's ``web:`` settings (a test keeps the two the same): one worker, four threads
#: (why four: bot/wsgi.py), a 30 s worker timeout.
WEB_WORKERS = 1
WEB_THREADS = 4
WEB_TIMEOUT = 30
#: SIGTERM: how long the poll and the post under way may take to finish (as ``poll``'s).
STOP_SECONDS = 20
#: a poller that died is started again after this long, doubled at each death in a row up to
#: RESTART_MAX (a poller that cannot start does not spin); one that ran RESTART_RESET seconds
#: had a life, and the next wait starts again from the first.
RESTART_FIRST = 1.0
RESTART_MAX = 60.0
RESTART_RESET = 60.0
#: prometheus_client's multiprocess mode: each process writes its series to files here
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def check(settings: Settings, secrets: Secrets) -> None:
    """Raise ConfigError now, in the parent, for what would otherwise only fail in a child."""
    from slack_bolt.error import BoltError

    from bot.app.discord_app import discord_routes
    from bot.app.health import min_stale_seconds
    from bot.app.runtime import Runtime
    from bot.app.slack_app import create_bolt_app
    from handlers import Services

    runtime = Runtime.build(settings, secrets, console=None)
    try:
        if not _shared_database(runtime.store):
            raise ConfigError(
                f"serve polls in a process of its own, and the in-memory database {runtime.store.url!r} "
                "lives in one process: use a file (the default sqlite:///electionbot.db) or PostgreSQL"
            )
        create_bolt_app(Services(runtime.store, runtime.rules), secrets)
        discord_routes(Services(runtime.store, runtime.rules), secrets)  # a bad DISCORD_PUBLIC_KEY: one line, exit 2
        min_stale_seconds()  # a bad HEALTHZ_MIN_STALE_SECONDS: one line, exit 2
    except BoltError as exc:  # no SLACK_BOT_TOKEN, say: Bolt's reason is the message
        raise ConfigError(f"the Slack app cannot start: {exc}") from None
    finally:
        runtime.close()


def _shared_database(store: Any) -> bool:
    url = store.engine.url
    if not url.drivername.startswith("sqlite"):
        return True
    return bool(url.database) and url.database != ":memory:" and "mode=memory" not in str(url)


def metrics_dir() -> str:
    """A fresh directory for prometheus_client's multiprocess mode, named in the environment
    before prometheus_client is imported (it picks its value class once, at import): serve's
    processes each write their series there and the web worker's ``/metrics`` adds them up. Why
    this mode and not the web process scraping the poller's own ``/metrics``: it is the library's
    own way for several processes behind one endpoint, the series keep their names and labels,
    counters stay monotonic across a poller's restart (the dead process's file still counts), and
    a scrape needs no second port nor the poller alive at that moment."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("serve must name its metrics directory before prometheus_client is imported")
    path = tempfile.mkdtemp(prefix="electionbot-metrics-")
    os.environ[MULTIPROC_ENV] = path
    return path


def serve(settings: Settings, secrets: Secrets, host: str, port: int, run_poller: Callable[[], int]) -> int:
    """Run until SIGTERM or SIGINT (gunicorn's graceful stop); returns the exit status.
    ``run_poller``: what the poller's process runs (``python -m bot poll``'s function; it returns
    the exit status)."""
    metrics = metrics_dir()
    master = os.getpid()
    try:
        return _serve(settings, secrets, host, port, run_poller, metrics)
    finally:
        if os.getpid() == master:  # gunicorn's worker leaves through here too: not its to remove
            shutil.rmtree(metrics, ignore_errors=True)


def _serve(settings: Settings, secrets: Secrets, host: str, port: int, run_poller: Callable[[], int], metrics: str) -> int:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError as exc:  # Windows: gunicorn needs fcntl and fork
        raise ConfigError(
            f"serve needs gunicorn, which runs on Linux and macOS only ({exc}); on Windows run it under WSL"
        ) from None
    check(settings, secrets)
    poller = Supervisor(run_poller)

    def ready(server: Any) -> None:
        poller.start(close=[listener.close for listener in server.LISTENERS])
        poller.stop_with((signal.SIGTERM, signal.SIGINT, signal.SIGQUIT))
        log.warning(
            "serving /slack/events on %s:%d (gunicorn, 1 worker, %d threads); the poller in a process of its "
            "own (supervisor pid %d)",
            host,
            port,
            WEB_THREADS,
            poller.pid or 0,
        )

    class Serve(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types: its base class is Any
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": WEB_WORKERS,
                "worker_class": "gthread",
                "threads": WEB_THREADS,
                "timeout": WEB_TIMEOUT,
                "graceful_timeout": STOP_SECONDS,
                "when_ready": ready,
                "on_exit": lambda server: poller.stop(),
            }
            if "control_socket_disable" in self.cfg.settings:  # gunicorn 27+: a socket in $HOME that
                options["control_socket_disable"] = True  # two servers on one host (tests, the bench) would share
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            from bot.app.logs import running

            # the CLI's log set-up survives the fork; the config held: INFO from here, written by a
            # thread of its own (a line per /results off the request's path: bot/app/logs.py)
            running(background=True)
            return web_app(settings, secrets, shared_metrics=metrics)

    try:
        Serve().run()  # exits through SystemExit with gunicorn's status
    finally:
        poller.stop()  # also when gunicorn fails (a port in use); only the master's call acts
    return 0


# --- the web app: the Procfile's web process and serve's worker ------------------------------


def web_app(settings: Settings, secrets: Secrets, *, shared_metrics: str | None = None) -> WSGIApp:
    """What a web process serves: Bolt at /slack/events, /discord/interactions, /healthz,
    /metrics and /charts/, over a store of its own; it polls and queues nothing (the poller's
    process does). ``shared_metrics``: serve's multiprocess metrics directory."""
    from bot.app.metrics import Metrics
    from bot.app.pictures import web_desk
    from bot.app.settings import rule_settings
    from bot.store.database import Store

    store = Store(settings.database_url())
    rules = rule_settings(settings)
    # /results latency of its own and the store's view of polls and deliveries (bot/app/metrics.py)
    metrics = Metrics(store)
    # /results … chart | map: a DM upload, or an image block on /charts/ with PUBLIC_URL (bot/app/pictures.py)
    pictures = web_desk(store, rules, settings.alerts.pictures, secrets)
    intervals = {f.name: f.interval_seconds for f in settings.feeds}
    shared = shared_metrics_app(store, shared_metrics) if shared_metrics else None
    return _app(store, rules, secrets, metrics, pictures, intervals, metrics_route=shared)


def one_process_app(runtime: Any) -> WSGIApp:
    """The same routes over a whole ``bot.app.runtime.Runtime`` (its store, metrics, pictures
    and clock): a poller and the web in one process, as the ops tests drive them on a mocked clock."""
    from bot.app.metrics import Metrics

    intervals = {f.name: f.interval_seconds for f in runtime.settings.feeds}
    metrics = runtime.metrics or Metrics(runtime.store)
    return _app(
        runtime.store, runtime.rules, runtime.secrets, metrics, runtime.pictures, intervals, clock=runtime.worker.clock
    )


def _app(
    store: Any,
    rules: Any,
    secrets: Secrets,
    metrics: Any,
    pictures: Any,
    intervals: dict[str, float],
    *,
    clock: Callable[[], Any] | None = None,
    metrics_route: WSGIApp | None = None,
) -> WSGIApp:
    from bot.app.discord_app import discord_routes
    from bot.app.health import operational_routes
    from bot.app.pictures import picture_routes
    from bot.app.slack_app import create_bolt_app, wsgi_app
    from handlers import Services

    services = Services(store, rules, on_command=metrics.command, pictures=pictures)
    operations = (
        operational_routes(store, intervals, metrics)
        if clock is None
        else operational_routes(store, intervals, metrics, clock=clock)
    )
    return wsgi_app(
        create_bolt_app(services, secrets),
        routes={
            **operations,
            **({"/metrics": metrics_route} if metrics_route else {}),
            **discord_routes(services, secrets),  # /discord/interactions when DISCORD_PUBLIC_KEY is set
            **picture_routes(pictures),  # /charts/<signed id>.png with PUBLIC_URL and LINK_SIGNING_KEY
        },
    )


def shared_metrics_app(store: Any, path: str) -> WSGIApp:
    """``/metrics`` over every serve process's series (the files in ``path``: the web worker's
    ``/results``, the poller's polls and deliveries, a restarted process's predecessors) and the
    store's view, read at scrape time as in any process (``StoreCollector``)."""
    from prometheus_client import CollectorRegistry, make_wsgi_app
    from prometheus_client.multiprocess import MultiProcessCollector

    from bot.app.metrics import StoreCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    registry.register(StoreCollector(store))
    app: WSGIApp = make_wsgi_app(registry)
    return app


# --- the poller's process and its supervisor ---------------------------------------------------


class Supervisor:
    """The master's handle on the poller's supervisor process (forked by :meth:`start`)."""

    def __init__(self, run_poller: Callable[[], int]) -> None:
        self.run_poller = run_poller
        self.pid: int | None = None
        self._owner = os.getpid()
        self._asked = False

    def start(self, close: Iterable[Callable[[], None]] = ()) -> None:
        """Fork the supervisor (the caller must have one thread). ``close``: what the children
        must not hold (gunicorn's listening sockets: a poller outliving serve would keep the port)."""
        pid = os.fork()
        if pid:
            self.pid = pid
            return
        code = 1
        try:
            for done in close:
                done()
            code = supervise(self.run_poller, parent=self._owner)
        finally:
            _exit(code)

    def stop_with(self, numbers: Iterable[int]) -> None:
        """On these signals, ask the supervisor to stop at once, then do what the master did
        (gunicorn's handlers: its graceful or quick stop), so the poller's 20 s and the web
        worker's stop run side by side rather than one after the other."""
        for number in numbers:
            previous = signal.getsignal(number)

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                self.ask()
                if callable(previous):
                    previous(signum, frame)

            signal.signal(number, handler)

    def ask(self) -> None:
        """SIGTERM to the supervisor, once, from the process that started it, while it is ours
        (a supervisor already reaped, here or by gunicorn's loop, is never signalled: its pid may
        be another process's by now)."""
        if self._asked or self.pid is None or os.getpid() != self._owner:
            return
        self._asked = True
        if not _reaped(self.pid):
            os.kill(self.pid, signal.SIGTERM)

    def stop(self, timeout: float = STOP_SECONDS + 5.0) -> None:
        """Ask the supervisor to stop (it stops the poller gracefully) and wait for it."""
        pid = self.pid
        if pid is None or os.getpid() != self._owner:
            return
        if not self._asked and _reaped(pid):
            log.error("the poller's supervisor (pid %d) had exited", pid)
            self.pid = None
            return
        self.ask()
        self.pid = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _reaped(pid):
                return
            time.sleep(0.05)
        log.error("the poller's supervisor (pid %d) did not stop within %.0f s: killed", pid, timeout)
        os.kill(pid, signal.SIGKILL)
        _reaped(pid, block=True)


def supervise(run_poller: Callable[[], int], parent: int) -> int:
    """The supervisor's loop: start the poller, start it again after a backoff when it dies (one
    line each time), stop it on SIGTERM or SIGINT or when ``parent`` (serve) is gone."""
    stopping: list[str] = []
    # gunicorn's master's handlers queue into the master's loop: not here. Its reload and log
    # signals (HUP, USR1, …) are for the master; a terminal's hangup reloads serve's web worker,
    # it does not end the poller (the poller inherits the ignoring).
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for number in _MASTERS_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(number, lambda signum, _frame: stopping.append(signal.Signals(signum).name))
    child: int | None = None
    started = 0.0
    wait = RESTART_FIRST
    start_at = time.monotonic()
    while True:
        if not stopping and os.getppid() != parent:
            stopping.append("serve is gone")
        if stopping:
            break
        now = time.monotonic()
        if child is None and now >= start_at:
            child, started = _fork_poller(run_poller), now
        if child is not None:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                lived = time.monotonic() - started
                wait = RESTART_FIRST if lived >= RESTART_RESET else wait
                log.error(
                    "the poller (pid %d) %s after %.0f s; starting it again in %.0f s",
                    pid,
                    _how_it_ended(status),
                    lived,
                    wait,
                )
                child, start_at = None, time.monotonic() + wait
                wait = min(wait * 2, RESTART_MAX)
        time.sleep(0.1)
    if child is not None:
        _stop_poller(child)
    return 0


def _fork_poller(run_poller: Callable[[], int]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        # the default until the poll's own handlers are in place: a signal while it starts (nothing
        # polled or posted yet) ends it at once instead of being noted in the supervisor's list
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)
        code = run_poller()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        log.exception("the poller failed")
    finally:
        _exit(code)
    return 0  # not reached: _exit


def _stop_poller(pid: int) -> None:
    """SIGTERM: the poll's graceful stop, which ends its process within STOP_SECONDS; then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS + 2.0
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.05)
    log.error("the poller (pid %d) did not stop within %d s: killed", pid, STOP_SECONDS)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _reaped(pid: int, *, block: bool = False) -> bool:
    """True once ``pid`` has exited (reaped here, or already by gunicorn's loop)."""
    try:
        return os.waitpid(pid, 0 if block else os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


#: gunicorn's master's signals other than its stops (TERM, INT, QUIT), ignored by the supervisor
_MASTERS_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGHUP", "SIGTTIN", "SIGTTOU", "SIGUSR1", "SIGUSR2", "SIGWINCH")
    if hasattr(signal, name)
)


def _exit(code: int) -> None:
    """A forked child ends here, never back in the master's code: what it logged flushed first."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: lost either way
            stream.flush()
    os._exit(code)
