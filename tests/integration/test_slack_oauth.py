"""Many workspaces (issue 16): the app installed by OAuth in two workspaces, each posting with its
own bot token; an uninstall stops one and not the other.

Real pieces throughout: Bolt's OAuth flow and request verification served on loopback, slack_sdk's
SQLAlchemy installation and state stores in the bot's own database, the fake Slack API
(``oauth.v2.access``, and the Authorization header of every call), a loopback feed, the poller,
the outbox and the delivery worker.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from bot.app.runtime import Runtime
from bot.app.settings import settings_from_dict
from bot.app.slack_app import create_bolt_app, wsgi_app
from bot.app.slack_oauth import oauth_stores
from bot.codec import native
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import load_scenario
from bot.store import subscriptions
from bot.store.database import OutboxRow
from config.settings import Secrets
from handlers import Services
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import post_signed, signed_headers, slash_body
from tests.fakes.wsgi_server import serve_wsgi

SECRET = "test-signing-secret"
CLIENT_ID, CLIENT_SECRET = "1234.5678", "oauth-client-secret"
STATE_COOKIE = "slack-app-oauth-state"
#: two newsrooms: (team id, name, the bot token Slack grants it, its channel)
DESK_A = ("TDESKA", "Desk A", "xoxb-desk-a", "CDESKA")
DESK_B = ("TDESKB", "Desk B", "xoxb-desk-b", "CDESKB")


@dataclass
class Network:
    runtime: Runtime
    slack: FakeSlack
    feed: ReplayServer
    base: str  # the web app's base URL

    def install(self, code: str) -> requests.Response:
        """What a workspace admin's browser does: /slack/install, Slack's page, back with the code
        and the state cookie (a Secure cookie: a browser sends it back over https; here, by hand)."""
        start = requests.get(self.base + "/slack/install", allow_redirects=False, timeout=5)
        assert start.status_code == 302, start.text
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        return requests.get(
            self.base + "/slack/oauth_redirect",
            params={"code": code, "state": state},
            cookies={STATE_COOKIE: start.cookies[STATE_COOKIE]},
            allow_redirects=False,
            timeout=5,
        )

    def subscribe(self, team: str, channel: str) -> None:
        body = slash_body("subscribe alabama", channel_id=channel, team_id=team, response_url=self.slack.response_url())
        resp = post_signed(self.base + "/slack/events", body, SECRET)
        assert resp.status_code == 200 and "alabama" in resp.text.lower(), resp.text

    def event(self, team: str, event: dict[str, object]) -> requests.Response:
        body = json.dumps(
            {
                "token": "fake-verification-token",
                "team_id": team,
                "api_app_id": "A0APP",
                "event": {**event, "event_ts": f"{time.time():.6f}"},
                "type": "event_callback",
                "event_id": f"Ev{team}",
                "event_time": int(time.time()),
            }
        )
        headers = {**signed_headers(body, SECRET), "Content-Type": "application/json"}
        return requests.post(self.base + "/slack/events", data=body.encode(), headers=headers, timeout=5)

    def poll(self, times: int = 1) -> None:
        for _ in range(times):
            self.runtime.pollers[0].poll()
            self.feed.advance()

    def deliver(self) -> None:
        for _ in range(30):
            self.runtime.worker.deliver_due()

    def tokens(self, channel: str) -> set[str]:
        """The bearer token of every chat.postMessage to ``channel``."""
        return {
            call.headers["Authorization"].removeprefix("Bearer ")
            for call in self.slack.calls_to("chat.postMessage")
            if call.params.get("channel") == channel and call.status == 200
        }


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    bodies = [native.dumps(snapshot) for snapshot in load_scenario()[:30]]
    with ReplayServer(bodies) as feed, FakeSlack() as slack:
        slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
        for n, (team, name, token, _) in enumerate((DESK_A, DESK_B)):
            slack.authorize(f"code-{n}", team, name, token)
        secrets = Secrets(
            None, SECRET, slack.base_url, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET
        )  # no SLACK_BOT_TOKEN: every token comes from an installation
        settings = settings_from_dict(
            {"feeds": [{"name": "al-2017", "kind": "json", "url": feed.url}], "alerts": {"style": "cards"}}
        )
        runtime = Runtime.build(settings, secrets, database_url=db_url(tmp_path / "db.sqlite"), min_interval=0.0)
        runtime.pollers[0].on_queued = None  # delivery when the test says
        app = wsgi_app(create_bolt_app(Services(runtime.store, runtime.rules), secrets))
        with serve_wsgi(app) as served:
            try:
                yield Network(runtime, slack, feed, served.base_url)
            finally:
                runtime.close()


def test_install_sets_the_state_cookie_and_redirects_to_slacks_authorize_page(network: Network) -> None:
    resp = requests.get(network.base + "/slack/install", allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    where = urlsplit(resp.headers["Location"])
    assert (where.scheme, where.netloc, where.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = parse_qs(where.query)
    assert query["client_id"] == [CLIENT_ID] and "chat:write" in query["scope"][0].split(",")
    assert resp.cookies.get(STATE_COOKIE) == query["state"][0]
    assert "Secure" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]


def test_the_redirect_exchanges_the_code_and_stores_the_installation(network: Network) -> None:
    resp = network.install("code-0")
    assert resp.status_code == 200, resp.text
    (exchange,) = network.slack.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "code-0" and exchange.status == 200
    stores = oauth_stores(network.runtime.store, network.runtime.secrets)
    bot = stores.installations.find_bot(enterprise_id=None, team_id=DESK_A[0])
    assert bot is not None and bot.bot_token == DESK_A[2]
    assert stores.installations.find_bot(enterprise_id=None, team_id=DESK_B[0]) is None


def test_a_redirect_without_the_browsers_state_cookie_installs_nothing(network: Network) -> None:
    start = requests.get(network.base + "/slack/install", allow_redirects=False, timeout=5)
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    resp = requests.get(
        network.base + "/slack/oauth_redirect", params={"code": "code-0", "state": state}, allow_redirects=False, timeout=5
    )  # another browser: no cookie
    assert resp.status_code >= 400
    assert network.slack.calls_to("oauth.v2.access") == []


def test_two_workspaces_get_alerts_with_their_own_tokens_and_an_uninstall_stops_one(
    network: Network, caplog: pytest.LogCaptureFixture
) -> None:
    for code in ("code-0", "code-1"):
        assert network.install(code).status_code == 200
    for team, _, _, channel in (DESK_A, DESK_B):
        network.subscribe(team, channel)
    assert subscriptions.channel_teams(network.runtime.store) == {DESK_A[3]: DESK_A[0], DESK_B[3]: DESK_B[0]}

    network.poll(10)
    network.deliver()
    a_posts, b_posts = len(network.slack.posts(DESK_A[3])), len(network.slack.posts(DESK_B[3]))
    assert a_posts >= 3 and b_posts == a_posts
    assert {card.channel for card in network.runtime.store.cards("slack")} == {DESK_A[3], DESK_B[3]}  # live cards
    assert network.tokens(DESK_A[3]) == {DESK_A[2]} and network.tokens(DESK_B[3]) == {DESK_B[2]}

    network.poll(10)  # queued for both, not delivered yet
    queued_a = _unsent(network, DESK_A[3])
    assert queued_a > 0
    with caplog.at_level(logging.WARNING, logger="electionbot.slack"):
        assert network.event(DESK_A[0], {"type": "app_uninstalled"}).status_code == 200
    lines = [r.getMessage() for r in caplog.records if DESK_A[0] in r.getMessage()]
    assert lines == [
        f"Slack workspace {DESK_A[0]} uninstalled the app: 1 channel(s) unsubscribed, {queued_a} queued alert(s) skipped,"
        " 1 live card(s) frozen"
    ]
    edits_a = _edits(network, DESK_A[3])
    stores = oauth_stores(network.runtime.store, network.runtime.secrets)
    assert stores.installations.find_bot(enterprise_id=None, team_id=DESK_A[0]) is None
    assert stores.installations.find_bot(enterprise_id=None, team_id=DESK_B[0]) is not None

    network.poll(10)
    network.deliver()
    assert len(network.slack.posts(DESK_A[3])) == a_posts, "nothing more reaches the uninstalled workspace"
    assert _edits(network, DESK_A[3]) == edits_a, "its live card is no longer edited"
    assert {card.channel for card in network.runtime.store.cards("slack")} == {DESK_B[3]}
    assert len(network.slack.posts(DESK_B[3])) > b_posts
    assert network.tokens(DESK_B[3]) == {DESK_B[2]}
    assert _unsent(network, DESK_A[3]) == 0 and _unsent(network, DESK_B[3]) == 0


def test_a_revoked_bot_token_stops_that_workspace(network: Network) -> None:
    for code in ("code-0", "code-1"):
        network.install(code)
    for team, _, _, channel in (DESK_A, DESK_B):
        network.subscribe(team, channel)
    resp = network.event(DESK_B[0], {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}})
    assert resp.status_code == 200
    assert subscriptions.channel_teams(network.runtime.store) == {DESK_A[3]: DESK_A[0]}
    network.poll(10)
    network.deliver()
    assert network.slack.posts(DESK_A[3]) and not network.slack.posts(DESK_B[3])


def _edits(network: Network, channel: str) -> int:
    return sum(1 for call in network.slack.calls_to("chat.update") if call.params.get("channel") == channel)


def _unsent(network: Network, channel: str) -> int:
    with network.runtime.store.session() as s:
        return s.query(OutboxRow).filter(OutboxRow.channel == channel, OutboxRow.status.in_(("pending", "sending"))).count()
