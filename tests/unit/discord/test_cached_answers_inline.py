"""A ``/results`` already rendered for the snapshots the store still holds is answered in the
request's thread; anything that needs work (the first ask, a poll landed since, a store command)
still goes through the executor, which defers past ``defer_after``."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app.settings import load_recount_rules
from bot.core.rules import RuleSettings
from bot.rehearsal.scenarios import load_scenario
from bot.render.discord_answers import SHARE_PREFIX
from bot.store.database import Store
from handlers.discord import DiscordInteractions
from handlers.services import Services
from tests.fakes.discord_inline import Inline, NoWebhook, ask
from tests.fakes.discord_signing import Signer, button, command

NOW = 1_733_086_800
RULES = RuleSettings(recount_rules=load_recount_rules())


def test_a_cached_answer_skips_the_executor_until_a_poll_lands(tmp_path: Path) -> None:
    night = load_scenario()
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    worker = Store(store.url)  # the poller's process, as far as SQLite can tell
    try:
        store.commit_poll(night[-2], {}, {}, [])
        signer, executor = Signer(), Inline()
        app = DiscordInteractions(
            Services(store, RULES), signer.public_key, NoWebhook(), clock=lambda: NOW, executor=executor
        )
        first = ask(app, signer, command("alabama"), NOW)
        assert executor.submitted == 1, "the first answer is made on the executor"
        for _ in range(3):
            assert ask(app, signer, command("alabama"), NOW) == first
        assert executor.submitted == 1, "a cached answer went through the executor"
        assert ask(app, signer, button(SHARE_PREFIX + "alabama"), NOW)["data"]["flags"] == 0
        assert executor.submitted == 2, "the share button's answer (no share button on it) is made once"
        ask(app, signer, button(SHARE_PREFIX + "alabama"), NOW)
        assert executor.submitted == 2

        worker.commit_poll(night[-1], {}, {}, [])  # a poll lands: the next answer is the new one
        after = ask(app, signer, command("alabama"), NOW)
        assert executor.submitted == 3 and after != first
        assert "49.92" in json.dumps(after) and "20,715" in json.dumps(after)
        ask(app, signer, command("status"), NOW)
        ask(app, signer, command("status"), NOW)
        assert executor.submitted == 5, "a store command is never answered from the cache"
    finally:
        worker.close()
        store.close()
