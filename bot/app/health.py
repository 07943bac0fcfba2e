"""``GET /healthz``: is the poller alive, how are the feeds, how deep is the outbox.

The web process shares only the database with the worker, so everything here is read from the
store: the feed health rows the poller writes after every poll (one small query), the outbox's
unsent and failed rows counted by platform (one grouped query), and the poller lease's holder
when the store has one (``bot.store.lease.current_holder``; "unknown" otherwise). No snapshot
is read: a national one is 26 MB.

Stale means the poller has stopped, not that a feed is failing: a feed whose last *attempted*
poll is older than :data:`STALE_AFTER_INTERVALS` times its interval (never less than
:data:`MIN_STALE_SECONDS`) is stale, and any stale configured feed makes the answer 503 so a
platform's health check or an uptime monitor pages someone. A feed that is polled but failing
answers 200 with its failures and last error: that is the feed's trouble, and the bot already
says so in the channel. A feed never polled yet is measured from when this process started.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from bot.app.logs import redact
from bot.store.database import FeedHealthRow, OutboxRow, Store, utcnow
from config.settings import ConfigError

if TYPE_CHECKING:
    # imported where /metrics is served: ``poll`` without METRICS_PORT loads no prometheus_client
    from bot.app.metrics import Metrics

log = logging.getLogger("electionbot")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: stale after this many missed intervals: one late poll (a slow national reply, a lease
#: changing hands within one interval) is not an outage, three in a row is.
STALE_AFTER_INTERVALS = 3
#: ...and never sooner than this: a 10 s feed's national poll can itself take 20 s. A desk that
#: polls every few seconds and wants to be paged sooner sets ``HEALTHZ_MIN_STALE_SECONDS``.
MIN_STALE_SECONDS = 60.0
DEFAULT_INTERVAL = 30.0
OUTBOX_STATUSES = ("pending", "sending", "failed")


def stale_after(interval_seconds: float, floor_seconds: float = MIN_STALE_SECONDS) -> timedelta:
    return timedelta(seconds=max(STALE_AFTER_INTERVALS * interval_seconds, floor_seconds))


def min_stale_seconds(env: Mapping[str, str] | None = None) -> float:
    """``HEALTHZ_MIN_STALE_SECONDS`` (a number of seconds, 1 or more), else :data:`MIN_STALE_SECONDS`."""
    value = (os.environ if env is None else env).get("HEALTHZ_MIN_STALE_SECONDS")
    if not value:
        return MIN_STALE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds >= 1:
        raise ConfigError(f"HEALTHZ_MIN_STALE_SECONDS={value!r}: a number of seconds, 1 or more")
    return seconds


@dataclass
class Health:
    """The health report's reader; ``intervals`` are the configured feeds' poll intervals."""

    store: Store
    intervals: Mapping[str, float]
    clock: Callable[[], datetime] = utcnow
    started_at: datetime = field(default_factory=utcnow)
    min_stale_seconds: float = MIN_STALE_SECONDS

    def report(self) -> dict[str, Any]:
        now = self.clock()
        feeds: list[dict[str, Any]] = []
        stale_feeds: list[str] = []
        with self.store.session() as s:
            # columns, not ORM objects: a health check every few seconds should cost next to nothing
            rows = {
                row.feed: row
                for row in s.execute(
                    select(
                        FeedHealthRow.feed,
                        FeedHealthRow.last_poll_at,
                        FeedHealthRow.last_success_at,
                        FeedHealthRow.consecutive_failures,
                        FeedHealthRow.last_error,
                    )
                )
            }
            counts = s.execute(
                select(OutboxRow.platform, OutboxRow.status, func.count())
                .where(OutboxRow.status.in_(OUTBOX_STATUSES))
                .group_by(OutboxRow.platform, OutboxRow.status)
            ).all()
        for name in sorted(set(self.intervals) | set(rows)):
            row = rows.get(name)
            last_poll = _aware(row.last_poll_at) if row is not None else None
            configured = name in self.intervals
            since = last_poll or self.started_at
            stale = configured and now - since > stale_after(self.intervals[name], self.min_stale_seconds)
            if stale:
                stale_feeds.append(name)
            feeds.append(
                {
                    "feed": name,
                    "configured": configured,
                    "interval_seconds": self.intervals.get(name),
                    "last_poll_at": _iso(last_poll),
                    "last_success_at": _iso(_aware(row.last_success_at) if row is not None else None),
                    "consecutive_failures": (row.consecutive_failures or 0) if row is not None else 0,
                    "last_error": redact(row.last_error) if row is not None and row.last_error else None,
                    "stale": stale,
                }
            )
        outbox: dict[str, dict[str, int]] = {}
        for platform, status, n in counts:
            outbox.setdefault(platform, dict.fromkeys(OUTBOX_STATUSES, 0))[status] = n
        return {
            "status": "stale" if stale_feeds else "ok",
            "stale_feeds": stale_feeds,
            "checked_at": _iso(now),
            "feeds": feeds,
            "outbox": outbox,
            "poller": self._lease(),
        }

    def _lease(self) -> dict[str, Any]:
        """The poller lease's holder (``bot.store.lease.current_holder``: host and pid, since when,
        last renewed); "unknown" when the store has no lease or it cannot be read, None when nobody
        holds it. A holder that stopped renewing shows here before its feeds turn stale."""
        try:
            from bot.store.lease import current_holder
        except ImportError:  # a tree without the lease (issue 16's lease step)
            return {"holder": "unknown", "since": None, "renewed": None}
        try:
            holder = current_holder(self.store)
        except Exception as exc:  # a health check must answer even when the lease cannot be read
            return {
                "holder": "unknown",
                "since": None,
                "renewed": None,
                "error": redact(f"{type(exc).__name__}: {exc}")[:200],
            }
        if holder is None:
            return {"holder": None, "since": None, "renewed": None}
        return {
            "holder": f"{holder.host}:{holder.pid}",
            "since": _iso(holder.since),
            "renewed": _iso(holder.renewed_at),
            "verified": holder.verified,
        }

    def wsgi(self) -> WSGIApp:
        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            report = self.report()
            body = json.dumps(report, indent=1).encode()
            status = "503 Service Unavailable" if report["status"] == "stale" else "200 OK"
            start_response(
                status,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
            )
            return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

        return application


def operational_routes(
    store: Store, intervals: Mapping[str, float], metrics: Metrics, *, clock: Callable[[], datetime] = utcnow
) -> dict[str, WSGIApp]:
    """``/healthz`` and ``/metrics`` for ``bot.app.slack_app.wsgi_app(routes=...)``: the Procfile's
    web process (bot/wsgi.py), ``serve`` (bot/app/web_server.py) and ``socket`` mount these."""
    health = Health(store, intervals, clock, clock(), min_stale_seconds())
    return {"/healthz": health.wsgi(), "/metrics": metrics.wsgi()}


def serve_operations_from_env(
    store: Store, intervals: Mapping[str, float], metrics: Metrics | None, env: Mapping[str, str] | None = None
) -> Callable[[], None] | None:
    """``/healthz`` and ``/metrics`` on ``METRICS_HOST`` (default 127.0.0.1) : ``METRICS_PORT``
    when that is set, for the processes without a web server (``poll``, ``socket``): a worker's
    own counters, where the platform lets a scraper reach it. Returns the shutdown. wsgiref in a
    thread: two small endpoints scraped every few seconds do not need gunicorn. Without the port,
    neither wsgiref (http.server) nor Prometheus's client is loaded."""
    env = os.environ if env is None else env
    port = env.get("METRICS_PORT")
    if not port:
        return None
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    host = env.get("METRICS_HOST") or "127.0.0.1"
    if metrics is None:
        from bot.app.metrics import Metrics

        metrics = Metrics(store)
    routes = operational_routes(store, intervals, metrics)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = routes.get(environ.get("PATH_INFO") or "/")
        if route is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        return route(environ, start_response)

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """No access log: a scrape every 15 s would bury the bot's own lines."""

    try:
        server = make_server(host, int(port), application, handler_class=Quiet)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"METRICS_PORT={port!r}: cannot serve /healthz and /metrics there ({exc})") from None
    threading.Thread(target=server.serve_forever, name="operations", daemon=True).start()
    log.warning("/healthz and /metrics on http://%s:%d", host, server.server_address[1])

    def shutdown() -> None:
        server.shutdown()
        server.server_close()

    return shutdown


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
