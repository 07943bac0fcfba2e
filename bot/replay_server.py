"""A local HTTP feed that plays a recorded night, one snapshot per tick (loopback only).

The demo and rehearsals use it to drive the real poller over real HTTP: the poller cannot tell
it from a live results site, ETag and 304 included.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class ReplayServer:
    """Serves ``bodies[i]`` at ``path``; ``i`` advances with :meth:`advance` or every ``tick`` s."""

    def __init__(self, bodies: Sequence[bytes], *, path: str = "/feed.json", content_type: str = "application/json", host: str = "127.0.0.1", port: int = 0):
        if not bodies:
            raise ValueError("nothing to replay")
        self.bodies = list(bodies)
        self.path = path
        self.content_type = content_type
        self.index = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True)

    @classmethod
    def from_files(cls, files: Sequence[Path], **kw: object) -> ReplayServer:
        return cls([Path(f).read_bytes() for f in files], **kw)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    @property
    def finished(self) -> bool:
        return self.index >= len(self.bodies) - 1

    def start(self, tick: float | None = None, on_advance: Callable[[int], None] | None = None) -> ReplayServer:
        self._thread.start()
        if tick is not None:
            self._ticker = threading.Thread(target=self._tick, args=(tick, on_advance), name="replay-ticker", daemon=True)
            self._ticker.start()
        return self

    def advance(self, steps: int = 1) -> int:
        with self._lock:
            self.index = min(len(self.bodies) - 1, self.index + steps)
            return self.index

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _tick(self, tick: float, on_advance: Callable[[int], None] | None) -> None:
        while not self._stop.wait(tick):
            if self.finished:
                return
            index = self.advance()
            if on_advance:
                on_advance(index)

    def _current(self) -> tuple[bytes, str]:
        with self._lock:
            body = self.bodies[self.index]
            self.requests += 1
        return body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path.split("?")[0] != server.path:
                    self.send_error(404)
                    return
                body, etag = server._current()
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", server.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Cache-Control", "max-age=0, no-cache")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # quiet: the bot logs polls
                pass

        return Handler


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
