"""``/results alabama chart | map | map margin`` over Discord's interactions endpoint, signed with a
key pair made in the test: answered at once with a private deferral (type 5: an interaction's
HTTP answer cannot carry a file, and a cold chart draws for seconds), then completed against the
fake Discord by a multipart edit of ``@original`` carrying the PNG, whose alt text states the
numbers; ``share`` posts the picture in the channel as a follow-up. The picture is the desk's
cached one (by race and snapshot version): a burst draws once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.app.discord_app import InteractionWebhookClient
from bot.app.pictures import PictureDesk, default_figures
from bot.core.commands import parse
from bot.store.database import Store
from handlers import Services
from handlers.discord import DiscordInteractions
from tests.fakes.discord_api import APPLICATION_ID, FakeDiscord
from tests.fakes.discord_signing import Signer, command
from tests.fakes.wsgi_server import serve_wsgi
from tests.integration.commands.test_picture_commands import RULES, night_db  # noqa: F401  (a fixture)

ORIGINAL = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
FOLLOW_UP = "POST /webhooks/{webhook_id}/{webhook_token}"


class Gated(ThreadPoolExecutor):
    """The answer's thread pool, held until the test opens the gate: what the endpoint says
    before any drawing can have happened is then the whole of its HTTP answer."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.gate = threading.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def held() -> Any:
            self.gate.wait(30)
            return fn(*args, **kwargs)

        return super().submit(held)


@dataclass
class Desk:
    url: str
    signer: Signer
    discord: FakeDiscord
    pictures: PictureDesk
    executor: Gated

    def ask(self, query: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The signed interaction, our HTTP answer, and that answer relayed as Discord does."""
        payload = command(query)
        self.discord.open_interaction(payload["id"], payload["token"])
        reply = self.signer.post(self.url, payload).json()
        url = f"{self.discord.base_url}/interactions/{payload['id']}/{payload['token']}/callback"
        assert requests.post(url, json=reply, timeout=5).status_code == 204
        return payload, reply


@pytest.fixture
def desk(tmp_path: Path, night_db: Path) -> Iterator[Desk]:  # noqa: F811
    copy = tmp_path / "night.db"
    copy.write_bytes(night_db.read_bytes())
    store = Store(f"sqlite:///{copy}")
    pictures = PictureDesk(store, default_figures(store, RULES))
    signer = Signer()
    executor = Gated()
    with FakeDiscord() as discord:
        app = DiscordInteractions(
            Services(store, RULES, pictures=pictures),
            signer.public_key,
            InteractionWebhookClient(discord.base_url, APPLICATION_ID),
            executor=executor,
        )
        with serve_wsgi(app) as served:
            yield Desk(served.base_url, signer, discord, pictures, executor)
        executor.gate.set()
        executor.shutdown(wait=True)
    store.close()


def test_a_chart_is_deferred_at_once_then_arrives_as_a_png_whose_alt_text_states_the_numbers(desk: Desk) -> None:
    payload, reply = desk.ask("alabama chart")
    assert reply == {"type": 5, "data": {"flags": 64}}  # nothing drawn yet: the answer did not wait for it
    assert desk.pictures.cache.draws == 0
    desk.executor.gate.set()
    desk.discord.wait_for(lambda: [c for c in desk.discord.calls_to(ORIGINAL) if c.ok], timeout=60)
    [edit] = desk.discord.calls_to(ORIGINAL)
    assert edit.ids["message_id"] == "@original" and [f.index for f in edit.files] == [0]
    original = desk.discord.interaction(payload["token"])["original"]
    assert original["flags"] == 64  # only the asker sees it, and it is no longer "thinking"
    [attachment] = original["attachments"]
    [upload] = desk.discord.uploads("")
    feed, race_key, _ = desk.pictures.race_for(parse("alabama chart"))
    drawn = desk.pictures.picture(feed, race_key, "chart")
    assert drawn is not None and upload.data == drawn.png and upload.data.startswith(b"\x89PNG")
    assert attachment["filename"] == upload.filename == "al-u-s-senate-2017-chart.png"
    alt = attachment["description"]
    for figure in ("49.92 %", "48.38 %", "20,715", "Doug Jones", "Roy Moore", "10:07 p.m.", "10:23 p.m."):
        assert figure in alt, figure
    assert original["embeds"][0]["image"]["url"] == attachment["url"]  # the embed shows it
    assert edit.body["allowed_mentions"] == {"parse": []} and desk.discord.calls_to(FOLLOW_UP) == []
    assert desk.pictures.cache.draws == 1


@pytest.mark.parametrize(("query", "name"), [("alabama map", "swing-map"), ("alabama map margin", "margin-map")])
def test_the_maps_come_the_same_way(desk: Desk, query: str, name: str) -> None:
    payload, reply = desk.ask(query)
    assert reply == {"type": 5, "data": {"flags": 64}}
    desk.executor.gate.set()
    desk.discord.wait_for(lambda: [c for c in desk.discord.calls_to(ORIGINAL) if c.ok], timeout=60)
    [attachment] = desk.discord.interaction(payload["token"])["original"]["attachments"]
    assert attachment["filename"] == f"al-u-s-senate-2017-{name}.png" and "67" in attachment["description"]


def test_share_posts_the_picture_in_the_channel_and_tells_the_asker(desk: Desk) -> None:
    payload, reply = desk.ask("share alabama chart")
    assert reply == {"type": 5, "data": {"flags": 64}}
    desk.executor.gate.set()
    desk.discord.wait_for(lambda: [c for c in desk.discord.calls_to(FOLLOW_UP) if c.ok], timeout=60)
    interaction = desk.discord.interaction(payload["token"])
    assert interaction["original"]["content"] == "Shared in the channel." and interaction["original"]["flags"] == 64
    [posted] = interaction["followups"]
    assert posted["flags"] == 0 and posted["attachments"][0]["filename"] == "al-u-s-senate-2017-chart.png"
    assert "20,715" in posted["attachments"][0]["description"]
    assert [u.filename for u in desk.discord.uploads("")] == ["al-u-s-senate-2017-chart.png"]  # once, in the channel


def test_a_burst_of_the_same_chart_draws_once(desk: Desk) -> None:
    asked = [desk.ask("alabama chart")[0] for _ in range(4)]
    desk.executor.gate.set()
    desk.discord.wait_for(lambda: len([c for c in desk.discord.calls_to(ORIGINAL) if c.ok]) == 4, timeout=90)
    assert desk.pictures.cache.draws == 1 and desk.pictures.cache.hits >= 3
    assert len({u.data for u in desk.discord.uploads("")}) == 1
    assert all(desk.discord.interaction(p["token"])["original"]["attachments"] for p in asked)


def test_no_race_to_draw_is_said_privately_and_nothing_is_uploaded(desk: Desk) -> None:
    payload, reply = desk.ask("share wyoming chart")
    assert reply == {"type": 5, "data": {"flags": 64}}
    desk.executor.gate.set()
    desk.discord.wait_for(lambda: [c for c in desk.discord.calls_to(ORIGINAL) if c.ok], timeout=30)
    original = desk.discord.interaction(payload["token"])["original"]
    assert original["content"].startswith("There is no race to draw for WY") and original["flags"] == 64
    assert desk.discord.uploads() == [] and desk.discord.calls_to(FOLLOW_UP) == []
