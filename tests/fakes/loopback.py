"""The HTTP plumbing the fake Slack and the fake Discord share, so each fake holds only its API.

A loopback ``ThreadingHTTPServer`` per port (daemon threads, a deep accept queue), a handler that
turns raw HTTP into one call of the fake's ``_handle`` and writes back what it returns, the
start/stop lifecycle, the one lock every recording and injected fault goes through, the outage
window and the queues of injected failures. What a fake answers, how a failure looks on its wire
and what it records stay in the fake (``slack_api``, ``discord_api``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Literal, Protocol, Self, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
F = TypeVar("F")

OutageMode = Literal["503", "drop"]


class Headers(dict[str, str]):
    """Request headers with case-insensitive lookup (keys are stored lower-case).

    HTTP header names are case-insensitive, and different clients capitalise them differently;
    this lets assertions use ``headers["Authorization"]`` regardless of what the client sent.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((key.lower(), value) for key, value in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.01, message: str = "") -> T:
    """Poll ``predicate`` until it returns something truthy and return that value.

    The bot works in background threads, so tests need to wait for effects rather than sleep a
    guessed amount.  Raises ``AssertionError`` (a test failure, not an error) on timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s: {message or predicate!r}")
        time.sleep(interval)


class Reply(Protocol):
    """What a fake's ``_handle`` returns: written as is, or ``drop``: the socket closed unanswered."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def drop(self) -> bool: ...


class LoopbackServer(ThreadingHTTPServer):
    """One port of a fake on 127.0.0.1; errors of clients that give up are kept, not printed."""

    daemon_threads = True
    # The default backlog of 5 makes a burst of concurrent posts stall ~1 s on SYN retransmits.
    request_queue_size = 128

    def __init__(self, fake: LoopbackFake, handler: type[LoopbackHandler], **options: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.fake = fake
        #: what the fake's handler needs to know about this port (the fake Slack's upload port)
        self.options = options

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts, drops) cause broken pipes; keep them as data, not noise.
        self.fake.server_errors.append(repr(sys.exc_info()[1]))


class LoopbackHandler(BaseHTTPRequestHandler):
    """Raw HTTP → :meth:`answer` → the reply on the wire; HTTP/1.0 so every request closes."""

    server: LoopbackServer
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: per-request lines on stderr would drown pytest output."""

    def answer(self, path: str, query: str, headers: Headers, body: bytes) -> Reply:
        """The fake's reply to one request (each fake's handler calls its ``_handle``)."""
        raise NotImplementedError

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        reply = self.answer(split.path, split.query, Headers(self.headers.items()), body)
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        if reply.body or reply.status != 204:  # a 204 carries no body, so no type either
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


class LoopbackFake:
    """What both fakes do around their API: serve, lock, record server errors, inject faults.

    A subclass names its ``handler`` and opens its ports in :meth:`_open` (:meth:`_serve_on` once
    per port); it implements ``_handle_locked`` and ``_internal_error`` and consults
    :meth:`_outage` and :meth:`_take_failure` in the order its platform would fail.
    """

    handler: ClassVar[type[LoopbackHandler]]
    name: ClassVar[str] = "fake"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, latency: float = 0.0) -> None:
        self._clock = clock
        self.latency = latency
        self.server_errors: list[str] = []
        self._lock = threading.RLock()
        self._servers: list[tuple[LoopbackServer, threading.Thread]] = []
        self._failures: dict[str, deque[Any]] = defaultdict(deque)
        self._outage_until = float("-inf")
        self._outage_mode: OutageMode = "503"

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Bind fresh ports and serve in daemon threads (so a forgotten stop never hangs pytest)."""
        if not self._servers:
            self._open()
        return self

    def _open(self) -> None:
        self._serve_on()

    def _serve_on(self, label: str = "", **options: Any) -> LoopbackServer:
        server = LoopbackServer(self, self.handler, **options)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name + label, daemon=True
        )
        thread.start()
        self._servers.append((server, thread))
        return server

    def stop(self) -> None:
        """Stop serving and release the ports; safe to call twice."""
        servers, self._servers = self._servers, []
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _port_of(self, index: int = 0) -> int:
        if len(self._servers) <= index:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() or use it as a context manager")
        return int(self._servers[index][0].server_address[1])

    @property
    def port(self) -> int:
        return self._port_of(0)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Same as the module-level ``wait_for``; here so tests need only the fixture."""
        return wait_for(predicate, timeout)

    # ----------------------------------------------------------------- fault injection

    def outage(self, seconds: float, mode: OutageMode = "503") -> None:
        """For ``seconds`` from now (on ``clock``), answer every request with 503 or drop the connection."""
        with self._lock:
            self._outage_until = self._clock() + seconds
            self._outage_mode = mode

    def end_outage(self) -> None:
        """End an outage early, so tests need not sleep it out."""
        with self._lock:
            self._outage_until = float("-inf")

    def _outage(self, at: float) -> OutageMode | None:
        """How a request at ``at`` fails in an outage, or None outside one."""
        return self._outage_mode if at < self._outage_until else None

    def _queue_failures(self, key: str, failure: object, times: int) -> None:
        with self._lock:
            self._failures[key].extend([failure] * times)

    def _take_failure(self, key: str, matches: Callable[[F], bool]) -> F | None:
        """The first queued failure for ``key`` (then for ``"*"``) that ``matches`` the request,
        consumed: one failure per request."""
        for queued in (key, "*"):
            queue = self._failures.get(queued)
            for failure in list(queue or ()):
                if matches(failure):
                    assert queue is not None
                    queue.remove(failure)
                    return failure
        return None

    # ----------------------------------------------------------------- request pipeline

    def _handle(self, *request: Any) -> Any:
        """One request, under the lock; called from server threads."""
        if self.latency:
            time.sleep(self.latency)
        try:
            with self._lock:
                return self._handle_locked(*request)
        except Exception as exc:  # a bug in the fake must surface as a loud 500, not a dropped socket
            self.server_errors.append(repr(exc))
            return self._internal_error(exc)

    def _handle_locked(self, *request: Any) -> Any:
        raise NotImplementedError

    def _internal_error(self, exc: Exception) -> Any:
        raise NotImplementedError
