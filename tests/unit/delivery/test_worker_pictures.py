"""Pictures through the worker: drawn when their turn comes, uploaded once whatever the answer
(a lost answer after the share is found by its file; a 5xx before the share is uploaded again,
once), into the race's card thread when the channel has one, else into the channel."""

from __future__ import annotations

from bot.core.events import EventKind
from tests.fakes.sample_alerts import alert, facts, picture, picture_order
from tests.unit.delivery.desk import desk

CALL = alert(0, kind=EventKind.RACE_CALLED)


def _desk(tmp_path, style: str):
    drawn: list[str] = []

    def draw(order):
        drawn.append(order.key)
        return picture()

    d = desk(tmp_path, {"C1": style}, draw=draw)
    d.numbers.facts["AL-1"] = facts("AL-1")
    d.queue("C1", CALL, picture_order(CALL))
    return d, drawn


def test_a_picture_whose_answer_was_lost_after_the_share_is_found_not_uploaded_again(tmp_path):
    d, drawn = _desk(tmp_path, "messages")
    d.sink.lose_next_answer("send_picture")
    d.drain()
    (shared,) = d.sink.pictures("C1")
    assert d.backlog() == {"sent": 2} and d.worker.stats["reconciled"] == 1
    assert len(d.sink.calls_to("send_picture")) == 1 and drawn == [picture_order(CALL).key]
    assert d.message_ids()[1] == shared.file_id  # the row is sent by the file that was shared


def test_a_5xx_before_the_share_uploads_again_once(tmp_path):
    d, _ = _desk(tmp_path, "messages")
    d.sink.fail_next("send_picture")
    d.drain()
    assert len(d.sink.pictures("C1")) == 1 and len(d.sink.calls_to("send_picture")) == 2
    assert [c.outcome for c in d.sink.calls_to("find_picture")] == ["ok"]  # looked for first: not there


def test_a_picture_goes_into_the_cards_thread_and_to_the_channel_when_that_thread_is_gone(tmp_path):
    d, _ = _desk(tmp_path, "cards")
    d.drain()
    (card,) = d.sink.cards("C1")
    (shared,) = d.sink.pictures("C1")
    assert shared.thread_id == card.id

    again = alert(1, kind=EventKind.RACE_CALLED)
    d.queue("C1", again, picture_order(again, "margin_map"))
    d.run(1.5)  # the call goes in the thread; then someone deletes the card
    d.sink.delete_message(card.id)
    d.drain()
    pictures = d.sink.pictures("C1")
    assert len(pictures) == 2 and pictures[1].thread_id is None  # not lost: in the channel
