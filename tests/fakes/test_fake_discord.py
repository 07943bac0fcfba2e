"""Prove the fake Discord behaves like Discord's REST API v10 where the bot depends on it.

Every check goes over HTTP with ``requests`` (what the bot's Discord code uses), so a drift
between the fake and the wire shows here first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.discord_api import (
    APPLICATION_ID,
    BOT_USER_ID,
    FakeDiscord,
    message_body,
)

CHANNEL = "1000000000000000001"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def discord(clock: Clock) -> Iterator[FakeDiscord]:
    with FakeDiscord(clock=clock) as fake:
        yield fake


def call(discord: FakeDiscord, method: str, path: str, token: str | None = "default", **kwargs: Any) -> requests.Response:
    headers = discord.auth_headers(None if token == "default" else token) if token else {}
    return requests.request(method, discord.base_url + path, headers=headers, timeout=5, **kwargs)


def post(discord: FakeDiscord, channel: str = CHANNEL, **body: Any) -> requests.Response:
    body.setdefault("allowed_mentions", {"parse": []})
    return call(discord, "POST", f"/channels/{channel}/messages", json=body)


# --------------------------------------------------------------------------- messages


def test_post_edit_get_delete_round_trip(discord: FakeDiscord) -> None:
    created = post(discord, content="AL: Smith leads", embeds=[{"title": "Senate", "color": 0x1F4E9C}])
    assert created.status_code == 200
    message = created.json()
    assert message["channel_id"] == CHANNEL and message["content"] == "AL: Smith leads"
    assert message["author"]["id"] == BOT_USER_ID and message["id"].isdigit() and message["flags"] == 0
    edited = call(discord, "PATCH", f"/channels/{CHANNEL}/messages/{message['id']}", json={"content": "AL: Smith wins"})
    assert edited.status_code == 200 and edited.json()["edited_timestamp"] is not None
    got = call(discord, "GET", f"/channels/{CHANNEL}/messages/{message['id']}").json()
    assert got["content"] == "AL: Smith wins" and got["embeds"] == [{"title": "Senate", "color": 0x1F4E9C}]
    assert call(discord, "DELETE", f"/channels/{CHANNEL}/messages/{message['id']}").status_code == 204
    gone = call(discord, "PATCH", f"/channels/{CHANNEL}/messages/{message['id']}", json={"content": "x"})
    assert gone.status_code == 404 and gone.json() == {"message": "Unknown Message", "code": 10008}
    assert discord.posts(CHANNEL)[0]["allowed_mentions"] == {"parse": []}


def test_snowflakes_are_unique_and_sort_by_creation(discord: FakeDiscord) -> None:
    ids = [post(discord, content=f"m{i}").json()["id"] for i in range(5)]
    assert len(set(ids)) == 5 and sorted(ids, key=int) == ids


def test_recent_messages_newest_first_with_before_and_after(discord: FakeDiscord) -> None:
    ids = [post(discord, content=f"m{i}").json()["id"] for i in range(6)]
    recent = call(discord, "GET", f"/channels/{CHANNEL}/messages", params={"limit": 3}).json()
    assert [m["id"] for m in recent] == ids[::-1][:3]
    before = call(discord, "GET", f"/channels/{CHANNEL}/messages", params={"before": ids[3], "limit": 2}).json()
    assert [m["id"] for m in before] == [ids[2], ids[1]]
    after = call(discord, "GET", f"/channels/{CHANNEL}/messages", params={"after": ids[1], "limit": 2}).json()
    assert [m["id"] for m in after] == [ids[3], ids[2]]
    assert call(discord, "GET", f"/channels/{CHANNEL}/messages", params={"limit": 101}).json()["code"] == 50035


def test_enforced_nonce_returns_the_first_message_within_the_window(discord: FakeDiscord, clock: Clock) -> None:
    first = post(discord, content="once", nonce="eb-42-abc", enforce_nonce=True).json()
    again = post(discord, content="once", nonce="eb-42-abc", enforce_nonce=True).json()
    assert again["id"] == first["id"] and len(discord.messages(CHANNEL)) == 1
    unenforced = post(discord, content="once", nonce="eb-42-abc").json()
    assert unenforced["id"] != first["id"]
    clock.now += 301
    late = post(discord, content="once", nonce="eb-42-abc", enforce_nonce=True).json()
    assert late["id"] != first["id"] and len(discord.messages(CHANNEL)) == 3
    # Discord does not show the nonce when the history is read back
    assert all("nonce" not in m for m in call(discord, "GET", f"/channels/{CHANNEL}/messages").json())


def test_nonce_over_25_characters_is_refused(discord: FakeDiscord) -> None:
    reply = post(discord, content="x", nonce="n" * 26, enforce_nonce=True)
    assert reply.status_code == 400 and reply.json()["code"] == 50035
    assert post(discord, content="x", nonce="n" * 25, enforce_nonce=True).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embeds": [{"title": "t" * 257}]}, "embeds"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds"),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, "embeds"),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, "embeds"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds"),
        ({"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]}, "embeds"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "embeds"),
        ({"embeds": [{"title": "t"}] * 11}, "embeds"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "embeds"),
        ({"embeds": [{"color": 0x1000000, "title": "t"}]}, "embeds"),
    ],
)
def test_limits_over_by_one_are_refused_with_invalid_form_body(
    discord: FakeDiscord, body: dict[str, Any], field: str
) -> None:
    reply = post(discord, **body)
    assert reply.status_code == 400
    assert reply.json()["code"] == 50035 and field in reply.json()["errors"]
    assert discord.messages(CHANNEL) == []


def test_limits_exactly_at_the_boundary_are_accepted(discord: FakeDiscord) -> None:
    embed = {
        "title": "t" * 256,
        "description": "",
        "footer": {"text": "f" * 100},
        "author": {"name": "a" * 256},
        "fields": [{"name": "n" * 56, "value": "v" * 124}] * 25,
    }
    embed["description"] = "d" * (6000 - 256 - 100 - 256 - 25 * 180)
    reply = post(discord, content="c" * 2000, embeds=[embed])
    assert reply.status_code == 200, reply.text


def test_empty_message_is_refused(discord: FakeDiscord) -> None:
    reply = post(discord, content="  ")
    assert reply.status_code == 400 and reply.json()["code"] == 50006


# --------------------------------------------------------------------------- threads, channels, auth


def test_thread_from_a_message_is_a_channel_with_the_messages_id(discord: FakeDiscord) -> None:
    card = post(discord, content="card").json()
    thread = call(discord, "POST", f"/channels/{CHANNEL}/messages/{card['id']}/threads", json={"name": "AL Senate"})
    assert thread.status_code == 201
    assert thread.json()["id"] == card["id"] and thread.json()["parent_id"] == CHANNEL and thread.json()["type"] == 11
    again = call(discord, "POST", f"/channels/{CHANNEL}/messages/{card['id']}/threads", json={"name": "AL Senate"})
    assert again.status_code == 400 and again.json()["code"] == 160004
    assert post(discord, card["id"], content="moment").status_code == 200
    assert [m["content"] for m in discord.messages(card["id"])] == ["moment"]
    assert [m["content"] for m in discord.messages(CHANNEL)] == ["card"]


@pytest.mark.parametrize(
    ("register", "status", "code", "message"),
    [("missing_channels", 404, 10003, "Unknown Channel"), ("forbidden_channels", 403, 50001, "Missing Access")],
)
def test_channel_errors(discord: FakeDiscord, register: str, status: int, code: int, message: str) -> None:
    getattr(discord, register).add("404")
    reply = post(discord, "404", content="x")
    assert reply.status_code == status and reply.json() == {"message": message, "code": code}


def test_bad_bot_token_is_401(discord: FakeDiscord) -> None:
    for path in ("/users/@me", "/oauth2/applications/@me"):
        assert call(discord, "GET", path, token="wrong").json() == {"message": "401: Unauthorized", "code": 0}
        assert call(discord, "GET", path, token=None).status_code == 401
    assert call(discord, "GET", "/users/@me").json()["id"] == BOT_USER_ID
    assert call(discord, "GET", "/oauth2/applications/@me").json()["id"] == APPLICATION_ID


# --------------------------------------------------------------------------- rate limits and outages


def test_route_bucket_per_channel_answers_429_with_json_and_headers(clock: Clock) -> None:
    with FakeDiscord(clock=clock, bucket_limit=5, bucket_window=5.0) as discord:
        replies = [post(discord, content=f"m{i}") for i in range(5)]
        assert [r.headers["X-RateLimit-Remaining"] for r in replies] == ["4", "3", "2", "1", "0"]
        clock.now += 1.5
        limited = post(discord, content="sixth")
        assert limited.status_code == 429
        body = limited.json()
        assert body["global"] is False and body["retry_after"] == pytest.approx(3.5)
        assert limited.headers["X-RateLimit-Scope"] == "user" and limited.headers["Retry-After"] == "4"
        assert limited.headers["X-RateLimit-Bucket"] == replies[0].headers["X-RateLimit-Bucket"]
        assert post(discord, "2000000000000000002", content="other channel").status_code == 200
        clock.now += 3.5
        assert post(discord, content="sixth").status_code == 200
        assert len(discord.messages(CHANNEL)) == 6


def test_global_limit(clock: Clock) -> None:
    with FakeDiscord(clock=clock, global_limit=3) as discord:
        assert [post(discord, str(1000 + i), content="x").status_code for i in range(4)] == [200, 200, 200, 429]
        last = discord.calls[-1]
        assert last.response["global"] is True and last.status == 429
        clock.now += 1.0
        assert post(discord, content="x").status_code == 200


def test_injected_429_and_errors(discord: FakeDiscord) -> None:
    discord.fail_next("POST /channels/{channel_id}/messages", retry_after=0.25, is_global=True)
    reply = post(discord, content="x")
    assert reply.status_code == 429 and reply.json()["retry_after"] == 0.25 and reply.headers["X-RateLimit-Global"] == "true"
    discord.fail_next("*", status=404, body={"message": "Unknown Channel", "code": 10003}, channel=CHANNEL)
    assert post(discord, "5", content="x").status_code == 200
    assert post(discord, content="x").json()["code"] == 10003


def test_outage_503_then_drop_then_recovery(discord: FakeDiscord, clock: Clock) -> None:
    discord.outage(10)
    reply = post(discord, content="x")
    assert reply.status_code == 503 and reply.headers["Content-Type"].startswith("text/html")
    discord.outage(10, mode="drop")
    with pytest.raises(requests.ConnectionError):
        post(discord, content="x")
    clock.now += 10
    assert post(discord, content="x").status_code == 200
    assert [c.status for c in discord.calls] == [503, 0, 200]


def test_lost_answer_still_posts(discord: FakeDiscord) -> None:
    discord.lose_next_answer()
    with pytest.raises(requests.ConnectionError):
        post(discord, content="landed")
    assert [m["content"] for m in discord.messages(CHANNEL)] == ["landed"]
    assert discord.calls[-1].answered is False and discord.calls[-1].ok


# --------------------------------------------------------------------------- webhooks


def test_webhook_execute_wait_edit_and_thread(discord: FakeDiscord) -> None:
    url = discord.add_webhook(CHANNEL)
    no_wait = requests.post(url, json={"content": "a"}, timeout=5)
    assert no_wait.status_code == 204
    waited = requests.post(url, params={"wait": "true"}, json={"content": "b", "allowed_mentions": {"parse": []}}, timeout=5)
    message = waited.json()
    assert message["webhook_id"] == url.split("/")[-2] and message["channel_id"] == CHANNEL
    edited = requests.patch(f"{url}/messages/{message['id']}", json={"content": "b2"}, timeout=5)
    assert edited.status_code == 200 and edited.json()["content"] == "b2"
    assert [m["content"] for m in discord.messages(CHANNEL)] == ["a", "b2"]
    assert discord.webhook_posts(url)[1]["allowed_mentions"] == {"parse": []}
    call(discord, "POST", f"/channels/{CHANNEL}/messages/{message['id']}/threads", json={"name": "t"})
    in_thread = requests.post(url, params={"wait": "true", "thread_id": message["id"]}, json={"content": "c"}, timeout=5)
    assert in_thread.json()["channel_id"] == message["id"]
    # the recorded call keeps the token out of its ids except under its own name
    assert discord.calls[-1].ids["webhook_id"] == url.split("/")[-2]


def test_unknown_or_deleted_webhook_is_404_10015(discord: FakeDiscord) -> None:
    url = discord.add_webhook(CHANNEL)
    wrong_token = url.rsplit("/", 1)[0] + "/not-the-token"
    assert requests.post(wrong_token, json={"content": "x"}, timeout=5).json()["code"] == 10015
    discord.delete_webhook(url)
    reply = requests.post(url, json={"content": "x"}, timeout=5)
    assert reply.status_code == 404 and reply.json() == {"message": "Unknown Webhook", "code": 10015}


def test_webhooks_have_their_own_bucket(clock: Clock) -> None:
    with FakeDiscord(clock=clock, bucket_limit=2) as discord:
        url = discord.add_webhook(CHANNEL)
        statuses = [
            requests.post(url, params={"wait": "true"}, json={"content": "x"}, timeout=5).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        assert post(discord, content="bot post, other bucket").status_code == 200


# --------------------------------------------------------------------------- interactions and commands


def test_interaction_callback_original_and_followup(discord: FakeDiscord) -> None:
    discord.open_interaction("900", "itoken")
    deferred = requests.post(
        f"{discord.base_url}/interactions/900/itoken/callback", json={"type": 5, "data": {"flags": 64}}, timeout=5
    )
    assert deferred.status_code == 204
    assert discord.interaction("itoken")["original"]["flags"] == 64 | 128
    again = requests.post(
        f"{discord.base_url}/interactions/900/itoken/callback", json={"type": 4, "data": {"content": "x"}}, timeout=5
    )
    assert again.json()["code"] == 40060
    original = f"{discord.base_url}/webhooks/{APPLICATION_ID}/itoken/messages/@original"
    edited = requests.patch(original, json={"content": "AL: 49.92%", "allowed_mentions": {"parse": []}}, timeout=5)
    assert edited.status_code == 200 and edited.json()["content"] == "AL: 49.92%" and edited.json()["flags"] == 64
    assert requests.get(original, timeout=5).json()["content"] == "AL: 49.92%"
    followup = requests.post(f"{discord.base_url}/webhooks/{APPLICATION_ID}/itoken", json={"content": "more"}, timeout=5)
    assert followup.status_code == 200 and discord.interaction("itoken")["followups"][0]["content"] == "more"
    assert requests.delete(original, timeout=5).status_code == 204
    bodies = [message_body(c) for c in discord.message_calls()]
    assert bodies[-2:] == [{"content": "AL: 49.92%", "allowed_mentions": {"parse": []}}, {"content": "more"}]


def test_interaction_token_expires_after_15_minutes(discord: FakeDiscord, clock: Clock) -> None:
    discord.open_interaction("901", "late")
    clock.now += 901
    reply = requests.post(
        f"{discord.base_url}/interactions/901/late/callback", json={"type": 4, "data": {"content": "x"}}, timeout=5
    )
    assert reply.status_code == 404 and reply.json()["code"] == 10062


def test_bulk_overwrite_of_commands_is_idempotent(discord: FakeDiscord) -> None:
    command = {
        "name": "results",
        "description": "Election results",
        "options": [{"type": 3, "name": "query", "description": "q"}],
    }
    for path in (f"/applications/{APPLICATION_ID}/commands", f"/applications/{APPLICATION_ID}/guilds/77/commands"):
        first = call(discord, "PUT", path, json=[command]).json()
        second = call(discord, "PUT", path, json=[command]).json()
        assert first == second and first[0]["id"].isdigit() and first[0]["name"] == "results"
        assert call(discord, "GET", path).json() == first
    global_id = call(discord, "GET", f"/applications/{APPLICATION_ID}/commands").json()[0]["id"]
    assert call(discord, "GET", f"/applications/{APPLICATION_ID}/guilds/77/commands").json()[0]["id"] != global_id
    assert call(discord, "PUT", f"/applications/{APPLICATION_ID}/commands", token="bad", json=[command]).status_code == 401
    assert call(discord, "PUT", f"/applications/{APPLICATION_ID}/commands", json=[]).json() == []
