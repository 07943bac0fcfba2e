"""The APScheduler wiring: one job per feed polled at once, and on-demand jobs for replays."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bot.app.scheduler import JobRunner, build_scheduler


@dataclass
class CountingPoller:
    """Stands in for ``Poller`` (the scheduler only needs ``feed`` and ``poll``)."""

    feed: str
    calls: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def poll(self) -> None:
        with self.lock:
            self.calls.append(time.monotonic())
        time.sleep(0.02)  # a poll takes time: the runner must wait for the end, not the start


def test_interval_jobs_poll_at_once_and_keep_polling() -> None:
    poller = CountingPoller("a")
    scheduler = build_scheduler([poller], None, {"a": 0.1})
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while len(poller.calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.shutdown(wait=True)
    assert len(poller.calls) >= 3


def test_on_demand_jobs_run_only_when_asked_once_each_and_are_waited_for() -> None:
    a, b = CountingPoller("a"), CountingPoller("b")
    scheduler = build_scheduler([a, b], None, {"a": 0.01, "b": 0.01}, polls_on_demand=True)
    runner = JobRunner(scheduler)
    scheduler.start()
    try:
        time.sleep(0.2)
        assert a.calls == [] and b.calls == [], "paused until asked, whatever the configured interval"
        for n in range(1, 6):
            assert runner.run_job_now("poll:a")
            assert len(a.calls) == n and time.monotonic() - a.calls[-1] >= 0.02
        time.sleep(0.1)
        assert len(a.calls) == 5 and b.calls == [], "no run of its own after an on-demand one"
    finally:
        scheduler.shutdown(wait=True)
