"""Subscriptions are scoped to a state's races: a channel subscribed to Alabama hears Alabama from
a national feed, not Texas; its level applies per state; a configured channel is one target.

Real pipeline: a loopback HTTP feed (ReplayServer), the poller, the store's outbox. Delivery is
not started: the outbox rows say which channel was meant to hear what.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from bot.app.runtime import Runtime
from bot.app.settings import Secrets, settings_from_dict
from bot.codec import native
from bot.core.events import Severity
from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot
from bot.core.targets import Target
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import load_scenario
from bot.store import subscriptions
from bot.store.database import OutboxRow
from tests.databases import db_url


def with_texas(snapshot: Snapshot, tx_votes: tuple[int, int]) -> Snapshot:
    """The Alabama snapshot plus a made-up Texas race, so one feed reports two states."""
    a, b = tx_votes
    texas = Race(
        state="TX",
        race_id="4400",
        office="U.S. House",
        office_id="H",
        seat="District 7",
        candidates=(Candidate("fletcher", "Lizzie Fletcher", "Dem"), Candidate("culberson", "John Culberson", "GOP")),
        units=(
            ReportingUnit(
                "TX", Level.STATE, "Texas", {"fletcher": a, "culberson": b}, precincts_reporting=10, precincts_total=100
            ),
        ),
    )
    return replace(snapshot, races={**snapshot.races, texas.key: texas})


def outbox(runtime: Runtime) -> list[tuple[str, str, list[str]]]:
    with runtime.store.session() as s:
        rows = s.query(OutboxRow).order_by(OutboxRow.id).all()
        return [(r.channel, r.race_key or "-", [e["kind"] for e in json.loads(r.payload)["events"]]) for r in rows]


def test_a_state_subscription_hears_only_that_state_at_its_level(tmp_path: Path) -> None:
    night = load_scenario()
    # snapshot 2: Alabama's first votes (milestone level) and Texas taking a lead (lead level)
    bodies = [native.dumps(with_texas(night[1], (0, 0))), native.dumps(with_texas(night[2], (5_000, 4_000)))]
    with ReplayServer(bodies) as server:
        settings = settings_from_dict(
            {
                "feeds": [{"name": "national", "kind": "json", "url": server.url}],
                "alerts": {"channels": ["#elections"], "style": "messages"},
            }
        )
        runtime = Runtime.build(
            settings, Secrets("xoxb-test", None, "http://127.0.0.1:9/"), database_url=db_url(tmp_path / "db.sqlite")
        )
        runtime.pollers[0].on_queued = None  # no delivery: the outbox is what this test reads
        subscriptions.subscribe(runtime.store, "CALABAMA", "AL", "all")
        subscriptions.subscribe(runtime.store, "CTEXAS", "TX", "quiet")
        subscriptions.subscribe(runtime.store, "#elections", "TX", "quiet")
        poller = runtime.pollers[0]
        assert poller.poll().status == "changed"
        server.advance()
        assert poller.poll().status == "changed"
        rows = outbox(runtime)
        runtime.close()
    by_channel: dict[str, list[tuple[str, list[str]]]] = {}
    for channel, race, kinds in rows:
        by_channel.setdefault(channel, []).append((race, kinds))
    assert {race for race, _ in by_channel["CALABAMA"]} == {"AL-1000"}
    assert {race for race, _ in by_channel["CTEXAS"]} == {"TX-4400"}
    assert all(kinds == ["takes_lead"] for _, kinds in by_channel["CTEXAS"]), "quiet: leads and calls only"
    # the configured channel hears both states, each alert once, at its configured level
    elections = by_channel["#elections"]
    assert {race for race, _ in elections} == {"AL-1000", "TX-4400"}
    assert len(elections) == len({(race, tuple(kinds)) for race, kinds in elections})
    assert any("first_votes" in kinds for race, kinds in elections if race == "TX-4400")


def test_targets_merge_configured_and_subscribed_levels(tmp_path: Path) -> None:
    from bot.store.database import Store

    store = Store(db_url(tmp_path / "db.sqlite"))
    store.commit_poll(with_texas(load_scenario()[-1], (1, 2)), {}, {}, [])
    configured = (Target("slack", "#desk", Severity.LEAD), Target("console", "console", Severity.FEED))
    subscriptions.subscribe(store, "#desk", "AL", "all")
    subscriptions.subscribe(store, "C9", "GA", "all")  # Georgia: not in this feed
    targets = subscriptions.subscribed_targets(store, configured, "al-2017", platform="slack")()
    desk = next(t for t in targets if t.channel == "#desk")
    assert desk.level_for("AL") == Severity.FEED and desk.level_for("TX") == Severity.LEAD
    assert desk.level_for(None) == Severity.FEED, "feed notices reach a channel at its most inclusive level"
    assert [t.channel for t in targets] == ["#desk", "console"], "no target for a state the feed does not report"
    only_al = Target("slack", "C1", None, (("AL", Severity.LEAD),))
    assert only_al.level_for("TX") is None and only_al.level_for("AL") == Severity.LEAD
    store.close()
