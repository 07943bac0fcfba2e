"""``/results`` over Discord's HTTP interactions endpoint, served on loopback in the same web app
as Bolt's ``/slack/events`` (``wsgi_app(..., routes=discord_routes(...))``), signed with a key pair
made in the test, answering from the Alabama 2017 night; deferred answers completed against the
fake Discord API (tests/fakes/discord_api.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app.discord_app import InteractionWebhookClient
from bot.core.commands import parse
from bot.store.database import Store
from handlers import Services
from handlers.discord import DiscordInteractions
from tests.fakes.discord_api import APPLICATION_ID, FakeDiscord
from tests.fakes.discord_signing import Signer, button, command, ping
from tests.fakes.wsgi_server import serve_wsgi
from tests.integration.commands.conftest import LAST, RULES, texts
from tests.integration.commands.test_results_fuzz import TEXT
from tests.integration.commands.web_desk import serve_web

PINGS = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>|<@")
ORIGINAL = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
FOLLOW_UP = "POST /webhooks/{webhook_id}/{webhook_token}"


@dataclass
class Desk:
    url: str
    slack_url: str
    signer: Signer
    store: Store

    def ask(self, payload: dict[str, Any], timestamp: int | None = None) -> requests.Response:
        return self.signer.post(self.url, payload, timestamp)


def shown(data: dict[str, Any]) -> str:
    """What a reader sees of a Discord message: content and every embed's text."""
    parts = [str(data.get("content") or "")]
    for embed in data.get("embeds") or []:
        parts += [str(embed.get(k) or "") for k in ("title", "description")]
        parts.append(str((embed.get("footer") or {}).get("text") or ""))
    return "\n".join(parts)


@pytest.fixture
def desk(tmp_path: Path, night) -> Iterator[Desk]:
    """The web process as production wires it: Bolt plus the Discord route from the secrets."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.commit_poll(night[LAST], {}, {}, [])
    signer = Signer()
    with serve_web(store, signer, "http://127.0.0.1:9/api/") as served:
        yield Desk(served.base_url + "/discord/interactions", served.base_url + "/slack/events", signer, store)
    store.close()


def test_results_alabama_gives_slacks_numbers(desk: Desk, make_bot, night) -> None:
    reply = desk.ask(command("alabama"))
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["type"] == 4 and body["data"]["flags"] == 64
    assert body["data"]["allowed_mentions"] == {"parse": []}
    on_discord = shown(body["data"])
    on_slack = texts(make_bot(night[LAST]).answer("alabama"))
    for figure in ("49.92 %", "48.38 %", "20,715", "1.54 points", "Doug Jones", "2,235 of 2,235", "CST"):
        assert figure in on_discord and figure in on_slack, figure


def test_ping_is_pong_and_slack_still_answers_beside_it(desk: Desk) -> None:
    reply = desk.ask(ping())
    assert reply.status_code == 200 and reply.json() == {"type": 1}
    assert requests.post(desk.slack_url, data=b"token=x", timeout=5).status_code == 401  # Bolt's own check


@pytest.mark.parametrize("what", ["tampered body", "wrong key", "missing header", "stale timestamp"])
def test_what_discord_did_not_sign_is_401(desk: Desk, what: str) -> None:
    payload = command("alabama")
    body = json.dumps(payload).encode()
    headers = desk.signer.headers(body)
    if what == "tampered body":
        body = body.replace(b"alabama", b"alabamA")
    elif what == "wrong key":
        headers = Signer().headers(body)
    elif what == "missing header":
        del headers["X-Signature-Timestamp"]
    else:
        headers = desk.signer.headers(body, int(time.time()) - 301)
    reply = requests.post(desk.url, data=body, headers=headers, timeout=5)
    assert reply.status_code == 401, what


def test_share_posts_in_the_channel_and_the_button_does_too(desk: Desk) -> None:
    shared = desk.ask(command("share alabama")).json()["data"]
    assert shared["flags"] == 0 and "components" not in shared and "20,715" in shown(shared)
    private = desk.ask(command("close")).json()["data"]
    custom_id = private["components"][0]["components"][0]["custom_id"]
    clicked = desk.ask(button(custom_id)).json()
    assert clicked["type"] == 4 and clicked["data"]["flags"] == 0
    assert shown(clicked["data"]) == shown(private)


def test_fuzzed_queries_never_error_and_never_ping(desk: Desk) -> None:
    @settings(
        max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    @given(text=st.one_of(TEXT, st.sampled_from(["@everyone", "@here alabama", "<@123456789012345678>", "<@&42> close"])))
    def check(text: str) -> None:
        started = time.monotonic()
        reply = desk.ask(command(text))
        assert reply.status_code == 200, (text, reply.status_code, reply.text)
        assert time.monotonic() - started < 3.0
        body = reply.json()
        data = body["data"]
        assert body["type"] == 4 and shown(data).strip(), text
        assert "Sorry" not in shown(data), ("the handler raised", text)
        assert data["allowed_mentions"] == {"parse": []}
        assert not PINGS.search(shown(data)), (text, shown(data))
        cmd = parse(text)
        assert data["flags"] == 64 or (cmd.share and cmd.read_only), (text, data["flags"])

    check()


# --- deferred: the store is busy past the threshold ------------------------------------------


class BusyStore(ThreadPoolExecutor):
    """Answers wait until the test opens the gate: a store busy longer than ``defer_after``."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.gate = threading.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def held() -> Any:
            self.gate.wait(10)
            return fn(*args, **kwargs)

        return super().submit(held)


