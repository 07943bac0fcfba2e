"""Rehearsing a night with the real runtime: ``record`` polls the configured feeds and archives every
response; ``replay`` plays a recording (or saved files) back through the same scheduler jobs,
poller, rules, store and delivery as production. The recording format, the local sites and the
bundled scenarios are ``bot.rehearsal``; this module composes them with the runtime, so it sits
in the app layer (``bot.rehearsal`` never imports the runtime).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.app.poller import Poller
from bot.app.runtime import Runtime
from bot.app.scheduler import JobRunner
from bot.app.settings import feed_spec, settings_from_dict
from bot.codec.errors import redact_url
from bot.core.events import Alert
from bot.feeds.ap import DEFAULT_QUOTA_WAIT_SECONDS, report_urls, with_json_format
from bot.feeds.http import HttpSettings
from bot.feeds.source import FeedSpec
from bot.rehearsal.recording import Recording, RecordingError, RecordingWriter, Response
from bot.rehearsal.replay_server import DEFAULT_CHANNEL, DiskSite, ReplayServer, Reply, Site
from config.settings import Secrets, Settings


@dataclass(frozen=True, slots=True)
class RecordSummary:
    responses: int
    bytes: int
    polls: Mapping[str, int]
    seconds: float
    failed: str | None = None


def record(
    settings: Settings,
    out: str | Path,
    *,
    feeds: Sequence[str] = (),
    duration: float | None = None,
    polls: int | None = None,
    stop: threading.Event | None = None,
    progress: TextIO | None = None,
) -> RecordSummary:
    """Poll the configured feeds exactly as ``python -m bot poll`` does (same sources, HTTP and
    scheduler) and archive every response, until ``duration`` seconds have passed, every feed has
    made ``polls`` polls, or ``stop`` is set. Nothing is delivered: no console or Slack target
    exists, and the store is a throwaway database (AP's deltas still merge into it)."""
    chosen = [f for f in settings.feeds if not feeds or f.name in feeds]
    unknown = sorted(set(feeds) - {f.name for f in settings.feeds})
    if unknown:
        raise RecordingError(
            f"no feed named {', '.join(unknown)} in the config (feeds: {', '.join(f.name for f in settings.feeds)})"
        )
    settings = settings.model_copy(update={"feeds": chosen})
    stop = stop or threading.Event()
    writer = RecordingWriter(out, [feed_spec(f) for f in chosen], on_failure=stop.set)
    done: dict[str, int] = {f.name: 0 for f in chosen}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="electionbot-record-") as tmp:
        runtime = Runtime.build(
            settings,
            Secrets.from_env({}),
            console=None,
            recorder=writer,
            database_url=f"sqlite:///{Path(tmp) / 'record.db'}",
            metrics=False,  # nothing serves /metrics here
        )
        scheduler = runtime.scheduler(deliver=False)
        for job in scheduler.get_jobs():
            poller = next((p for p in runtime.pollers if job.func == p.poll or p in getattr(job.func, "args", ())), None)
            if poller is None:
                continue

            def recorded_poll(poller: Poller = poller, job_id: str = job.id) -> None:
                """The scheduled poll, bracketed so the archive knows where each poll begins."""
                writer.begin_poll(poller.feed)
                try:
                    poller.poll()
                finally:
                    done[poller.feed] += 1
                    if progress is not None:
                        progress.write(
                            f"{poller.feed}: poll {done[poller.feed]} done; {writer.responses} responses recorded\n"
                        )
                        progress.flush()
                    if polls is not None and done[poller.feed] >= polls:
                        scheduler.pause_job(job_id)
                        if all(n >= polls for n in done.values()):
                            stop.set()

            scheduler.modify_job(job.id, func=recorded_poll)
        scheduler.start()
        try:
            stop.wait(duration)
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.shutdown(wait=True)
            runtime.close()
            writer.close()
    return RecordSummary(writer.responses, writer.bytes, dict(done), time.monotonic() - started, writer.failed)


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
    keep_until_exit: list[object] | None = None,
) -> ReplayResult:
    """Play ``recording`` through the real pipeline: alerts go to ``out`` and, when ``secrets``
    hold a Slack token, to Slack. ``base`` is a settings dict (alerts, rules, races, context…)
    whose feeds are replaced by the recording's, pointed at the local site; ``after`` sees the
    runtime once the last alert is delivered (the demo prints its ``/results`` answer there).

    ``keep_until_exit``: the process ends after this call (``python -m bot replay``). The runtime
    goes into the list instead of being closed, and a temporary database is deleted as it is
    (``Sessions.abandon``); one given as ``database`` is closed as always. The result's
    ``alerts`` is then empty (its counts are not)."""
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
        runtime = Runtime.build(
            settings,
            secrets,
            console=out,
            database_url=database or f"sqlite:///{tmp / 'replay.db'}",
            http_settings=http,
            metrics=False,  # nothing serves /metrics here
        )
        if keep_until_exit is not None and database is None:
            keep_until_exit.append(runtime)
            stack.callback(runtime.store.abandon)
        else:
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
            for url, responses in _by_url(poll.responses):
                last = responses[-1]
                if isinstance(site, DiskSite) and last.path is not None and last.sha256 is None:
                    site.place(url, last.path)  # a saved file (no manifest to check it against), as it is
                else:
                    site.publish(url, [Reply(r.status, r.body(), r.content_type) for r in responses])
            if not jobs.run_job_now(f"poll:{poll.feed}"):
                raise RecordingError(f"feed {poll.feed!r}: a replayed poll did not finish within a minute")
        _drain(runtime, drain_seconds)
        if after is not None:
            after(runtime)
        backlog = runtime.store.backlog()
        # read back only for a caller that goes on (tests, the demo): decoding a national night's
        # digests again was 10 ms of a process that ends next
        alerts = () if keep_until_exit is not None else tuple(alert for _, alert in runtime.store.sent_alerts("console"))
        return ReplayResult(
            len(polls), alerts, backlog.get("sent", 0), backlog.get("pending", 0), time.monotonic() - started
        )


def _settings(recording: Recording, sites: Mapping[str, Site], base: Mapping[str, Any], speed: float) -> dict[str, Any]:
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
        feeds.append(
            {
                "name": feed.name,
                "kind": feed.kind,
                "url": sites[feed.name].url_for(url),
                "interval_seconds": feed.interval_seconds,
                "options": options,
            }
        )
    settings = {k: v for k, v in base.items() if k not in ("feeds", "store")}
    settings["feeds"] = feeds
    alerts = dict(settings.get("alerts") or {})
    alerts.setdefault("channels", default_channels())
    settings["alerts"] = alerts
    return settings


def _by_url(responses: Iterable[Response]) -> list[tuple[str, list[Response]]]:
    grouped: dict[str, list[Response]] = {}
    for response in responses:
        grouped.setdefault(response.url, []).append(response)
    return list(grouped.items())


def _drain(runtime: Runtime, seconds: float) -> None:
    """Deliver what the last polls queued (Slack paces posts per channel; the console does not)."""
    deadline = time.monotonic() + seconds
    runtime.worker.deliver_due()
    while runtime.store.backlog().get("pending") and time.monotonic() < deadline:
        time.sleep(0.1)
        runtime.worker.deliver_due()
