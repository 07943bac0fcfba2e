"""Fixtures for /results tests: the Alabama 2017 night in a temp SQLite store, served by Bolt's
WSGI handler on loopback, asked with signed requests exactly as Slack sends them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.app.settings import Secrets, load_recount_rules
from bot.app.slack_app import create_bolt_app, wsgi_app
from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot
from bot.core.rules import RuleSettings
from bot.rehearsal.scenarios import load_scenario
from bot.store.database import Store
from handlers import Services
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import post_signed, signed_headers, slash_body
from tests.fakes.wsgi_server import serve_wsgi

SECRET = "test-signing-secret"
RULES = RuleSettings(recount_rules=load_recount_rules())
#: Indices into the scenario: first votes, half the precincts, recount-zone entry, AP call, last.
FIRST, HALF, ZONE, CALL, LAST = 1, 18, 39, 44, 48


@pytest.fixture(scope="session")
def night() -> list[Snapshot]:
    return load_scenario()


@dataclass
class Bot:
    store: Store
    url: str
    slack: FakeSlack

    def ask(
        self, text: str, channel: str = "C123", response_url: str | None = None, secret: str = SECRET
    ) -> requests.Response:
        body = slash_body(text, channel_id=channel, response_url=response_url or self.slack.response_url())
        return post_signed(self.url, body, secret)

    def answer(self, text: str, channel: str = "C123") -> dict[str, Any]:
        resp = self.ask(text, channel)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def click_share(self, value: str, response_name: str = "share") -> requests.Response:
        payload = {
            "type": "block_actions",
            "user": {"id": "U123", "username": "tester", "team_id": "T0TEST"},
            "api_app_id": "A0APP",
            "token": "fake-verification-token",
            "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C123", "is_ephemeral": True},
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "team": {"id": "T0TEST", "domain": "fake-election-desk"},
            "channel": {"id": "C123", "name": "election-night"},
            "response_url": self.slack.response_url(response_name),
            "actions": [
                {
                    "action_id": "results_share",
                    "block_id": "results_share",
                    "value": value,
                    "type": "button",
                    "action_ts": str(time.time()),
                }
            ],
        }
        from urllib.parse import urlencode

        body = urlencode({"payload": json.dumps(payload)})
        return requests.post(self.url, data=body.encode(), headers=signed_headers(body, SECRET), timeout=5)

    def put(self, snapshot: Snapshot) -> None:
        self.store.commit_poll(snapshot, {}, {}, [])


@pytest.fixture
def make_bot(tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    """``make_bot(snapshot)`` → a served app whose store holds that snapshot."""
    cleanup: list[Callable[[], None]] = []

    def make(*snapshots: Snapshot) -> Bot:
        store = Store(db_url(tmp_path / f"store{len(cleanup)}.db"))
        for snap in snapshots:
            store.commit_poll(snap, {}, {}, [])
        slack = FakeSlack().start()
        app = create_bolt_app(Services(store, RULES), Secrets("xoxb-test", SECRET, slack.base_url))
        served = serve_wsgi(wsgi_app(app))
        cleanup.extend([served.shutdown, slack.stop, store.close])
        return Bot(store, served.base_url + "/slack/events", slack)

    yield make
    for fn in reversed(cleanup):
        fn()


@pytest.fixture
def context_bot(tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    """``make_bot`` with the demo's context in the rules (the 2016 baseline, the Senate's seats)."""
    from bot.app.demo import DEMO_CONTEXT
    from bot.app.settings import rule_settings, settings_from_dict

    cleanup: list[Callable[[], None]] = []
    rules = rule_settings(
        settings_from_dict(
            {"feeds": [{"name": "al-2017", "kind": "json", "url": "http://127.0.0.1:1/"}], "context": DEMO_CONTEXT}
        )
    )

    def make(*snapshots: Snapshot) -> Bot:
        store = Store(db_url(tmp_path / f"ctx{len(cleanup)}.db"))
        for snap in snapshots:
            store.commit_poll(snap, {}, {}, [])
        slack = FakeSlack().start()
        served = serve_wsgi(wsgi_app(create_bolt_app(Services(store, rules), Secrets("xoxb-test", SECRET, slack.base_url))))
        cleanup.extend([served.shutdown, slack.stop, store.close])
        return Bot(store, served.base_url + "/slack/events", slack)

    yield make
    for fn in reversed(cleanup):
        fn()


def with_house_race(snapshot: Snapshot) -> Snapshot:
    """The scenario plus a made-up Alabama House race, for the several-races list."""
    senate = snapshot.races["AL-1000"]
    house = Race(
        state="AL",
        race_id="2001",
        office="U.S. House",
        office_id="H",
        seat="District 1",
        candidates=(Candidate("byrne", "Bradley Byrne", "GOP"), Candidate("kennedy", "Robert Kennedy Jr.", "Dem")),
        units=(
            ReportingUnit(
                "AL",
                Level.STATE,
                "Alabama",
                {"byrne": 10_500, "kennedy": 10_000},
                precincts_reporting=50,
                precincts_total=100,
            ),
            ReportingUnit(
                "01003",
                Level.COUNTY,
                "Baldwin",
                {"byrne": 6_000, "kennedy": 4_000},
                precincts_reporting=20,
                precincts_total=40,
            ),
        ),
    )
    return replace(snapshot, races={senate.key: senate, house.key: house})


def texts(message: dict[str, Any]) -> str:
    """Everything a user can read in a message: the fallback text and every block's text."""
    parts = [str(message.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("text", "value") and isinstance(v, str):
                    parts.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)
