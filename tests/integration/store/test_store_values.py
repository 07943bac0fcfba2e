"""What PostgreSQL enforces and SQLite lets pass (issue 16), on the suite's database: VARCHAR
lengths, instants with their offsets, the feed's longest admitted keys and a reply of absurd
ones. On SQLite these pass by construction; with ``--database postgres`` they are the proof."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from bot.app.runtime import Runtime
from bot.app.settings import Secrets, settings_from_dict
from bot.codec import native
from bot.core.events import Alert, Event, EventKind
from bot.core.invariants import MAX_ID, MAX_NAME
from bot.core.model import race_key
from bot.core.targets import Target
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import load_scenario
from bot.store.database import ALERT_KEY_CHARS, RACE_KEY_CHARS, CardRow, OutboxRow, Store, SubscriptionRow
from config.settings import FeedSettings
from tests.databases import db_url

EASTERN = timezone(timedelta(hours=-5))


def night(tmp_path: Path, url: str) -> Runtime:
    settings = settings_from_dict(
        {"feeds": [{"name": "f" * 60, "kind": "json", "url": url, "interval_seconds": 1}], "alerts": {"style": "messages"}}
    )
    return Runtime.build(settings, Secrets(None, None, "http://127.0.0.1:9/"), database_url=db_url(tmp_path / "long.db"))


def reply_with(*extra: dict) -> bytes:
    doc = json.loads(native.dumps(load_scenario()[20]))
    doc["races"] += list(extra)
    return json.dumps(doc).encode()


def renamed(race_id: str, name: str) -> dict:
    race = copy.deepcopy(json.loads(native.dumps(load_scenario()[20]))["races"][0])
    race["id"] = race_id
    race["candidates"][0]["name"] = name
    return race


def test_the_longest_keys_the_model_admits_are_stored_queued_and_carded(tmp_path: Path) -> None:
    """A race id of MAX_ID characters (a key of 123) and names of MAX_NAME, under a feed name
    of the config's 60: polled, queued for a channel name of 80, a card begun, read back."""
    race_id, name = "é" * MAX_ID, "Ñ" * MAX_NAME
    with ReplayServer([reply_with(renamed(race_id, name))]) as server:
        runtime = night(tmp_path, server.url)
        try:
            poller = runtime.pollers[0]
            channel = "c" * 80
            poller.targets = lambda: [Target("console", channel)]
            result = poller.poll()
            assert result.status == "changed" and result.queued >= 2
            key = f"AL-{race_id}"
            stored = runtime.store.load("f" * 60)
            assert stored is not None and stored.snapshot.races[key].candidates[0].name == name
            due = runtime.store.due("console", datetime.now(UTC) + timedelta(minutes=1), limit=1000)
            assert key in {d.alert.race_key for d in due} and {d.channel for d in due} == {channel}
            card = runtime.store.begin_card("f" * 60, key, channel, "slack")
            assert runtime.store.card(key, channel, "slack") == card
        finally:
            runtime.close()


def test_a_reply_with_a_ten_thousand_character_id_and_name_costs_that_race_only(tmp_path: Path) -> None:
    with ReplayServer([reply_with(renamed("9" * 10_000, "N" * 10_000), renamed("1001", "M" * 10_000))]) as server:
        runtime = night(tmp_path, server.url)
        try:
            poller = runtime.pollers[0]
            poller.targets = lambda: [Target("console", "console")]
            result = poller.poll()
            assert result.status == "changed"
            stored = runtime.store.load("f" * 60)
            assert stored is not None and set(stored.snapshot.races) == set(load_scenario()[20].races)
            assert runtime.store.health()[0].consecutive_failures == 0
        finally:
            runtime.close()


def test_instants_come_back_as_the_same_instants(tmp_path: Path) -> None:
    store = Store(db_url(tmp_path / "when.db"))
    try:
        local = datetime(2026, 11, 3, 20, 30, 15, 123456, tzinfo=EASTERN)
        store.record_failure("al", "x" * 10_000, local)  # an error of any length: kept to 500
        (health,) = store.health()
        assert health.last_poll_at == local and health.last_poll_at.utcoffset() is not None
        assert store.record_success("al", True, local + timedelta(seconds=1)) == 1
        (health,) = store.health()
        assert health.last_success_at == datetime(2026, 11, 4, 1, 30, 16, 123456, tzinfo=UTC)
    finally:
        store.close()


def test_the_key_columns_hold_the_longest_keys_the_model_admits() -> None:
    """The widths of revision 0006, held to the invariants they follow (a longer MAX_ID or feed
    name fails here first, not on a PostgreSQL election night)."""
    longest_race = race_key("AL", "9" * MAX_ID)
    (most,) = [m.max_length for m in FeedSettings.model_fields["name"].metadata if hasattr(m, "max_length")]
    longest_feed = "f" * most
    event = Event(EventKind.LEAD_CHANGE, "k", longest_feed, longest_race, {})
    alert = Alert(longest_feed, longest_race, "2026-11-04T01:00:00+00:00", False, (event,), None)
    assert len(longest_race) <= RACE_KEY_CHARS and len(alert.key) <= ALERT_KEY_CHARS
    widths = {(c.table.name, c.name): c.type.length for c in (OutboxRow.race_key, CardRow.race_key, SubscriptionRow.scope)}
    assert set(widths.values()) == {RACE_KEY_CHARS} and OutboxRow.alert_key.type.length == ALERT_KEY_CHARS