@pytest.fixture
def slow_desk(tmp_path: Path, night) -> Iterator[tuple[Desk, FakeDiscord, BusyStore]]:
    store = Store(f"sqlite:///{tmp_path / 'slow.db'}")
    store.commit_poll(night[LAST], {}, {}, [])
    signer = Signer()
    busy = BusyStore()
    with FakeDiscord() as discord:
        app = DiscordInteractions(
            Services(store, RULES),
            signer.public_key,
            InteractionWebhookClient(discord.base_url, APPLICATION_ID),
            defer_after=0.2,
            executor=busy,
        )
        with serve_wsgi(app) as served:
            yield Desk(served.base_url, "", signer, store), discord, busy
    busy.gate.set()
    busy.shutdown(wait=True)
    store.close()


def relay(discord: FakeDiscord, payload: dict[str, Any], reply: dict[str, Any]) -> None:
    """What Discord does with our HTTP answer: it becomes the interaction's response."""
    url = f"{discord.base_url}/interactions/{payload['id']}/{payload['token']}/callback"
    assert requests.post(url, json=reply, timeout=5).status_code == 204


def test_a_slow_answer_is_deferred_then_completed_by_editing_the_original(slow_desk) -> None:
    desk, discord, busy = slow_desk
    payload = command("alabama")
    discord.open_interaction(payload["id"], payload["token"])
    reply = desk.ask(payload).json()
    assert reply == {"type": 5, "data": {"flags": 64}}
    relay(discord, payload, reply)
    assert discord.interaction(payload["token"])["original"]["flags"] & 128  # "thinking…"
    busy.gate.set()
    discord.wait_for(lambda: discord.calls_to(ORIGINAL))
    original = discord.interaction(payload["token"])["original"]
    assert original["flags"] == 64  # still ephemeral, no longer loading
    assert "20,715" in shown(original) and "49.92 %" in shown(original)
    edit = discord.calls_to(ORIGINAL)[0]
    assert edit.ids["message_id"] == "@original" and edit.body["allowed_mentions"] == {"parse": []}
    assert len(discord.calls_to(ORIGINAL)) == 1


def test_an_edit_before_discord_has_the_deferral_is_retried(slow_desk) -> None:
    desk, discord, busy = slow_desk
    payload = command("alabama jefferson")
    discord.open_interaction(payload["id"], payload["token"])
    reply = desk.ask(payload).json()
    assert reply == {"type": 5, "data": {"flags": 64}}
    busy.gate.set()  # the answer is ready before Discord has our deferral: 404 Unknown Webhook
    discord.wait_for(lambda: discord.calls_to(ORIGINAL))
    assert discord.calls_to(ORIGINAL)[0].status == 404
    relay(discord, payload, reply)
    discord.wait_for(lambda: any(c.status == 200 for c in discord.calls_to(ORIGINAL)))
    original = discord.interaction(payload["token"])["original"]
    assert original["flags"] == 64 and "Jefferson" in shown(original)


def test_a_deferred_share_tells_the_asker_and_posts_the_answer_in_the_channel(slow_desk) -> None:
    desk, discord, busy = slow_desk
    payload = command("share alabama")
    discord.open_interaction(payload["id"], payload["token"])
    reply = desk.ask(payload).json()
    assert reply == {"type": 5, "data": {"flags": 64}}  # whether it may be shared is not known yet
    relay(discord, payload, reply)
    busy.gate.set()
    discord.wait_for(lambda: discord.calls_to(FOLLOW_UP))
    interaction = discord.interaction(payload["token"])
    assert interaction["original"]["content"] == "Shared in the channel." and interaction["original"]["flags"] == 64
    [posted] = interaction["followups"]
    assert posted["flags"] == 0 and "20,715" in shown(posted) and posted["allowed_mentions"] == {"parse": []}


def test_a_deferred_share_of_a_did_you_mean_stays_with_the_asker(slow_desk) -> None:
    desk, discord, busy = slow_desk
    payload = command("share alabma")
    discord.open_interaction(payload["id"], payload["token"])
    relay(discord, payload, desk.ask(payload).json())
    busy.gate.set()
    discord.wait_for(lambda: discord.calls_to(ORIGINAL))
    interaction = discord.interaction(payload["token"])
    assert interaction["original"]["flags"] == 64 and "Did you mean" in shown(interaction["original"])
    assert interaction["followups"] == [] and not discord.calls_to(FOLLOW_UP)
