"""``/discord/interactions`` called as WSGI (no socket): what it refuses and what it answers.

The answer runs inline here (an executor that runs it at once); the served app, its thread pool
and the deferred path are in tests/integration/commands/test_discord_interactions.py.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import pytest

from bot.app.settings import load_recount_rules
from bot.core.rules import RuleSettings
from bot.rehearsal.scenarios import load_scenario
from bot.store import subscriptions
from bot.store.database import Store
from handlers.discord import MAX_BODY, DiscordInteractions
from handlers.discord_signature import MAX_SKEW
from handlers.services import Services
from tests.fakes.discord_signing import Signer, button, command, encode, ping

NOW = 1_733_086_800
RULES = RuleSettings(recount_rules=load_recount_rules())


class Inline(Executor):
    """Runs each answer at once, in the caller's thread (the unit tier starts none)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        done.set_result(fn(*args, **kwargs))
        return done


class NoWebhook:
    """Answers here are never deferred (they run inline): nothing may reach the webhook."""

    def edit_original(self, token: str, data: dict[str, Any]) -> int:
        raise AssertionError("an inline answer was deferred")

    def follow_up(self, token: str, data: dict[str, Any]) -> int:
        raise AssertionError("an inline answer was deferred")


class Client:
    def __init__(self, app: DiscordInteractions, signer: Signer) -> None:
        self.app, self.signer = app, signer

    def call(
        self, body: bytes, headers: dict[str, str] | None = None, method: str = "POST", length: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": "/discord/interactions",
            "CONTENT_LENGTH": str(len(body)) if length is None else length,
            "wsgi.input": io.BytesIO(body),
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()},
        }
        status: list[str] = []
        out = b"".join(self.app(environ, lambda s, h: status.append(s)))
        return int(status[0].split()[0]), json.loads(out)

    def send(self, payload: Any, timestamp: int = NOW) -> tuple[int, dict[str, Any]]:
        body = encode(payload)
        return self.call(body, self.signer.headers(body, timestamp))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    """One store for the module (a store's schema is migrated when it opens: a third of a second)."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('discord') / 'store.db'}")
    store.commit_poll(load_scenario()[-1], {}, {}, [])
    signer = Signer()
    app = DiscordInteractions(
        Services(store, RULES),
        signer.public_key,
        NoWebhook(),
        clock=lambda: NOW,
        executor=Inline(),
    )
    yield Client(app, signer)
    store.close()


def test_ping_is_answered_with_pong(client: Client) -> None:
    assert client.send(ping()) == (200, {"type": 1})


def test_results_alabama_is_an_ephemeral_answer_with_slacks_numbers(client: Client) -> None:
    status, reply = client.send(command("alabama"))
    assert status == 200 and reply["type"] == 4
    data = reply["data"]
    assert data["flags"] == 64 and data["allowed_mentions"] == {"parse": []}
    shown = json.dumps(data, ensure_ascii=False)
    assert all(f in shown for f in ("49.92 %", "48.38 %", "20,715")), shown


def test_results_without_a_query_is_the_help(client: Client) -> None:
    status, reply = client.send(command(None))
    assert status == 200 and reply["data"]["content"].startswith("**/results** answers") and reply["data"]["flags"] == 64


def test_a_picture_without_a_picture_desk_is_declined_politely_and_at_once(client: Client) -> None:
    reply = client.send(command("alabama chart"))[1]
    assert reply["type"] == 4 and reply["data"]["flags"] == 64
    assert reply["data"]["content"].startswith("Pictures are not available on this server")


def test_share_posts_a_real_answer_in_the_channel_and_keeps_a_did_you_mean_private(client: Client) -> None:
    assert client.send(command("alabama share"))[1]["data"]["flags"] == 0
    assert client.send(command("alabma share"))[1]["data"]["flags"] == 64


def test_the_share_button_posts_the_answer_in_the_channel(client: Client) -> None:
    custom_id = client.send(command("alabama"))[1]["data"]["components"][0]["components"][0]["custom_id"]
    status, reply = client.send(button(custom_id))
    assert status == 200 and reply["type"] == 4 and reply["data"]["flags"] == 0
    assert "components" not in reply["data"] and "20,715" in json.dumps(reply["data"])
    assert client.send(button("results_share:subscribe alabama"))[1]["data"]["flags"] == 64


def test_a_discord_channel_subscribes_as_a_discord_channel_and_a_dm_cannot(client: Client) -> None:
    status, reply = client.send(command("subscribe alabama quiet", channel_id="1300000000000000001"))
    assert status == 200 and "level **quiet**" in reply["data"]["content"]
    store = client.app.services.store
    assert subscriptions.for_channel(store, "1300000000000000001", platform="discord")[0].level == "quiet"
    assert subscriptions.for_channel(store, "1300000000000000001", platform="slack") == []
    reply = client.send(command("subscribe alabama", channel_id="1300000000000000002", guild=False))[1]
    assert reply["data"]["content"].startswith("Subscriptions are per channel")
    assert subscriptions.all_subscriptions(store, "discord") == [
        subscriptions.Subscription("1300000000000000001", "AL", "quiet", "discord")
    ]


def test_a_signature_just_inside_the_window_is_accepted_and_one_second_beyond_is_not(client: Client) -> None:
    assert client.send(ping(), timestamp=NOW - MAX_SKEW)[0] == 200
    assert client.send(ping(), timestamp=NOW - MAX_SKEW - 1)[0] == 401


@pytest.mark.parametrize("what", ["tampered", "other key", "no headers", "no signature"])
def test_a_request_not_signed_by_discord_is_401(client: Client, what: str) -> None:
    body = encode(command("alabama"))
    headers = client.signer.headers(body, NOW)
    if what == "tampered":
        body = body.replace(b"alabama", b"georgia")
    elif what == "other key":
        headers = Signer().headers(body, NOW)
    elif what == "no headers":
        headers = {}
    else:
        headers.pop("X-Signature-Ed25519")
    assert client.call(body, headers) == (401, {"error": "invalid request signature"})


def test_what_is_not_an_interaction_gets_a_clear_4xx(client: Client) -> None:
    assert client.call(b"", method="GET")[0] == 405
    big, fits = b"x" * (MAX_BODY + 1), b"x" * MAX_BODY
    assert client.call(big, client.signer.headers(big, NOW))[0] == 413
    assert client.call(fits, client.signer.headers(fits, NOW))[0] == 400  # read, verified, not JSON
    assert client.call(b"{}", length="")[0] == 411
    for body in (b"not json", b"[1, 2]", b"\xff\xfe"):
        status, reply = client.call(body, client.signer.headers(body, NOW))
        assert status == 400 and "JSON" in reply["error"], body
    assert client.send({"type": 99})[0] == 400


def test_each_command_is_one_log_line_without_the_token(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    payload = command("alabama jefferson")
    with caplog.at_level("INFO", logger="electionbot.discord"):
        client.send(payload)
    lines = [r for r in caplog.records if getattr(r, "event", None) == "command"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.platform, line.kind, line.outcome, line.public) == ("discord", "state", "answered", False)
    assert "alabama jefferson" in line.getMessage() and payload["token"] not in line.getMessage()
