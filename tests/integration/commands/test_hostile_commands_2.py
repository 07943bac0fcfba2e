"""``/results`` on a real reply with a placeholder time, asked as Slack and Discord ask: signed
requests through the real verification, answered from the store (../shared's 2015 national AP
reply, its ``timestamp`` set to ``0001-01-01T00:00:00Z``, .NET's DateTime.MinValue).

Before: the time was stored (it is a fine UTC instant) and every answer that states it ("As of
…", "Last updated …") raised OverflowError turning it into Kentucky's clock (year 0): "/results
kentucky", "governor" and "close" answered the generic sorry on both platforms, all night.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.core.model import Snapshot
from bot.feeds.ap import parse_ap
from bot.store.database import Store
from tests.databases import db_url
from tests.fakes.discord_signing import Signer, command
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import post_signed, slash_body
from tests.integration.feeds.samples import SHARED_SAMPLES, needs_shared

from .conftest import SECRET, texts
from .web_desk import serve_web

pytestmark = needs_shared

NATIONAL = SHARED_SAMPLES / "ap" / "20151103_national.json"
PLACEHOLDER = "0001-01-01T00:00:00Z"


@dataclass
class Desk:
    base_url: str
    slack: FakeSlack
    signer: Signer

    def slack_answer(self, text: str) -> str:
        body = slash_body(text, channel_id="C123", response_url=self.slack.response_url())
        resp = post_signed(self.base_url + "/slack/events", body, SECRET)
        assert resp.status_code == 200, resp.text
        return texts(resp.json())

    def discord_answer(self, text: str) -> str:
        resp = self.signer.post(self.base_url + "/discord/interactions", command(text))
        assert resp.status_code == 200, resp.text
        data = resp.json()["data"]
        embeds = data.get("embeds") or []
        return "\n".join(
            [str(data.get("content") or "")]
            + [str(e.get(k) or "") for e in embeds for k in ("title", "description")]
            + [str((e.get("footer") or {}).get("text") or "") for e in embeds]
        )


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    doc = json.loads(NATIONAL.read_text(encoding="utf-8"))
    doc["timestamp"] = PLACEHOLDER
    reply = parse_ap(json.dumps(doc).encode(), "ap-national")
    assert reply.timestamp is not None and reply.timestamp.year == 1  # the reply as the feed reads it
    store = Store(db_url(tmp_path / "bot.db"))
    store.commit_poll(Snapshot.of("ap-national", reply.timestamp, reply.races), {}, {}, [])
    signer = Signer()
    with FakeSlack() as slack, serve_web(store, signer, slack.base_url) as served:
        yield Desk(served.base_url, slack, signer)
    store.close()


@pytest.mark.parametrize("query", ["kentucky", "ky governor", "governor", "close"])
def test_a_placeholder_time_still_answers_on_slack_and_discord(desk: Desk, query: str) -> None:
    for answer in (desk.slack_answer(query), desk.discord_answer(query)):
        assert "Bevin" in answer and "84,827" in answer, answer[:500]  # the margin, in every answer
        assert "went wrong" not in answer.lower()


def test_the_placeholder_is_said_in_utc(desk: Desk) -> None:
    assert "12:00 a.m. UTC" in desk.slack_answer("kentucky")


def test_requests_are_real(desk: Desk) -> None:
    """The fixture's server refuses what is not signed (the answers above went through the check)."""
    assert requests.post(desk.base_url + "/slack/events", data=b"token=x", timeout=5).status_code == 401


def test_a_placeholder_time_on_aps_balance_report_still_answers(tmp_path: Path, make_bot) -> None:
    """../shared's Senate trendtable with ``timestamp`` 0001-01-01T00:00:00Z, beside the national
    reply: "/results balance senate" answered the generic sorry (the report's time in Eastern
    time is year 0)."""
    from bot.feeds.ap.trendtable import parse_trendtable

    doc = json.loads((SHARED_SAMPLES / "ap" / "20160818_senate_trends.json").read_text(encoding="utf-8"))
    doc["trendtable"]["timestamp"] = PLACEHOLDER
    report = parse_trendtable(json.dumps(doc).encode())
    reply = parse_ap(NATIONAL.read_bytes(), "ap-national")
    assert reply.timestamp is not None
    said = texts(
        make_bot(Snapshot.of("ap-national", reply.timestamp, reply.races, balance=(report,))).answer("balance senate")
    )
    assert "Senate: balance of power" in said and "*AP*: U.S. Senate:" in said, said
    assert "AP's report of 12:00 a.m. UTC on Monday, January 1, 1" in said
