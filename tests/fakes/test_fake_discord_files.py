"""Prove the fake Discord takes files as Discord documents it (Uploading Files): a
``multipart/form-data`` body with the message as ``payload_json`` and each file as ``files[n]``,
described by the ``attachments`` entry whose ``id`` is ``n``; the size limits (25 MiB for a bot
or an interaction, 8 MiB through an incoming webhook, 413 with code 40005 over them) pinned at
the boundary with small limits; and the bytes, name and payload recorded for the tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.discord_api import APPLICATION_ID, FILE_LIMIT, WEBHOOK_FILE_LIMIT, FakeDiscord

CHANNEL = "1000000000000000001"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LIMIT, WEBHOOK_LIMIT = 4096, 2048


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with FakeDiscord(file_limit=LIMIT, webhook_file_limit=WEBHOOK_LIMIT) as fake:
        yield fake


def payload(name: str = "chart.png", description: str | None = "Jones leads by 20,715", **extra: Any) -> dict[str, Any]:
    attachment: dict[str, Any] = {"id": 0, "filename": name}
    if description is not None:
        attachment["description"] = description
    return {
        "content": "The night's chart",
        "embeds": [{"title": "Alabama", "image": {"url": f"attachment://{name}"}}],
        "attachments": [attachment],
        "allowed_mentions": {"parse": []},
        **extra,
    }


def send(
    url: str, body: dict[str, Any] | None, files: dict[str, bytes], headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    """Always ``multipart/form-data`` (``payload_json`` a part of its own, as Discord's libraries send it)."""
    parts: dict[str, tuple[str | None, bytes | str, str]] = {
        field: ("chart.png", data, "image/png") for field, data in files.items()
    }
    if body is not None:
        parts["payload_json"] = (None, json.dumps(body), "application/json")
    return requests.request(kwargs.pop("method", "POST"), url, files=parts, headers=headers or {}, timeout=5, **kwargs)


def test_a_message_with_a_file_carries_it_and_the_fake_records_bytes_name_and_payload(discord: FakeDiscord) -> None:
    reply = send(f"{discord.base_url}/channels/{CHANNEL}/messages", payload(), {"files[0]": PNG}, discord.auth_headers())
    assert reply.status_code == 200, reply.text
    message = reply.json()
    [attachment] = message["attachments"]
    assert attachment["filename"] == "chart.png" and attachment["size"] == len(PNG)
    assert attachment["description"] == "Jones leads by 20,715" and attachment["content_type"] == "image/png"
    assert message["embeds"][0]["image"] == {"url": attachment["url"]}  # attachment:// resolved, as Discord does
    [upload] = discord.uploads(CHANNEL)
    assert upload.data == PNG and upload.filename == "chart.png" and upload.message_id == message["id"]
    assert upload.description == "Jones leads by 20,715" and upload.payload["content"] == "The night's chart"
    assert discord.attachment_bytes(attachment["id"]) == PNG
    [call] = discord.calls_to("POST /channels/{channel_id}/messages")
    assert call.body["allowed_mentions"] == {"parse": []} and [f.index for f in call.files] == [0]
    assert discord.messages(CHANNEL)[0]["attachments"] == [attachment]


def test_an_embed_naming_no_uploaded_file_shows_no_image(discord: FakeDiscord) -> None:
    body = payload()
    body["embeds"][0]["image"] = {"url": "attachment://other.png"}
    message = send(f"{discord.base_url}/channels/{CHANNEL}/messages", body, {"files[0]": PNG}, discord.auth_headers())
    assert message.status_code == 200 and "image" not in message.json()["embeds"][0]


def test_an_attachment_entry_for_a_file_not_sent_is_invalid_form_body(discord: FakeDiscord) -> None:
    body = payload()
    body["attachments"][0]["id"] = 1
    reply = send(f"{discord.base_url}/channels/{CHANNEL}/messages", body, {"files[0]": PNG}, discord.auth_headers())
    assert reply.status_code == 400 and reply.json()["code"] == 50035
    assert discord.uploads() == []


def test_alt_text_is_at_most_1024_characters(discord: FakeDiscord) -> None:
    url = f"{discord.base_url}/channels/{CHANNEL}/messages"
    at_limit = send(url, payload(description="x" * 1024), {"files[0]": PNG}, discord.auth_headers())
    over = send(url, payload(description="x" * 1025), {"files[0]": PNG}, discord.auth_headers())
    assert at_limit.status_code == 200
    assert over.status_code == 400 and "attachments" in over.json()["errors"]


def test_a_file_alone_is_a_message_and_an_empty_form_is_not(discord: FakeDiscord) -> None:
    url = f"{discord.base_url}/channels/{CHANNEL}/messages"
    alone = send(url, None, {"files[0]": PNG}, discord.auth_headers())
    assert alone.status_code == 200 and alone.json()["attachments"][0]["filename"] == "chart.png"
    empty = send(url, {"content": ""}, {}, discord.auth_headers())
    assert empty.status_code == 400 and empty.json()["code"] == 50006


def test_sizes_at_the_limit_pass_and_one_byte_over_is_413_40005(discord: FakeDiscord) -> None:
    assert (FILE_LIMIT, WEBHOOK_FILE_LIMIT) == (25 * 1024 * 1024, 8 * 1024 * 1024)  # the defaults are Discord's
    url = f"{discord.base_url}/channels/{CHANNEL}/messages"
    assert send(url, payload(), {"files[0]": b"x" * LIMIT}, discord.auth_headers()).status_code == 200
    over = send(url, payload(), {"files[0]": b"x" * (LIMIT + 1)}, discord.auth_headers())
    assert over.status_code == 413 and over.json() == {"message": "Request entity too large", "code": 40005}
    hook = discord.add_webhook(CHANNEL)
    assert send(hook, payload(), {"files[0]": b"x" * WEBHOOK_LIMIT}, params={"wait": "true"}).status_code == 200
    over_hook = send(hook, payload(), {"files[0]": b"x" * (WEBHOOK_LIMIT + 1)}, params={"wait": "true"})
    assert over_hook.status_code == 413 and over_hook.json()["code"] == 40005
    assert [len(u.data) for u in discord.uploads(CHANNEL)] == [LIMIT, WEBHOOK_LIMIT]


def test_an_enforced_nonce_keeps_a_second_upload_from_landing(discord: FakeDiscord) -> None:
    url = f"{discord.base_url}/channels/{CHANNEL}/messages"
    body = payload(nonce="n-1", enforce_nonce=True)
    first = send(url, body, {"files[0]": PNG}, discord.auth_headers()).json()
    again = send(url, body, {"files[0]": PNG}, discord.auth_headers()).json()
    assert again["id"] == first["id"] and len(discord.uploads(CHANNEL)) == 1 and len(discord.messages(CHANNEL)) == 1


def test_a_deferred_interaction_is_completed_with_a_file_and_a_follow_up_carries_one(discord: FakeDiscord) -> None:
    discord.open_interaction("9001", "itoken")
    callback = requests.post(
        f"{discord.base_url}/interactions/9001/itoken/callback", json={"type": 5, "data": {"flags": 64}}, timeout=5
    )
    assert callback.status_code == 204
    base = f"{discord.base_url}/webhooks/{APPLICATION_ID}/itoken"
    edited = send(f"{base}/messages/@original", payload(), {"files[0]": PNG}, method="PATCH")
    assert edited.status_code == 200, edited.text
    original = discord.interaction("itoken")["original"]
    assert original["flags"] == 64  # still only the asker's, and no longer "thinking"
    assert original["attachments"][0]["description"] == "Jones leads by 20,715"
    assert original["embeds"][0]["image"]["url"] == original["attachments"][0]["url"]
    followed = send(base, {**payload(), "flags": 0}, {"files[0]": PNG})
    assert followed.status_code == 200 and followed.json()["attachments"][0]["filename"] == "chart.png"
    assert [u.channel for u in discord.uploads()] == ["", ""] and all(u.data == PNG for u in discord.uploads())
