"""Feed health alerts with a mocked clock: a feed that stops changing mid-count is called stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.runtime import Runtime
from bot.app.settings import Secrets, settings_from_dict
from bot.codec import native
from bot.core.events import EventKind
from bot.core.targets import Target
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import load_scenario
from tests.databases import db_url


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2017, 12, 13, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def runtime_for(url: str, tmp_path: Path, clock: Clock) -> Runtime:
    settings = settings_from_dict(
        {"feeds": [{"name": "al-2017", "kind": "json", "url": url, "interval_seconds": 1}], "alerts": {"style": "messages"}}
    )
    return Runtime.build(
        settings, Secrets(None, None, "http://127.0.0.1:9/"), database_url=db_url(tmp_path / "db.sqlite"), clock=clock
    )


def stale_alerts(runtime: Runtime) -> list:
    from bot.store.database import OutboxRow

    with runtime.store.session() as s:
        return [r for r in s.query(OutboxRow).all() if "feed_stale" in r.payload]


def test_feed_unchanged_for_twenty_minutes_mid_count_is_stale_once(tmp_path: Path) -> None:
    midnight = native.dumps(load_scenario()[20])  # about 60 % of precincts in: counting is active
    clock = Clock()
    with ReplayServer([midnight]) as server:
        runtime = runtime_for(server.url, tmp_path, clock)
        poller = runtime.pollers[0]
        poller.targets = lambda: [Target("console", "console")]
        assert poller.poll().status == "changed"
        clock.now += timedelta(minutes=19)
        assert poller.poll().status == "unchanged"
        assert stale_alerts(runtime) == []
        clock.now += timedelta(minutes=2)
        result = poller.poll()
        assert result.status == "unchanged" and result.queued == 1
        clock.now += timedelta(minutes=5)
        assert poller.poll().queued == 0, "the same stale period is announced once"
        rows = stale_alerts(runtime)
        assert len(rows) == 1 and '"minutes": 21' in rows[0].payload
        runtime.close()


def test_a_finished_race_is_never_stale(tmp_path: Path) -> None:
    final = native.dumps(load_scenario()[-1])
    clock = Clock()
    with ReplayServer([final]) as server:
        runtime = runtime_for(server.url, tmp_path, clock)
        poller = runtime.pollers[0]
        poller.poll()
        clock.now += timedelta(hours=2)
        assert poller.poll().queued == 0
        assert EventKind.FEED_STALE.value not in str(stale_alerts(runtime))
        runtime.close()
