"""The Discord interactions app called in-process, as WSGI, with its answers run inline: no
socket and no thread, so the unit tier may use it as well as the integration tier."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from handlers.discord import DiscordInteractions
from tests.fakes.discord_signing import Signer, encode


class Inline(Executor):
    """Runs each answer at once, in the caller's thread, and counts the hand-offs."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        done: Future[Any] = Future()
        done.set_result(fn(*args, **kwargs))
        return done


class NoWebhook:
    """Inline answers are never deferred: nothing may reach the webhook."""

    def edit_original(self, token: str, data: dict[str, Any], picture: Any = None) -> int:
        raise AssertionError("an inline answer was deferred")

    def follow_up(self, token: str, data: dict[str, Any], picture: Any = None) -> int:
        raise AssertionError("an inline answer was deferred")


def ask(app: DiscordInteractions, signer: Signer, payload: dict[str, Any], now: int) -> dict[str, Any]:
    """One signed interaction (signed at ``now``) through the app; its 200 answer."""
    body = encode(payload)
    headers = signer.headers(body, now)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/discord/interactions",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    status: list[str] = []
    out = b"".join(app(environ, lambda s, h: status.append(s)))
    assert status == ["200 OK"], (status, out[:200])
    answer: dict[str, Any] = json.loads(out)
    return answer
