"""A local HTTP results feed for tests: scripted replies on 127.0.0.1, every request recorded.

Feeds misbehave in a handful of ways that matter on election night (a quota 403 before the
real answer, an HTML error page served with 200, a body cut off mid-transfer, a server that
stops answering, an ETag that turns a poll into a 304). :class:`FeedServer` scripts each of them
over real HTTP, so the adapters' actual ``requests``/urllib3 code paths are exercised instead
of a mocked client. It is generic: routes are paths (optionally narrowed by query parameters)
mapped to a queue of :class:`Reply` objects or to a callable.

Usage::

    from tests.fakes.feed_server import FeedServer, Reply

    with FeedServer() as server:
        server.route("/v2/elections/2017-12-12", Reply(403, b"quota"), Reply.json({"races": []}))
        server.route("/v2/elections/2017-12-12", Reply.json(delta), query={"minDateTime": "x"})
        server.route("/feed.json", Reply.json(doc, etag='"v1"'))   # second GET → 304
        server.route("/slow", Reply(hang=5.0))                      # longer than a read timeout
        server.route("/cut", Reply(body=b"x" * 1000, truncate=10))  # Content-Length 1000, 10 sent
        url = server.url("/v2/elections/2017-12-12?level=ru")
        ...
        assert [r.query.get("minDateTime") for r in server.requests_to("/v2/elections/2017-12-12")] == [...]

A queue hands out its replies in order and then keeps repeating the last one, so
``route(path, Reply(403), Reply(200, body))`` reads "first 403, then 200 from now on".
Unknown paths answer 404 (and are recorded too).
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``etag`` enables conditional GET: a request whose ``If-None-Match``
    equals it gets a bodyless 304. ``gzip`` compresses the body (``Content-Encoding: gzip``).
    ``truncate`` declares the full ``Content-Length`` but sends only that many bytes and closes
    the connection. ``hang`` sleeps that many seconds before answering at all."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    gzip: bool = False
    truncate: int | None = None
    hang: float | None = None

    @classmethod
    def json(cls, doc: Any, status: int = 200, **kw: Any) -> Reply:
        headers = {"Content-Type": "application/json; charset=utf-8", **kw.pop("headers", {})}
        return cls(status, json.dumps(doc).encode("utf-8"), headers, **kw)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8", **kw: Any) -> Reply:
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}
        return cls(status, text.encode("utf-8"), headers, **kw)

    @classmethod
    def file(cls, path: str | Path, content_type: str = "application/octet-stream", **kw: Any) -> Reply:
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}
        return cls(200, Path(path).read_bytes(), headers, **kw)


@dataclass(frozen=True)
class Request:
    """What the server saw: path without the query, the decoded query (last value wins), and
    the headers with lower-case names."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_path: str


Handler = Callable[[Request], Reply]


class _Route:
    def __init__(self, replies: tuple[Reply, ...] | None, handler: Handler | None, query: Mapping[str, str]):
        self.replies = list(replies or ())
        self.handler = handler
        self.query = dict(query)
        self.lock = threading.Lock()

    def matches(self, request: Request) -> bool:
        return all(request.query.get(k) == v for k, v in self.query.items())

    def next_reply(self, request: Request) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        with self.lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class FeedServer:
    """A ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a daemon thread; a context manager."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[str, list[_Route]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a hanging handler must not hold up the test's exit
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="feed-server", daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- scripting -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def route(self, path: str, *replies: Reply, query: Mapping[str, str] | None = None) -> None:
        """Answer ``path`` with ``replies`` in order, the last one repeating. With ``query``, only
        requests carrying those parameter values match; the most specific route wins. A new
        route for the same path and query replaces the old one."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        self._add(path, _Route(replies, None, query or {}))

    def handle(self, path: str, handler: Handler, query: Mapping[str, str] | None = None) -> None:
        """Answer ``path`` by calling ``handler(request)`` for every request."""
        self._add(path, _Route(None, handler, query or {}))

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def hits(self, path: str) -> int:
        return len(self.requests_to(path))

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def _add(self, path: str, new: _Route) -> None:
        with self._lock:
            routes = [r for r in self._routes.get(path, []) if r.query != new.query]
            routes.append(new)
            routes.sort(key=lambda r: len(r.query), reverse=True)
            self._routes[path] = routes

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            routes = list(self._routes.get(request.path, []))
        for candidate in routes:
            if candidate.matches(request):
                return candidate.next_reply(request)
        return Reply.text(f"no route for {request.path}", status=404)

    # -- HTTP ------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without this, Nagle's algorithm
                # and delayed ACKs add ~40 ms to every keep-alive request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._serve(send_body=True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(send_body=False)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet test output

            def _serve(self, send_body: bool) -> None:
                split = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=split.path,
                    query=dict(parse_qsl(split.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_path=self.path,
                )
                reply = server._answer(request)
                if reply.hang:
                    server._stopping.wait(reply.hang)
                    self.close_connection = True
                    return
                if reply.etag is not None and request.headers.get("if-none-match") == reply.etag:
                    reply = replace(reply, status=304, body=b"", gzip=False, truncate=None)
                body = gzip.compress(reply.body) if reply.gzip else reply.body
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.etag is not None:
                    self.send_header("ETag", reply.etag)
                if reply.gzip:
                    self.send_header("Content-Encoding", "gzip")
                if reply.status != 304:
                    self.send_header("Content-Length", str(len(body)))
                if reply.truncate is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                if not send_body or reply.status == 304:
                    return
                if reply.truncate is not None:
                    self.wfile.write(body[: reply.truncate])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        return _Handler
