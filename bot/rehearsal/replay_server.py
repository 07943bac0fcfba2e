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

import hashlib
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO
from urllib.parse import unquote, urlsplit

from requests.utils import requote_uri

from bot.app.scheduler import JobRunner
from bot.feeds.http import HttpSettings, local_path
from bot.rehearsal.recording import Recording, RecordingError, Response

if TYPE_CHECKING:
    from bot.app.runtime import Runtime
    from bot.core.events import Alert
    from config.settings import Secrets

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

    def __init__(self, bodies: Sequence[bytes] | None = None, *, path: str = "/feed.json", content_type: str = "application/json", host: str = "127.0.0.1", port: int = 0):
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
        return f"http://{host}:{port}"

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

    def publish(self, recorded_url: str, replies: Sequence[Reply]) -> None:
        path = local_path(self.url_for(recorded_url))
        if not path.resolve().is_relative_to(self.root):
            raise RecordingError(f"recorded URL {recorded_url[:80]!r} points outside the replay folder")
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
        # Two polls within the file system's clock tick must still look like two versions.
        self._mtime = max(self._mtime + 1, time.time_ns())
        os.utime(path, ns=(self._mtime, self._mtime))


class Site(Protocol):
    def url_for(self, recorded_url: str) -> str: ...

    def publish(self, recorded_url: str, replies: Sequence[Reply]) -> None: ...


# -- the driver -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayResult:
    polls: int
    #: what the console was told, in order (the alerts' keys and events are what tests compare).
    alerts: tuple[Alert, ...]
    delivered: int
    pending: int
    seconds: float


def default_channels() -> list[str]:
    return [c.strip() for c in os.environ.get("ELECTIONBOT_CHANNELS", DEFAULT_CHANNEL).split(",") if c.strip()]


def replay(
    recording: Recording,
    *,
    via: str = "http",
    speed: float = 1.0,
    out: TextIO | None = None,
    base: Mapping[str, Any] | None = None,
    secrets: Secrets | None = None,
    database: str | None = None,
    drain_seconds: float = 30.0,
    after: Callable[[Runtime], None] | None = None,
) -> ReplayResult:
    """Play ``recording`` through the real pipeline: alerts go to ``out`` and, when ``secrets``
    hold a Slack token, to Slack. ``base`` is a settings dict (alerts, rules, races, context…)
    whose feeds are replaced by the recording's, pointed at the local site; ``after`` sees the
    runtime once the last alert is delivered (the demo prints its ``/results`` answer there)."""
    from bot.app.runtime import Runtime
    from config.settings import Secrets, settings_from_dict

    if via not in ("http", "disk"):
        raise RecordingError(f"--via must be http or disk, not {via!r}")
    if speed < 0:
        raise RecordingError("--speed must be 0 (as fast as possible) or more")
    out = out or sys.stdout
    secrets = secrets or Secrets.from_env()
    polls = recording.polls()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="electionbot-replay-")))
        sites: dict[str, Site] = {}
        for feed in recording.feeds:
            if via == "http":
                server = ReplayServer.site().start()
                stack.callback(server.stop)
                sites[feed.name] = server
            else:
                sites[feed.name] = DiskSite(tmp / "site" / feed.name)
        settings = settings_from_dict(_settings(recording, sites, base or {}, speed), source="replay")
        http = HttpSettings(connect_timeout=2.0, read_timeout=10.0, retries=0)  # one request = one recorded response
        runtime = Runtime.build(settings, secrets, console=out, database_url=database or f"sqlite:///{tmp / 'replay.db'}", http_settings=http)
        stack.callback(runtime.close)
        scheduler = runtime.scheduler(polls_on_demand=True)
        jobs = JobRunner(scheduler)
        scheduler.start()
        stack.callback(scheduler.shutdown, wait=True)
        started = time.monotonic()
        first = polls[0].offset if polls else 0.0
        for poll in polls:
            if speed > 0:
                time.sleep(max(0.0, started + (poll.offset - first) / speed - time.monotonic()))
            site = sites[poll.feed]
            for url, replies in _by_url(poll.responses):
                site.publish(url, replies)
            if not jobs.run_job_now(f"poll:{poll.feed}"):
                raise RecordingError(f"feed {poll.feed!r}: a replayed poll did not finish within a minute")
        _drain(runtime, drain_seconds)
        if after is not None:
            after(runtime)
        backlog = runtime.store.backlog()
        alerts = tuple(alert for _, alert in runtime.store.sent_alerts("console"))
        return ReplayResult(len(polls), alerts, backlog.get("sent", 0), backlog.get("pending", 0), time.monotonic() - started)


def _settings(recording: Recording, sites: Mapping[str, Site], base: Mapping[str, Any], speed: float) -> dict[str, Any]:
    from bot.feeds.ap import DEFAULT_QUOTA_WAIT_SECONDS, report_urls, with_json_format
    from bot.feeds.errors import redact_url
    from bot.feeds.source import FeedSpec

    configured = {f["name"]: f for f in base.get("feeds", ()) if isinstance(f, Mapping)}
    feeds = []
    for feed in recording.feeds:
        options = dict(configured.get(feed.name, {}).get("options") or feed.options)
        url = feed.url
        if feed.kind == "ap":
            # AP's first request adds format=json to the configured URL: the recorded URLs carry
            # it, so the mirrored one must too (saved files are plain replies: left alone).
            url = with_json_format(url) if not recording.saved_files else url
            wait = float(options.get("quota_wait_seconds", DEFAULT_QUOTA_WAIT_SECONDS))
            options["quota_wait_seconds"] = wait / speed if speed > 0 else 0.0
            # balance-of-power reports are read from the recording too, never from AP itself
            reports = report_urls(FeedSpec(feed.name, feed.kind, feed.url, feed.interval_seconds, options))
            if recording.saved_files:
                options.pop("trendtables", None)
            elif reports:
                options["trendtables"] = [sites[feed.name].url_for(redact_url(u)) for u in reports]
        feeds.append({"name": feed.name, "kind": feed.kind, "url": sites[feed.name].url_for(url), "interval_seconds": feed.interval_seconds, "options": options})
    settings = {k: v for k, v in base.items() if k not in ("feeds", "store")}
    settings["feeds"] = feeds
    alerts = dict(settings.get("alerts") or {})
    alerts.setdefault("channels", default_channels())
    settings["alerts"] = alerts
    return settings


def _by_url(responses: Iterable[Response]) -> list[tuple[str, list[Reply]]]:
    grouped: dict[str, list[Reply]] = {}
    for response in responses:
        grouped.setdefault(response.url, []).append(Reply(response.status, response.body(), response.content_type))
    return list(grouped.items())


def _drain(runtime: Runtime, seconds: float) -> None:
    """Deliver what the last polls queued (Slack paces posts per channel; the console does not)."""
    deadline = time.monotonic() + seconds
    runtime.worker.deliver_due()
    while runtime.store.backlog().get("pending") and time.monotonic() < deadline:
        time.sleep(0.1)
        runtime.worker.deliver_due()


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


__all__ = ["FILE_SPACING", "DiskSite", "ReplayResult", "ReplayServer", "Reply", "default_channels", "replay", "wait_until"]
