"""Playing recorded feeds back: local sites that answer like the real ones, and the replay driver.

A rehearsal is only worth something if the bot cannot tell it from the night: the feed sources
must fetch the same URLs, get the same bytes, ETags and errors, and go through the same poller,
rules, store and delivery. Two local sites present a recording to the real sources:

* :class:`ReplayServer`, loopback HTTP (ETag and 304 included), one per feed so that every
  recorded URL keeps its own path and query (Clarity's version folders, AP's ``nextrequest``);
* :class:`DiskSite`, the same URLs laid out as files and read through ``file:`` URLs.

:func:`replay` then polls each feed once per recorded poll, in the recorded order and at the
recorded pace (scaled by ``speed``; 0 = as fast as possible), through the same APScheduler jobs
as production: the feed jobs wait paused and the driver has the scheduler run one as each
recorded poll is published, so no snapshot is ever skipped, whatever the speed, and a replay
yields the same alerts as the night did. Delivery runs on its scheduler job too. The demo,
``python -m bot replay`` and the tests replay through here.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from bot.feeds.http import local_path
from bot.rehearsal.recording import RecordingError

if TYPE_CHECKING:
    # imported by the HTTP site itself: a replay from disk loads no http.server (issue 13)
    from http.server import BaseHTTPRequestHandler

DEFAULT_CHANNEL = "#elections"
#: seconds between saved files at speed 1 (they carry no fetch times): the demo's pace, a night
#: of fifty snapshots in under a minute.
FILE_SPACING = 0.8


# -- the HTTP site --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """One recorded answer: a body with its type, or an HTTP error status."""

    status: int
    body: bytes
    content_type: str = "application/json"

    @property
    def etag(self) -> str | None:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"' if self.status < 400 else None


class _Queue:
    """Replies of one URL: handed out in order, the last one repeating (AP's quota 403, then the
    reply that followed it within the same poll)."""

    def __init__(self, replies: Sequence[Reply]):
        self.replies = list(replies)

    def next(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class ReplayServer:
    """A loopback results site. Given ``bodies``, it serves ``bodies[i]`` at ``path``, ``i``
    advancing with :meth:`advance` or every ``tick`` seconds (the e2e tests' single feed). Built
    with :meth:`site`, it serves whatever :meth:`publish` last put at each URL."""

    def __init__(
        self,
        bodies: Sequence[bytes] | None = None,
        *,
        path: str = "/feed.json",
        content_type: str = "application/json",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        if bodies is not None and not bodies:
            raise ValueError("nothing to replay")
        self.bodies = list(bodies or ())
        self.path = path
        self.content_type = content_type
        self.index = 0
        self.requests = 0
        self._routes: dict[str, _Queue] = {}
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        from http.server import ThreadingHTTPServer

        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True)
        if self.bodies:
            self._publish_current()

    @classmethod
    def from_files(cls, files: Sequence[Path], **kw: Any) -> ReplayServer:
        return cls([Path(f).read_bytes() for f in files], **kw)

    @classmethod
    def site(cls, **kw: Any) -> ReplayServer:
        """An empty site, filled by :meth:`publish`."""
        return cls(None, **kw)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        # typeshed allows a bytes host (AF_UNIX-style addresses); ours is always an IPv4 str
        name = host.decode("ascii") if isinstance(host, bytes | bytearray) else host
        return f"http://{name}:{port}"

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def url_for(self, recorded_url: str) -> str:
        """Where this site answers for a recorded URL: same path and query, on loopback."""
        return self.base_url + _target(recorded_url)

    @property
    def finished(self) -> bool:
        return self.index >= len(self.bodies) - 1

    def publish(self, recorded_url: str, replies: Sequence[Reply]) -> None:
        """From now on, answer the URL with ``replies`` (in order, the last repeating). A URL
        published without a query also answers any query on its path (a saved AP reply whose
        ``nextrequest`` the bot follows)."""
        if not replies:
            raise ValueError("a URL needs at least one reply")
        with self._lock:
            self._routes[_normal(_target(recorded_url))] = _Queue(replies)

    def start(self, tick: float | None = None, on_advance: Callable[[int], None] | None = None) -> ReplayServer:
        self._thread.start()
        if tick is not None:
            self._ticker = threading.Thread(target=self._tick, args=(tick, on_advance), name="replay-ticker", daemon=True)
            self._ticker.start()
        return self

    def advance(self, steps: int = 1) -> int:
        with self._lock:
            self.index = min(len(self.bodies) - 1, self.index + steps)
        self._publish_current()
        return self.index

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _publish_current(self) -> None:
        self.publish(self.path, [Reply(200, self.bodies[self.index], self.content_type)])

    def _tick(self, tick: float, on_advance: Callable[[int], None] | None) -> None:
        while not self._stop.wait(tick):
            if self.finished:
                return
            index = self.advance()
            if on_advance:
                on_advance(index)

    def _answer(self, raw: str) -> Reply | None:
        target = _normal(raw)
        with self._lock:
            self.requests += 1
            queue = self._routes.get(target) or self._routes.get(target.split("?", 1)[0])
            return queue.next() if queue is not None else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        from http.server import BaseHTTPRequestHandler

        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                reply = server._answer(self.path)
                if reply is None:
                    self.send_error(404)
                    return
                etag = reply.etag
                if etag is not None and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                body = reply.body if reply.status < 400 else f"recorded HTTP {reply.status}".encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type or "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                if etag is not None:
                    self.send_header("ETag", etag)
                self.send_header("Cache-Control", "max-age=0, no-cache")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # quiet: the bot logs polls
                pass

        return Handler


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _normal(target: str) -> str:
    """The recorded URL is as the adapter built it (AP writes ``%3a``); the request arrives as
    the HTTP client sent it (requests quotes, urllib3 upper-cases escapes). Both are compared
    in that client's spelling."""
    from requests.utils import requote_uri  # here: a replay from disk never loads requests

    return _ESCAPE.sub(lambda m: m.group(0).upper(), requote_uri(target))


# -- the disk site --------------------------------------------------------------------------------


class DiskSite:
    """The recorded URLs as files under ``root`` (path, then ``?query`` in the file name, as
    :func:`bot.feeds.http.local_path` reads them). A file is rewritten only when its body
    changes, with a fresh mtime, so an unchanged body reads as "not modified" exactly as an
    ETag makes it over HTTP. A recorded HTTP error removes the file: the source meets a missing
    file, which it treats as a 404 (disk cannot tell a 503 from a 404; HTTP replays can)."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._mtime = time.time_ns()

    def url_for(self, recorded_url: str) -> str:
        parts = urlsplit(recorded_url)
        segments = [s for s in unquote(parts.path).split("/") if s]
        if any(s in (".", "..") for s in segments) or not segments:
            raise RecordingError(f"recorded URL {recorded_url[:80]!r} has no usable path")
        url = self.root.joinpath(*segments).as_uri() + ("/" if parts.path.endswith("/") else "")
        return url + (f"?{parts.query}" if parts.query else "")

    def _served_path(self, recorded_url: str) -> Path:
        path = local_path(self.url_for(recorded_url))
        if not path.resolve().is_relative_to(self.root):
            raise RecordingError(f"recorded URL {recorded_url[:80]!r} points outside the replay folder")
        return path

    def _stamp(self, path: Path) -> None:
        """A fresh time for a file this site wrote: two polls within the file system's clock tick
        must still look like two versions."""
        self._mtime = max(self._mtime + 1, time.time_ns())
        os.utime(path, ns=(self._mtime, self._mtime))

    def publish(self, recorded_url: str, replies: Sequence[Reply]) -> None:
        path = self._served_path(recorded_url)
        last = replies[-1]  # a file has no sequence: it holds the poll's final answer
        if last.status >= 400:
            path.unlink(missing_ok=True)
            return
        if path.is_file() and path.read_bytes() == last.body:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(last.body)
        os.replace(partial, path)
        self._stamp(path)

    def place(self, recorded_url: str, source: Path) -> None:
        """A saved file served as it is: hard-linked into the site (a national reply is 27 MB,
        which reading and writing again cost 30-80 ms of a one-second replay), copied by the
        kernel where it cannot be linked (another file system). A link is never written to or
        touched (the replay's own file is replaced, never changed in place, and its time is the
        saved file's own): the feed tells versions apart by the file's inode as well as its time.
        As with :meth:`publish`, a body equal to the one already there is left alone."""
        path = self._served_path(recorded_url)
        try:
            if path.is_file() and (
                os.path.samefile(path, source)
                or (path.stat().st_size == source.stat().st_size and filecmp.cmp(path, source, shallow=False))
            ):
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.unlink(missing_ok=True)
            try:
                os.link(source, partial)
            except OSError:  # another file system, or one without links
                shutil.copyfile(source, partial)
                self._stamp(partial)
            os.replace(partial, path)
        except OSError as exc:
            raise RecordingError(f"cannot read {source}: {exc.strerror or exc}") from None


class Site(Protocol):
    def url_for(self, recorded_url: str) -> str: ...

    def publish(self, recorded_url: str, replies: Sequence[Reply]) -> None: ...


# -- the driver -----------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


__all__ = ["DEFAULT_CHANNEL", "FILE_SPACING", "DiskSite", "ReplayServer", "Reply", "Site", "wait_until"]
