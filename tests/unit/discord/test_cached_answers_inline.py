"""A ``/results`` already rendered for the snapshots the store still holds is answered in the
request's thread; anything that needs work (the first ask, a poll landed since, a store command)
still goes through the executor, which defers past ``defer_after``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from bot.app.settings import load_recount_rules
from bot.core.rules import RuleSettings
from bot.rehearsal.scenarios import load_scenario
from bot.render.discord_answers import SHARE_PREFIX
from bot.store.database import Store
from handlers.discord import DiscordInteractions
from handlers.services import Services
from tests.fakes.discord_signing import Signer, button, command, encode

NOW = 1_733_086_800
RULES = RuleSettings(recount_rules=load_recount_rules())


class Counting(Executor):
    """Runs each answer at once and counts the hand-offs."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        done: Future[Any] = Future()
        done.set_result(fn(*args, **kwargs))
        return done


class NoWebhook:
    def edit_original(self, token: str, data: dict[str, Any], picture: Any = None) -> int:
        raise AssertionError("an inline answer was deferred")

    def follow_up(self, token: str, data: dict[str, Any], picture: Any = None) -> int:
        raise AssertionError("an inline answer was deferred")


def ask(app: DiscordInteractions, signer: Signer, payload: dict[str, Any]) -> dict[str, Any]:
    body = encode(payload)
    headers = signer.headers(body, NOW)
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


def test_a_cached_answer_skips_the_executor_until_a_poll_lands(tmp_path: Path) -> None:
    night = load_scenario()
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    worker = Store(store.url)  # the poller's process, as far as SQLite can tell
    try:
        store.commit_poll(night[-2], {}, {}, [])
        signer, executor = Signer(), Counting()
        app = DiscordInteractions(
            Services(store, RULES), signer.public_key, NoWebhook(), clock=lambda: NOW, executor=executor
        )
        first = ask(app, signer, command("alabama"))
        assert executor.submitted == 1, "the first answer is made on the executor"
        for _ in range(3):
            assert ask(app, signer, command("alabama")) == first
        assert executor.submitted == 1, "a cached answer went through the executor"
        assert ask(app, signer, button(SHARE_PREFIX + "alabama"))["data"]["flags"] == 0
        assert executor.submitted == 2, "the share button's answer (no share button on it) is made once"
        ask(app, signer, button(SHARE_PREFIX + "alabama"))
        assert executor.submitted == 2

        worker.commit_poll(night[-1], {}, {}, [])  # a poll lands: the next answer is the new one
        after = ask(app, signer, command("alabama"))
        assert executor.submitted == 3 and after != first
        assert "49.92" in json.dumps(after) and "20,715" in json.dumps(after)
        ask(app, signer, command("status"))
        ask(app, signer, command("status"))
        assert executor.submitted == 5, "a store command is never answered from the cache"
    finally:
        worker.close()
        store.close()
