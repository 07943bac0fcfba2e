"""Pictures through the outbox: the Alabama night's call brings the chart and the swing map,
queued right after it and uploaded exactly once (paced like posts, retried, reconciled by their
file after a lost answer), into the card's thread or right after the call."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.app.pictures import PictureDesk
from bot.core.picture_orders import PictureOrder
from bot.core.targets import Target
from bot.render.picture import Picture
from tests.fakes.slack_api import UPLOAD_METHOD, FakeSlack
from tests.integration.delivery.harness import alert_keys, build, unsent
from tests.integration.delivery.test_uploads_fake import tiny_png

CHANNELS = {"C1": "messages", "C2": "cards"}


def stub_figures(drawn: Counter[str] | None = None):
    """Figures that draw a tiny PNG per (race, kind): delivery is under test here, not drawing."""

    def figure(kind: str):
        def draw(feed: str, race_key: str) -> Picture:
            if drawn is not None:
                drawn[kind] += 1
            return Picture(tiny_png(len(kind)), f"{race_key}-{kind}.png", f"{race_key} {kind}", f"{kind} alt text")

        return draw

    return {kind: figure(kind) for kind in ("chart", "swing_map", "margin_map")}


def night(tmp_path, slack, *, channels=CHANNELS, figures=None, **kwargs):
    poller, worker, store = build(f"sqlite:///{tmp_path / 'night.db'}", slack.base_url, channels, **kwargs)
    desk = PictureDesk(store, figures if figures is not None else stub_figures())
    poller.pictures = desk.orders
    worker.draw = desk.draw
    return poller, worker, store, desk


def run(poller, worker, store, *, until_unsent: float = 20.0) -> None:
    import time

    while poller.poll().status != "unchanged":
        worker.deliver_due()
    deadline = time.monotonic() + until_unsent
    while unsent(store) and time.monotonic() < deadline:
        worker.deliver_due()
        time.sleep(0.01)
    assert not unsent(store), store.backlog()


def test_the_call_brings_the_chart_and_the_swing_map_once_each_in_order(tmp_path):
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack)
        run(poller, worker, store)
        for channel in CHANNELS:
            uploads = slack.uploads(channel)
            assert [u["name"] for u in uploads] == ["AL-1000-chart.png", "AL-1000-swing_map.png"], channel
            assert all(u["bytes"] == tiny_png(len(u["name"].split("-")[-1].removesuffix(".png"))) for u in uploads)
        # messages: right after the call, in the channel, before anything newer
        history = slack.messages("C1")
        first = next(i for i, m in enumerate(history) if m.get("files"))
        assert "RACE CALLED" in history[first - 1]["text"]
        assert [bool(m.get("files")) for m in history[first : first + 3]] == [True, True, False]
        # cards: in the race's card thread, the call's thread
        card_ts = next(
            m["ts"] for m in slack.messages("C2") if (m.get("metadata") or {}).get("event_type") == "electionbot_card"
        )
        assert {u["thread_ts"] for u in slack.uploads("C2")} == {card_ts}
        assert worker.stats["pictures"] == 4
        assert store.backlog().get("sent", 0) >= 4


def test_pictures_are_paced_like_posts_in_the_channel(tmp_path):
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack, min_interval=0.2)
        run(poller, worker, store, until_unsent=60)
        shares = [c for c in slack.calls_to("files.completeUploadExternal") if c.ok and c.params["channel_id"] == "C1"]
        posts = [c for c in slack.calls_to("chat.postMessage") if c.ok and c.params["channel"] == "C1"]
        times = sorted([c.at for c in shares] + [c.at for c in posts])
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert len(shares) == 2 and min(gaps) >= 0.2 - 0.01


def test_a_429_on_the_share_waits_and_shares_once(tmp_path):
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack, channels={"C1": "messages"})
        slack.fail_next("files.completeUploadExternal", 429, retry_after=1)
        slack.fail_next(UPLOAD_METHOD, 503)
        run(poller, worker, store)
        assert len(slack.uploads("C1")) == 2
        assert worker.stats["rate_limited"] >= 1


def test_a_lost_answer_to_the_share_is_found_by_its_file_and_not_uploaded_again(tmp_path):
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack, channels={"C1": "messages"})
        slack.lose_next_answer("files.completeUploadExternal")
        run(poller, worker, store)
        assert len(slack.uploads("C1")) == 2  # not 3
        assert len(slack.calls_to("files.getUploadURLExternal")) == 2
        assert worker.stats["reconciled"] >= 1 and slack.calls_to("files.info")


def test_an_upload_never_completed_is_done_again_after_the_check(tmp_path):
    """The file id was recorded, the completion never arrived (a dropped connection): the file
    is in no channel, so the picture is uploaded afresh, once."""
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack, channels={"C1": "messages"})
        slack.fail_next("files.completeUploadExternal", drop=True)
        run(poller, worker, store)
        assert len(slack.uploads("C1")) == 2
        assert len(slack.calls_to("files.getUploadURLExternal")) == 3
        assert slack.calls_to("files.info")


def test_a_crash_after_the_share_is_reconciled_on_restart(tmp_path):
    """The worker dies between the share and the "sent" mark (on_posted raises): a new worker on
    the same store finds the file shared (files.info) and does not upload it again."""
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack, channels={"C1": "messages"})

        def die(row):
            if isinstance(row.alert, PictureOrder):
                raise KeyboardInterrupt("simulated crash after the share")

        worker.on_posted = die
        with pytest.raises(KeyboardInterrupt):
            run(poller, worker, store)
        store.close()
        poller, worker, store, _ = night(tmp_path, slack, channels={"C1": "messages"})
        run(poller, worker, store)
        assert len(slack.uploads("C1")) == 2
        assert worker.stats["reconciled"] == 1
        # and the alerts themselves are still exactly once
        keys = Counter(alert_keys(slack.posts("C1")))
        assert keys and max(keys.values()) == 1


def test_drawn_once_per_picture_and_a_failed_drawing_skips_only_the_picture(tmp_path):
    drawn: Counter[str] = Counter()
    figures = stub_figures(drawn)

    def broken(feed, race_key):
        raise RuntimeError("figure bug")

    figures["swing_map"] = broken
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack, figures=figures)
        run(poller, worker, store)
        assert drawn["chart"] == 1  # two channels, one drawing (cached by snapshot version)
        assert [u["name"] for u in slack.uploads("C1")] == [slack.uploads("C1")[0]["name"]]
        assert worker.stats["pictures_skipped"] == 2
        assert store.backlog().get("skipped", 0) >= 2


def test_orders_only_follow_calls_to_uploading_platforms(tmp_path):
    with FakeSlack() as slack:
        poller, worker, store, desk = night(tmp_path, slack, channels={"C1": "messages"})
        run(poller, worker, store)
        assert desk.orders.__self__ is desk
        from bot.core.events import Alert

        [(_, call)] = [
            (c, a) for c, a in store.sent_alerts("slack") if isinstance(a, Alert) and "race_called" in str(a.to_dict())
        ]
        assert [o.picture for o in desk.orders(call, Target("slack", "C1"))] == ["chart", "swing_map"]
        assert desk.orders(call, Target("console", "console")) == []
        assert PictureDesk(store, {}).orders(call, Target("slack", "C1")) == []


def test_pictures_off_queue_nothing(tmp_path):
    with FakeSlack() as slack:
        poller, worker, store = build(f"sqlite:///{tmp_path / 'off.db'}", slack.base_url, {"C1": "messages"})
        run(poller, worker, store)
        assert slack.uploads() == [] and not slack.calls_to("files.getUploadURLExternal")


@pytest.mark.parametrize(("setting", "on"), [(False, False), (True, True), (None, True)])
def test_the_alerts_pictures_switch_wires_the_runtime(tmp_path, setting, on):
    """``[alerts] pictures``: off queues and draws nothing; unset is on where matplotlib is (here)."""
    import io

    from bot.app.runtime import Runtime
    from bot.app.settings import Secrets, settings_from_dict

    alerts = {"channels": ["C1"]} | ({} if setting is None else {"pictures": setting})
    settings = settings_from_dict(
        {"feeds": [{"name": "al-2017", "kind": "json", "url": "http://127.0.0.1:1/"}], "alerts": alerts}
    )
    runtime = Runtime.build(
        settings,
        Secrets("xoxb-test", "secret", "http://127.0.0.1:9/api/"),
        console=io.StringIO(),
        database_url=f"sqlite:///{tmp_path / 'rt.db'}",
    )
    try:
        assert (runtime.worker.draw is not None) is on
        assert (runtime.pollers[0].pictures is not None) is on
        assert runtime.pictures is not None and runtime.pictures.platforms == {"slack"}  # the console uploads nothing
    finally:
        runtime.close()


def test_a_card_thread_gone_sends_the_picture_to_the_channel_once(tmp_path):
    """Sharing into a deleted card's thread is refused: the picture goes to the channel instead,
    in the same turn (nothing was shared), never lost and never twice."""
    with FakeSlack() as slack:
        poller, worker, store, _ = night(tmp_path, slack, channels={"C2": "cards"})
        slack.fail_next("files.completeUploadExternal", 200, body={"ok": False, "error": "invalid_thread_ts"})
        run(poller, worker, store)
        uploads = slack.uploads("C2")
        assert [(u["name"], u["thread_ts"] is None) for u in uploads] == [
            ("AL-1000-chart.png", True),
            ("AL-1000-swing_map.png", False),
        ]
        assert worker.stats["pictures"] == 2
