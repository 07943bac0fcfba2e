"""``/results alabama chart | map | map margin`` over signed Slack requests: the answer stays with
the asker; the picture goes by DM (conversations.open + the two-step upload) or, with a public
URL and a link-signing key, as an image block on ``/charts/<signed, expiring id>.png`` served by
the same web app, which refuses tampered (403) and expired (404) ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.app.chart_route import LINK_TTL, ChartRef, LinkRefused, chart_app, sign, verify
from bot.app.demo import DEMO_CONTEXT
from bot.app.pictures import PictureDesk, default_figures
from bot.app.settings import Secrets, rule_settings, settings_from_dict
from bot.app.slack_app import create_bolt_app, wsgi_app
from bot.core.commands import parse as parse_command
from bot.core.model import Snapshot
from bot.store.database import Store
from handlers import Services
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_signing import post_signed, slash_body
from tests.fakes.wsgi_server import serve_wsgi

SECRET = "test-signing-secret"
LINK_KEY = "test-link-signing-key"
RULES = rule_settings(
    settings_from_dict(
        {"feeds": [{"name": "al-2017", "kind": "json", "url": "http://127.0.0.1:1/"}], "context": DEMO_CONTEXT}
    )
)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class PictureBot:
    store: Store
    desk: PictureDesk
    base_url: str
    slack: FakeSlack
    clock: Clock

    def ask(self, text: str, *, user: str = "U123", secret: str = SECRET) -> requests.Response:
        body = slash_body(text, channel_id="C123", user_id=user, response_url=self.slack.response_url())
        return post_signed(self.base_url + "/slack/events", body, secret)

    def answer(self, text: str, **kwargs: Any) -> dict[str, Any]:
        resp = self.ask(text, **kwargs)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def wait_sent(self) -> None:
        for thread in self.desk.sending:
            thread.join(timeout=30)


@pytest.fixture(scope="module")
def night_db(tmp_path_factory: pytest.TempPathFactory, night: list[Snapshot]) -> Path:
    """The whole Alabama night committed poll by poll (so the store keeps its history), once."""
    path = tmp_path_factory.mktemp("pictures") / "night.db"
    store = Store(f"sqlite:///{path}")
    for snapshot in night:
        store.commit_poll(snapshot, {}, {}, [])
    store.close()
    return path


@pytest.fixture
def make_bot(night_db: Path, tmp_path: Path) -> Iterator[Callable[..., PictureBot]]:
    cleanup: list[Callable[[], None]] = []

    def make(*, public: bool, figures: dict[str, Any] | None = None) -> PictureBot:
        copy = tmp_path / f"night{len(cleanup)}.db"
        copy.write_bytes(night_db.read_bytes())
        store = Store(f"sqlite:///{copy}")
        slack = FakeSlack().start()
        clock = Clock()
        desk = PictureDesk(store, figures if figures is not None else default_figures(store, RULES), clock=clock)
        app = create_bolt_app(Services(store, RULES, pictures=desk), Secrets("xoxb-test", SECRET, slack.base_url))
        route = chart_app(LINK_KEY, desk.picture, clock=clock)
        served = serve_wsgi(wsgi_app(app, routes={"/charts/": route}))
        if public:
            desk.public_url, desk.signing_key = served.base_url, LINK_KEY
        cleanup.extend([served.shutdown, slack.stop, store.close])
        return PictureBot(store, desk, served.base_url, slack, clock)

    yield make
    for fn in reversed(cleanup):
        fn()


def test_chart_goes_to_the_askers_dm_and_the_answer_stays_ephemeral(make_bot):
    bot = make_bot(public=False)
    answer = bot.answer("alabama chart", user="U777")
    assert answer["response_type"] == "ephemeral"
    assert "direct messages" in answer["text"] and "chart" in answer["text"]
    bot.wait_sent()
    [opened] = [c for c in bot.slack.calls_to("conversations.open") if c.ok]
    assert opened.params["users"] == "U777"
    [shared] = bot.slack.uploads("D777")
    assert shared["bytes"].startswith(b"\x89PNG") and shared["name"].endswith("-chart.png")
    assert "took the lead at 10:07 p.m." in shared["alt_txt"] and "at 10:23 p.m." in shared["alt_txt"]  # in words
    assert bot.slack.uploads("C123") == []  # never into the channel it was asked in


@pytest.mark.parametrize(("text", "suffix"), [("alabama map", "-swing-map.png"), ("AL map margin", "-margin-map.png")])
def test_maps_go_by_dm_too(make_bot, text, suffix):
    bot = make_bot(public=False)
    bot.answer(text)
    bot.wait_sent()
    [shared] = bot.slack.uploads("D123")
    assert shared["name"].endswith(suffix)


def test_with_a_public_url_the_answer_is_an_image_block_served_by_the_web_app(make_bot):
    bot = make_bot(public=True)
    answer = bot.answer("alabama map margin")
    assert answer["response_type"] == "ephemeral"
    [image] = [b for b in answer["blocks"] if b["type"] == "image"]
    url = image["image_url"]
    assert url.startswith(bot.base_url + "/charts/") and url.endswith(".png")
    assert "margin" in image["alt_text"].lower()
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/png"
    assert got.content == bot.desk.picture("al-2017", "AL-1000", "margin_map").png
    assert not bot.slack.calls_to("files.getUploadURLExternal")  # no upload, no DM
    assert not bot.slack.calls_to("conversations.open")


def test_the_route_refuses_tampered_and_expired_ids(make_bot):
    bot = make_bot(public=True)
    [image] = [b for b in bot.answer("alabama chart")["blocks"] if b["type"] == "image"]
    url = image["image_url"]
    token = url.rsplit("/", 1)[1].removesuffix(".png")
    body, signature = token.split(".")
    assert requests.get(url, timeout=10).status_code == 200
    # another race, kind or expiry in the payload, the old signature: 403
    forged = sign("not-the-key", verify(LINK_KEY, token, bot.clock.now))
    assert requests.get(f"{bot.base_url}/charts/{forged}.png", timeout=5).status_code == 403
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert requests.get(f"{bot.base_url}/charts/{body}.{flipped}.png", timeout=5).status_code == 403
    assert requests.get(f"{bot.base_url}/charts/{body}.png", timeout=5).status_code == 403
    assert requests.get(f"{bot.base_url}/charts/garbage!.x.png", timeout=5).status_code == 403
    assert requests.get(f"{bot.base_url}/charts/{token}", timeout=5).status_code == 404  # not a .png
    assert requests.post(url, timeout=5).status_code == 405
    # a race the store does not have, properly signed: 404
    ghost = sign(LINK_KEY, ChartRef("al-2017", "AL-9999", "chart", 1, int(bot.clock.now) + 60))
    assert requests.get(f"{bot.base_url}/charts/{ghost}.png", timeout=5).status_code == 404
    # expiry, at its boundary: the last second works, the expiry second does not
    bot.clock.now += LINK_TTL - 1
    assert requests.get(url, timeout=10).status_code == 200
    bot.clock.now += 1
    assert requests.get(url, timeout=5).status_code == 404


def test_sign_and_verify_round_trip_and_refuse_what_they_should():
    ref = ChartRef("al-2017", "AL-1000", "swing_map", 48, 2_000)
    token = sign(LINK_KEY, ref)
    assert verify(LINK_KEY, token, 1_999) == ref
    for bad, status in [
        (token, 404),  # at expiry
        (token + "x", 403),
        ("a" * 700, 403),
        (sign(LINK_KEY, ChartRef("al-2017", "AL-1000", "pie", 1, 5_000)), 403),
    ]:
        with pytest.raises(LinkRefused) as refused:
            verify(LINK_KEY, bad, 2_000 if bad == token else 0)
        assert refused.value.status == status
    with pytest.raises(LinkRefused):
        verify("another key", token, 0)


def test_a_busy_chart_is_drawn_once_per_snapshot_version(make_bot):
    drawn: list[str] = []
    bot = make_bot(public=True)
    real = bot.desk.figures["chart"]

    def counting(feed: str, race_key: str):
        drawn.append(race_key)
        return real(feed, race_key)

    bot.desk.figures["chart"] = counting
    for _ in range(5):
        bot.answer("alabama chart")
    bot.wait_sent()
    assert drawn == ["AL-1000"]
    # once drawn, the answer carries the picture's own title and alt text (the numbers in words)
    [image] = [b for b in bot.answer("alabama chart")["blocks"] if b["type"] == "image"]
    assert "took the lead at 10:07 p.m." in image["alt_text"]
    # a new poll of the feed is a new version: drawn again, once
    stored = bot.store.load("al-2017")
    bot.store.commit_poll(stored.snapshot, {}, {}, [])
    bot.answer("alabama chart")
    bot.answer("alabama chart")
    bot.wait_sent()
    assert drawn == ["AL-1000", "AL-1000"]


def test_an_unsigned_request_gets_nothing(make_bot):
    bot = make_bot(public=False)
    assert bot.ask("alabama chart", secret="wrong").status_code == 401
    bot.wait_sent()
    assert not bot.slack.calls_to("conversations.open") and bot.slack.uploads() == []


def test_unknown_state_race_and_no_figures_answer_in_words(make_bot):
    bot = make_bot(public=False, figures={})
    assert "not available" in bot.answer("alabama chart")["text"]
    bot = make_bot(public=False)
    answer = bot.answer("wyoming chart")
    assert "no race to draw" in answer["text"].lower()
    bot.wait_sent()
    assert bot.slack.uploads() == []


def test_the_charts_route_is_registered_only_where_links_can_be_signed_and_drawn(night_db, tmp_path):
    from bot.app.pictures import picture_routes, web_desk

    store = Store(f"sqlite:///{night_db}")
    try:
        both = Secrets(
            "xoxb-test", SECRET, "http://127.0.0.1:9/api/", public_url="https://bot.example", link_signing_key=LINK_KEY
        )
        url_only = Secrets("xoxb-test", SECRET, "http://127.0.0.1:9/api/", public_url="https://bot.example")
        assert set(picture_routes(web_desk(store, RULES, None, both))) == {"/charts/"}
        assert picture_routes(web_desk(store, RULES, None, url_only)) == {}
        assert picture_routes(web_desk(store, RULES, False, both)) == {}  # [alerts] pictures = false
        assert picture_routes(None) == {}
        # without the route, the answer goes by DM
        assert web_desk(store, RULES, None, url_only).wants_direct(parse_command("alabama chart"))
        assert not web_desk(store, RULES, None, both).wants_direct(parse_command("alabama chart"))
    finally:
        store.close()


def test_a_burst_of_the_same_picture_draws_once_while_the_first_is_drawing():
    import threading
    import time as clock

    from bot.app.pictures import PictureCache
    from tests.integration.delivery.test_uploads_fake import PICTURE

    cache = PictureCache()
    calls: list[int] = []

    def slow() -> Any:
        calls.append(1)
        clock.sleep(0.2)
        return PICTURE

    got: list[Any] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get_or_draw(("f", "r", "chart", 1), slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(calls) == 1 and got == [PICTURE] * 8
    # another key is not held up by it, and "nothing to draw" is remembered too
    assert cache.get_or_draw(("f", "r", "map", 1), lambda: None) is None
    assert cache.get_or_draw(("f", "r", "map", 1), slow) is None and len(calls) == 1
