"""Election night end to end: a loopback feed → the real scheduler and poller → a local Slack.

These tests drive the product exactly as it runs in production (Runtime.build, APScheduler,
requests, SQLAlchemy, slack_sdk, Bolt's WSGI handler with signature verification); only the
far ends are local: the results site is a ReplayServer and Slack is tests.fakes.FakeSlack.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest

from bot.app.runtime import Runtime
from bot.app.settings import Secrets, settings_from_dict
from bot.codec import native
from bot.core.events import Alert, EventKind
from bot.feeds.http import HttpSettings
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import load_scenario, scenario_files
from tests.databases import db_url as store_url
from tests.fakes.slack_api import FakeSlack, wait_for
from tests.fakes.slack_signing import post_signed, slash_body
from tests.fakes.wsgi_server import serve_wsgi

pytestmark = pytest.mark.e2e

CHANNEL = "C0ELECTION"
SECRET = "test-signing-secret"
FEED = "al-2017"

#: The story of the night, in order, as the channel must hear it.
STORY = [
    EventKind.FIRST_VOTES,
    EventKind.TAKES_LEAD,
    EventKind.RECOUNT_ENTERED,
    EventKind.LEAD_CHANGE,
    EventKind.RECOUNT_LEFT,
    EventKind.RACE_CALLED,
    EventKind.ALL_REPORTING,
]


def build_runtime(db_url: str, feed_url: str, slack: FakeSlack, interval: float = 0.05) -> Runtime:
    settings = settings_from_dict(
        {
            "feeds": [{"name": FEED, "kind": "json", "url": feed_url, "interval_seconds": interval}],
            "alerts": {
                "channels": [CHANNEL],
                "level": "all",
                "style": "messages",
            },  # one post per alert; cards: tests/integration/delivery
        }
    )
    secrets = Secrets("xoxb-test", SECRET, slack.base_url)
    return Runtime.build(
        settings,
        secrets,
        database_url=db_url,
        min_interval=0.02,  # Slack allows ~1/s per channel; the fake checks 20/s so the test stays fast
        http_settings=HttpSettings(connect_timeout=1, read_timeout=2, retries=0),
    )


def play(runtime: Runtime, server: ReplayServer, upto: int, generated: list) -> None:
    """Advance the feed one snapshot at a time and wait until the poller has stored each one."""
    while server.index < upto:
        server.advance()
        wait_for(lambda target=generated[server.index]: _stored_at(runtime) == target, timeout=15)
    wait_for(lambda: not runtime.store.backlog().get("pending"), timeout=15)


def _stored_at(runtime: Runtime):  # noqa: ANN202
    stored = runtime.store.load(FEED)
    return stored.snapshot.generated_at if stored else None


def story_of(alerts: list[Alert]) -> list[EventKind]:
    """The story events in message order (events sharing one message count in STORY's order:
    the first votes and Moore's lead arrive in the same poll, hence the same message)."""
    found = [(i, STORY.index(e.kind), e.kind) for i, a in enumerate(alerts) for e in a.events if e.kind in STORY]
    return [kind for _, _, kind in sorted(found)]


@pytest.fixture()
def scenario() -> tuple[list[Path], list]:
    files = scenario_files()
    return files, [s.generated_at for s in load_scenario()]


def run_night(tmp_path: Path, scenario, slack: FakeSlack, stop_at: int | None = None) -> Runtime:
    files, generated = scenario
    db_url = store_url(tmp_path / "bot.db")
    with ReplayServer.from_files(files) as server:
        runtime = build_runtime(db_url, server.url, slack)
        scheduler = runtime.scheduler()
        scheduler.start()
        try:
            wait_for(lambda: runtime.store.load(FEED) is not None, timeout=10)
            play(runtime, server, stop_at if stop_at is not None else len(files) - 1, generated)
        finally:
            scheduler.shutdown(wait=True)
        if stop_at is None:
            return runtime
        # Restart: a new process on the same store, the feed carrying on where it was.
        runtime.close()
        runtime = build_runtime(db_url, server.url, slack)
        scheduler = runtime.scheduler()
        scheduler.start()
        try:
            play(runtime, server, len(files) - 1, generated)
        finally:
            scheduler.shutdown(wait=True)
        return runtime


def delivered_keys(slack: FakeSlack) -> list[str]:
    return [p["metadata"]["event_payload"]["alert_key"] for p in slack.posts(CHANNEL)]


def test_alabama_night_tells_the_story_in_order_and_once(tmp_path: Path, scenario) -> None:
    with FakeSlack() as slack:
        runtime = run_night(tmp_path, scenario, slack)
        sent = [a for _, a in runtime.store.sent_alerts("slack") if isinstance(a, Alert)]  # not the call's pictures
        assert story_of(sent) == STORY
        keys = delivered_keys(slack)
        assert len(keys) == len(set(keys)) == len(sent), "an alert was posted twice or lost"
        assert [a.key for a in sent] == keys
        # Every alert states the numbers: leader, lead in votes and points, precincts.
        for post in slack.posts(CHANNEL):
            assert re.search(r"leads by [\d,]+ votes \(\d+\.\d\d points\)|No votes counted yet", post["text"])
            assert "precincts (" in post["text"]
            assert post["unfurl_links"] in (False, "false", "0", 0)
        called = next(a for a in sent if any(e.kind is EventKind.RACE_CALLED for e in a.events))
        assert called.facts is not None and called.facts.leader_id == "jones"
        final = slack.posts(CHANNEL)[-1]["text"]
        assert "Jones 671,151 (49.92 %)" in final and "Moore 650,436 (48.38 %)" in final
        assert "Jones leads by 20,715 votes (1.54 points)" in final
        runtime.close()


def test_restart_halfway_delivers_the_whole_story_exactly_once(tmp_path: Path, scenario) -> None:
    files, _ = scenario
    with FakeSlack() as slack:
        runtime = run_night(tmp_path, scenario, slack, stop_at=len(files) // 2)
        sent = [a for _, a in runtime.store.sent_alerts("slack") if isinstance(a, Alert)]  # not the call's pictures
        keys = delivered_keys(slack)
        assert story_of(sent) == STORY
        assert len(keys) == len(set(keys)) == len(sent)
        runtime.close()
    (tmp_path / "again").mkdir()
    with FakeSlack() as slack:
        uninterrupted = run_night(tmp_path / "again", scenario, slack)
        assert sorted(delivered_keys(slack)) == sorted(keys), "a restart changed what the channel was told"
        uninterrupted.close()


def test_results_command_answers_with_the_numbers_the_last_alert_printed(tmp_path: Path, scenario) -> None:
    from bot.app.slack_app import create_bolt_app, wsgi_app
    from handlers import Services

    with FakeSlack() as slack:
        runtime = run_night(tmp_path, scenario, slack)
        last_alert = slack.posts(CHANNEL)[-1]["text"]
        app = create_bolt_app(Services(runtime.store, runtime.rules), Secrets("xoxb-test", SECRET, slack.base_url))
        with serve_wsgi(wsgi_app(app)) as (base, _):
            url = base + "/slack/events"
            for text in ("alabama", "AL", "Alabama", "  aLaBaMa "):
                resp = post_signed(url, slash_body(text), SECRET)
                assert resp.status_code == 200, resp.text
                body = resp.json()
                assert body["response_type"] == "ephemeral"
                answer = body["text"]
                for figure in ("49.92 %", "48.38 %", "20,715", "Called for Doug Jones", "CST"):
                    assert figure in answer, (figure, answer)
                # The same words as the last alert for the standings and the lead.
                for line in answer.splitlines()[1:3]:
                    assert line in last_alert
            assert post_signed(url, slash_body("alabama"), "wrong-secret").status_code == 401
            assert post_signed(url, slash_body("alabama"), SECRET, timestamp=int(time.time()) - 400).status_code == 401
            junk = post_signed(url, slash_body("<!channel> ;DROP TABLE races"), SECRET).json()
            assert "Tracked states: Alabama (AL)" in junk["text"]
            assert "<!channel>" not in junk["text"]
            assert post_signed(base + "/healthz", "", SECRET).status_code in (200, 405)
        runtime.close()


# --- bad input ------------------------------------------------------------------------------


def test_broken_feed_keeps_the_last_good_snapshot_and_logs_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.fakes.feed_server import FeedServer, Reply

    snapshots = load_scenario()
    good = native.dumps(snapshots[10])
    truncated = good[: len(good) // 2]
    with FakeSlack() as slack, FeedServer() as feed:
        feed.route(
            "/feed.json",
            Reply(200, good, {"Content-Type": "application/json"}),
            Reply(500, b"<html>oops</html>"),
            Reply(200, b"", hang=3.0),
            Reply(200, truncated, {"Content-Type": "application/json"}),
        )
        runtime = build_runtime(store_url(tmp_path / "bot.db"), feed.url("/feed.json"), slack)
        poller = runtime.pollers[0]
        assert poller.poll().status == "changed"
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="electionbot.poller"):
            results = [poller.poll() for _ in range(3)]
        assert [r.status for r in results] == ["failed", "failed", "failed"]
        assert "HTTP 500" in results[0].error
        assert "timed out" in results[1].error
        assert "not valid JSON" in results[2].error
        failures = [r for r in caplog.records if r.name == "electionbot.poller"]
        assert len(failures) == 3 and all("last good snapshot kept" in r.getMessage() for r in failures)
        assert "al-2017" in failures[0].getMessage() and "/feed.json" in failures[0].getMessage()
        stored = runtime.store.load(FEED)
        assert stored is not None and stored.snapshot == snapshots[10]
        health = runtime.store.health()[0]
        assert health.consecutive_failures == 3 and "not valid JSON" in (health.last_error or "")
        runtime.close()


def test_feed_failing_and_recovery_are_announced(tmp_path: Path) -> None:
    from tests.fakes.feed_server import FeedServer, Reply

    good = native.dumps(load_scenario()[5])
    with FakeSlack() as slack, FeedServer() as feed:
        feed.route(
            "/feed.json",
            Reply(503, b"busy"),
            Reply(503, b"busy"),
            Reply(503, b"busy"),
            Reply(200, good, {"Content-Type": "application/json"}),
        )
        runtime = build_runtime(store_url(tmp_path / "bot.db"), feed.url("/feed.json"), slack)
        poller = runtime.pollers[0]
        statuses = [poller.poll().status for _ in range(4)]
        assert statuses == ["failed", "failed", "failed", "changed"]
        runtime.worker.deliver_due()
        texts = [p["text"] for p in slack.posts(CHANNEL)]
        assert any("is failing (3 errors in a row)" in t for t in texts)
        assert any("recovered after 3 failed polls" in t for t in texts)
        runtime.close()
