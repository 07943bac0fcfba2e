"""APScheduler 3.x wiring: one job per feed, never overlapping, first poll at once.

``max_instances=1`` and ``coalesce=True`` mean a slow feed delays its next poll instead of
stacking them; ``misfire_grace_time`` equal to the interval keeps a briefly busy process from
skipping polls. The delivery worker runs on its own short interval so a rate-limited channel
is retried without waiting for the next feed change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.delivery.worker import DeliveryWorker
from bot.poller import Poller

log = logging.getLogger("electionbot.scheduler")


def build_scheduler(
    pollers: Iterable[Poller],
    worker: DeliveryWorker | None,
    intervals: dict[str, float],
    *,
    blocking: bool = False,
    delivery_interval: float = 1.0,
) -> BaseScheduler:
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(executors={"default": ThreadPoolExecutor(max_workers=8)}, timezone=UTC)
    now = datetime.now(UTC)
    for poller in pollers:
        interval = intervals[poller.feed]
        scheduler.add_job(
            poller.poll,
            "interval",
            seconds=interval,
            id=f"poll:{poller.feed}",
            name=f"poll {poller.feed}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(interval)),
            next_run_time=now,
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


def _report(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_ERROR:
        log.error("job %s raised %r", event.job_id, event.exception)
    elif event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s (process busy)", event.job_id, event.scheduled_run_time)
    else:
        log.info("job %s still running; this run skipped", event.job_id)
