"""A bot process for the crash test: replays Alabama into FakeSlack (in the test process).

    python -m tests.integration.delivery.crash_driver DB_URL SLACK_BASE_URL [KILL_AFTER_POSTS]

With KILL_AFTER_POSTS the process SIGKILLs itself right after that many successful posts and
before marking the last one sent: the exact window reconciliation must cover. Without it, the
test process kills it at random moments. Exits 0 after the night is replayed and delivered.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from tests.integration.delivery.harness import build, unsent

CHANNELS = {"C1": "messages", "C2": "cards"}


def run(db_url: str, base_url: str, kill_after: int | None = None) -> dict[str, int]:
    poller, worker, store = build(db_url, base_url, CHANNELS, min_interval=0.01, backoff_base=0.05, card_throttle=0.0)
    posted = 0

    def maybe_die(_row: object) -> None:
        nonlocal posted
        posted += 1
        if kill_after is not None and posted >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    worker.on_posted = maybe_die
    worker.deliver_due()  # first: whatever a killed predecessor left (reconciled before re-posting)
    while True:
        result = poller.poll()
        worker.deliver_due()
        if result.status == "unchanged":
            break
    deadline = time.monotonic() + 20
    while unsent(store) and time.monotonic() < deadline:
        worker.deliver_due()
        time.sleep(0.01)
    worker.deliver_due()
    stats = dict(worker.stats)
    store.close()
    return stats


if __name__ == "__main__":
    kill = int(sys.argv[3]) if len(sys.argv) > 3 else None
    stats = run(sys.argv[1], sys.argv[2], kill)
    print("DONE", stats, flush=True)
