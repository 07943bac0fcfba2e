"""A night queued while Slack is down, then Slack back and slow: the backlog that the e2e tests
of a stop (SIGTERM, a killed poller) need, so there is always a post in flight to cut short."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import DEFAULT_FEED
from bot.store.database import Store
from tests.fakes.slack_api import FakeSlack, wait_for


def queue_night_behind_an_outage(
    store: Store, slack: FakeSlack, feed: ReplayServer, files: Sequence[Path], generated: Sequence[datetime]
) -> None:
    """Every poll of the night stored while posts fail fast (and wait to be retried), then Slack
    comes back: returns once two posts went out, the rest still queued behind them."""

    def stored() -> datetime | None:
        loaded = store.load(DEFAULT_FEED)
        return loaded.snapshot.generated_at if loaded else None

    slack.outage(3600)
    wait_for(lambda: stored() == generated[0], timeout=120, message="the first poll")
    while feed.index < len(files) - 1:
        feed.advance()
        wait_for(lambda: stored() == generated[feed.index], timeout=60, message=f"poll {feed.index}")
    slack.end_outage()
    wait_for(lambda: len(slack.posts()) >= 2, timeout=60, message="no posts")
