"""Discord's ``/results <state>`` reads only that state's races, as Slack's does (issue 13 + 15):
before, the interactions app answered from ``latest_snapshots`` and decoded the whole national
snapshot after every commit (seconds of CPU in the web process, answers deferred past 2 s in
``bench_results --feed national --platform discord``). Counts of races decoded, never timings."""

from __future__ import annotations

from bot.core.commands import parse
from bot.render.answers import answer_command
from bot.render.discord_answers import discord_message
from bot.store.database import Store
from handlers import Services
from handlers.discord import DiscordInteractions
from tests.fakes.discord_inline import Inline, NoWebhook, ask
from tests.fakes.discord_signing import Signer, command
from tests.integration.test_results_state_read import RULES, _night, decoded, stores  # noqa: F401  (fixtures)

NOW = 1_733_086_800


def test_a_discord_state_answer_decodes_only_that_state_and_matches_the_whole_read(stores, decoded) -> None:  # noqa: F811
    worker, web = stores
    first, second = _night()
    worker.commit_poll(first, {}, {}, [])
    worker.commit_poll(second, {}, {}, [])
    signer = Signer()
    app = DiscordInteractions(Services(web, RULES), signer.public_key, NoWebhook(), clock=lambda: NOW, executor=Inline())
    texts = ["georgia", "georgia senate", "texas swing", "wyoming"]
    asked = [ask(app, signer, command(text), NOW)["data"] for text in texts]
    assert len(set(decoded)) < len(second.races) / 5, "a whole national snapshot was decoded"
    whole = Store(web.url).latest_snapshots()
    for text, data in zip(texts, asked, strict=True):
        expected = discord_message(answer_command(parse(text), whole, RULES), share_button=True)
        assert {k: v for k, v in data.items() if k != "flags"} == expected, text
    assert sum("embeds" in data for data in asked) >= 2  # real answers, not notes only
