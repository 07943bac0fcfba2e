"""Serve a WSGI app (e.g. Bolt's ``SlackRequestHandler``) on loopback for the duration of a test.

Why wsgiref and not a test client: production runs the same WSGI callable under gunicorn, so going
through a real socket checks header handling, body bytes and status lines end to end, offline.

Usage, either style::

    with serve_wsgi(SlackRequestHandler(app)) as (base_url, _):
        post_signed(base_url + "/slack/events", body, secret)

    base_url, shutdown = serve_wsgi(wsgi_app)
    ...
    shutdown()
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any, NamedTuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log on stderr; it would bury pytest output."""

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced on purpose."""


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref server handling each request in its own daemon thread.

    Bolt may call back into other local fakes while handling a request, and tests may send
    concurrent requests; a single-threaded server would serialise or deadlock those.
    """

    daemon_threads = True
    request_queue_size = 128  # the default of 5 stalls bursts of concurrent requests on SYN retransmits

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients hanging up; anything else is worth seeing."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ServedApp(NamedTuple):
    """``(base_url, shutdown)``; also a context manager that shuts down on exit."""

    base_url: str
    shutdown: Callable[[], None]

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.shutdown()


def serve_wsgi(app: Callable[..., Any], host: str = "127.0.0.1") -> ServedApp:
    """Start ``app`` on ``host`` at a free port in a daemon thread; ``base_url`` has no trailing slash."""
    server = make_server(host, 0, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgi-test-server", daemon=True
    )
    thread.start()
    return ServedApp(f"http://{host}:{server.server_address[1]}", _shutdown_once(server, thread))


def _shutdown_once(server: WSGIServer, thread: threading.Thread) -> Callable[[], None]:
    """A shutdown callable that is safe to call twice (explicitly and again via ``with``)."""
    done = threading.Event()

    def shutdown() -> None:
        if done.is_set():
            return
        done.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return shutdown
