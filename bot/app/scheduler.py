"""APScheduler 3.x wiring: one job per feed, never overlapping, first poll at once.

``max_instances=1`` and ``coalesce=True`` mean a slow feed delays its next poll instead of
stacking them; ``misfire_grace_time`` equal to the interval keeps a briefly busy process from
skipping polls. The delivery worker runs on its own short interval so a rate-limited channel
is retried without waiting for the next feed change.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.app.poller import Poller
from bot.delivery.worker import DeliveryWorker

log = logging.getLogger("electionbot.scheduler")

ON_DEMAND_INTERVAL = 365 * 24 * 3600.0


def build_scheduler(
    pollers: Iterable[Poller],
    worker: DeliveryWorker | None,
    intervals: dict[str, float],
    *,
    blocking: bool = False,
    delivery_interval: float = 1.0,
    polls_on_demand: bool = False,
    gate: Callable[[], bool] | None = None,
) -> BaseScheduler:
    """``polls_on_demand``: the feed jobs are added paused and run only when ``run_job_now``
    asks (a replay publishes a recorded poll, then has the scheduler poll it once).
    ``gate``: asked before every poll (the poller's lease, bot/store/lease.py): only the process
    holding it polls, and every other one tries to take it each interval."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(executors={"default": ThreadPoolExecutor(max_workers=8)}, timezone=UTC)
    now = datetime.now(UTC)
    for poller in pollers:
        interval = intervals[poller.feed]
        scheduler.add_job(
            poller.poll if gate is None else functools.partial(_gated_poll, poller, gate),
            "interval",
            # on demand: a year between runs of its own, so only ``run_job_now`` ever starts one
            seconds=ON_DEMAND_INTERVAL if polls_on_demand else interval,
            id=f"poll:{poller.feed}",
            name=f"poll {poller.feed}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(interval)),
            next_run_time=None if polls_on_demand else now,
            replace_existing=True,
        )
    if worker is not None:
        scheduler.add_job(
            worker.deliver_due,
            "interval",
            seconds=delivery_interval,
            id="deliver",
            name="deliver alerts",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(delivery_interval)),
            next_run_time=now,
            replace_existing=True,
        )
    scheduler.add_listener(_report, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    return scheduler


class JobRunner:
    """Runs a scheduler job now and waits for it to finish: the replay's way of polling through
    the same APScheduler jobs as production, one recorded poll at a time."""

    def __init__(self, scheduler: BaseScheduler) -> None:
        self._scheduler = scheduler
        self._done = threading.Condition()
        self._finished: dict[str, int] = {}
        scheduler.add_listener(
            self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
        )

    def _on_event(self, event: JobExecutionEvent) -> None:
        with self._done:
            self._finished[event.job_id] = self._finished.get(event.job_id, 0) + 1
            self._done.notify_all()

    def run_job_now(self, job_id: str, timeout: float = 60.0) -> bool:
        """False when the job did not finish within ``timeout`` seconds."""
        with self._done:
            before = self._finished.get(job_id, 0)
        self._scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
        with self._done:
            return self._done.wait_for(lambda: self._finished.get(job_id, 0) > before, timeout=timeout)


def _gated_poll(poller: Poller, gate: Callable[[], bool]) -> None:
    """Poll only while this process holds the lease (checked before each poll)."""
    if gate():
        poller.poll()


def _report(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_ERROR:
        log.error("job %s raised %r", event.job_id, event.exception)
    elif event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s (process busy)", event.job_id, event.scheduled_run_time)
    else:
        log.info("job %s still running; this run skipped", event.job_id)
