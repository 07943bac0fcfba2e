"""Sign interactions as Discord does (Ed25519 over ``timestamp + body``) with a key pair made in
the test, and build the interaction payloads Discord POSTs to ``/discord/interactions``.

Shapes follow Discord's "Interaction Object" (type 1 PING, 2 APPLICATION_COMMAND with
``data.options``, 3 MESSAGE_COMPONENT with ``data.custom_id``); a server's interaction carries
``guild_id`` and ``member``, a DM's only ``user``.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import requests
from nacl.signing import SigningKey

from tests.fakes.discord_api import APPLICATION_ID

GUILD_ID = "1200000000000000001"
CHANNEL_ID = "1200000000000000002"
USER = {"id": "1200000000000000003", "username": "desk", "global_name": "Desk"}
_ids = itertools.count(1_250_000_000_000_000_000)


class Signer:
    """A fresh Ed25519 key pair: ``public_key`` is what ``DISCORD_PUBLIC_KEY`` holds."""

    def __init__(self, seed: bytes | None = None) -> None:
        self.key = SigningKey(seed) if seed else SigningKey.generate()
        self.public_key = self.key.verify_key.encode().hex()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.key.sign(stamp.encode() + body).signature.hex()
        return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": stamp, "Content-Type": "application/json"}

    def post(self, url: str, payload: Any, timestamp: int | None = None) -> requests.Response:
        body = encode(payload)
        return requests.post(url, data=body, headers=self.headers(body, timestamp), timeout=10)


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _base(kind: int, *, channel_id: str, guild: bool) -> dict[str, Any]:
    interaction_id = str(next(_ids))
    payload: dict[str, Any] = {
        "id": interaction_id,
        "application_id": APPLICATION_ID,
        "type": kind,
        "token": f"itoken-{interaction_id}",
        "version": 1,
        "channel_id": channel_id,
        "channel": {"id": channel_id, "type": 0 if guild else 1},
        "locale": "en-US",
    }
    if guild:
        payload["guild_id"] = GUILD_ID
        payload["member"] = {"user": USER, "roles": [], "permissions": "2147483647"}
    else:
        payload["user"] = USER
    return payload


def ping() -> dict[str, Any]:
    return {"id": str(next(_ids)), "application_id": APPLICATION_ID, "type": 1, "token": "ping", "version": 1}


def command(query: str | None, *, channel_id: str = CHANNEL_ID, guild: bool = True) -> dict[str, Any]:
    """``/results [query]`` as Discord sends it (no ``options`` when the query is left out)."""
    payload = _base(2, channel_id=channel_id, guild=guild)
    data: dict[str, Any] = {"id": "1100000000000000009", "name": "results", "type": 1}
    if query is not None:
        data["options"] = [{"name": "query", "type": 3, "value": query}]
    payload["data"] = data
    return payload


def button(custom_id: str, *, channel_id: str = CHANNEL_ID) -> dict[str, Any]:
    """A click on a button of an (ephemeral) answer."""
    payload = _base(3, channel_id=channel_id, guild=True)
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    payload["message"] = {"id": str(next(_ids)), "flags": 64, "content": ""}
    return payload
