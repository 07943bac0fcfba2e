"""``python -m bot socket``: Bolt in Socket Mode with the poller and delivery in the same process.

For a desk without a public URL (a laptop on the newsroom's network, a box behind a firewall):
the bot opens a WebSocket to Slack (``apps.connections.open`` with the app-level token,
``SLACK_APP_TOKEN``, ``xapp-…``, scope ``connections:write``) and slash commands arrive over it,
answered with the same listeners as ``/slack/events``. No signing secret is needed: Slack
authenticates the socket, not each request. Alerts go out through the Web API with the bot token
as in every other mode.

slack_sdk's built-in client (``slack_sdk.socket_mode.builtin``) rather than the websocket-client
or aiohttp ones: it needs no extra dependency, reconnects by itself (a new URL from
``apps.connections.open`` on Slack's ``disconnect`` or a lost socket) and keeps a ping going.

One process, like ``serve``: this process polls (Slack does not care where the bot runs, but two
``socket`` processes would each poll), and its metrics are all in one registry. With
``METRICS_PORT`` set, ``/healthz`` and ``/metrics`` are served on 127.0.0.1 at that port for a
local monitor; otherwise the bot has no HTTP port at all.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from config.settings import ConfigError, Secrets, Settings

log = logging.getLogger("electionbot")
#: SIGTERM: the poll and the post under way get this long, as ``poll``'s (Heroku kills 30 s after)
STOP_SECONDS = 20.0


def check_tokens(secrets: Secrets) -> str:
    """The app-level token, or one clear ConfigError naming what is missing."""
    token = secrets.slack_app_token
    if not token:
        raise ConfigError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…, scope connections:write)"
        )
    if not token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN is not an app-level token (it should start with xapp-)")
    if not secrets.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set: Socket Mode receives commands, the bot token answers and posts")
    return token


def run_socket_mode(settings: Settings, secrets: Secrets, stop: threading.Event | None = None) -> int:
    """Connect, poll and deliver until ``stop`` is set (SIGTERM or SIGINT in the main thread)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app.health import serve_operations_from_env
    from bot.app.logs import running
    from bot.app.runtime import Runtime
    from bot.app.slack_app import create_bolt_app
    from handlers import Services

    app_token = check_tokens(secrets)
    stop = stop or threading.Event()
    restore = _on_signals(stop.set)
    runtime = Runtime.build(settings, secrets)
    running()  # the config held: one line per poll, delivery and command from here (INFO)
    assert runtime.metrics is not None
    app = create_bolt_app(
        # pictures: by DM here (Socket Mode has no public URL for /charts/ unless PUBLIC_URL says so)
        Services(runtime.store, runtime.rules, on_command=runtime.metrics.command, pictures=runtime.pictures),
        secrets,
        socket_mode=True,
    )
    handler = SocketModeHandler(app, app_token)
    scheduler = runtime.scheduler()
    served = None
    try:
        served = serve_operations_from_env(
            runtime.store, {f.name: f.interval_seconds for f in settings.feeds}, runtime.metrics
        )
        handler.connect()  # type: ignore[no-untyped-call]  # slack_bolt's Socket Mode handler is untyped
        scheduler.start()
        log.warning("Socket Mode: connected to Slack; polling %d feed(s) in this process", len(runtime.pollers))
        stop.wait()
    finally:
        # As poll's SIGTERM: no new commands or polls, the poll and the post under way finish
        # (STOP_SECONDS at most), the lease is released; what is still queued goes out once at
        # the next start.
        log.warning("Socket Mode: stopping")
        restore()
        handler.close()  # type: ignore[no-untyped-call]  # as connect
        if scheduler.running:
            scheduler.shutdown(wait=False)
        finished = runtime.stop(STOP_SECONDS - 1.0)
        if served is not None:
            served()
        runtime.close()
        log.warning("Socket Mode: stopped%s", "" if finished else " (work still running was left for the next start)")
    return 0


def _on_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """SIGTERM and SIGINT call ``callback`` (main thread only: a test may run this in a thread)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.signal(sig, lambda *_: callback()) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
