"""Live cards through the worker: one card per race, edited in place as the numbers move, the
race's alerts in its thread; a deleted card posted anew once, the rest following it; a card that
is not the bot's posted anew once and then frozen, never a loop of new cards."""

from __future__ import annotations

import logging

from bot.core.events import EventKind
from bot.delivery.sink import Gone, MessageGone
from tests.fakes.sample_alerts import alert, facts
from tests.unit.delivery.desk import desk


def _night(tmp_path, **options):
    d = desk(tmp_path, {"C1": "cards"}, **options)
    d.numbers.facts["AL-1"] = facts("AL-1", (100, 90))
    return d


def test_a_card_is_posted_once_and_edited_in_place_with_the_alerts_in_its_thread(tmp_path):
    d = _night(tmp_path)
    alerts = [alert(0), alert(1, kind=EventKind.LEAD_CHANGE), alert(2)]
    d.queue("C1", *alerts)
    d.drain()
    (card,) = d.sink.cards("C1")
    assert [m.keys[0] for m in d.sink.thread(card.id)] == d.keys(alerts)
    assert [m.broadcast for m in d.sink.thread(card.id)] == [False, True, False]  # a lead change is shown in the channel too
    assert card.edits == 0  # the numbers did not move

    d.numbers.facts["AL-1"] = facts("AL-1", (200, 150))
    d.run(2)
    assert card.edits == 1 and card.facts == d.numbers.facts["AL-1"]
    d.run(2)
    assert card.edits == 1  # unchanged numbers: no edit
    assert len(d.sink.cards("C1")) == 1 and d.store.card("AL-1", "C1", "memory").message_id == card.id


def test_a_deleted_card_is_posted_anew_once_and_everything_moves_to_it(tmp_path, caplog):
    caplog.set_level(logging.WARNING, "electionbot.delivery")
    d = _night(tmp_path)
    d.queue("C1", alert(0))
    d.drain()
    (old,) = d.sink.cards("C1")
    d.sink.delete_message(old.id)
    d.numbers.facts["AL-1"] = facts("AL-1", (300, 200))
    d.run(3)
    old_again, new = d.sink.cards("C1")
    assert old_again is old and new.id != old.id
    assert [c.outcome for c in d.sink.calls_to("update_card")][:1] == ["gone"]
    stored = d.store.card("AL-1", "C1", "memory")
    assert stored.status == "live" and stored.message_id == new.id and stored.retired == (old.id,)

    d.queue("C1", alert(1))
    d.numbers.facts["AL-1"] = facts("AL-1", (400, 200))
    d.drain()
    d.run(2)
    assert [m.keys[0] for m in d.sink.thread(new.id)] == [alert(1).key]
    assert new.edits >= 1 and all(c.message_id == new.id for c in d.sink.calls_to("update_card")[1:])
    assert len(d.sink.cards("C1")) == 2 and d.worker.stats["cards_lost"] == 1
    assert len([r for r in caplog.records if "posting a new one" in r.getMessage()]) == 1


def test_a_card_that_is_not_ours_is_posted_anew_once_then_frozen(tmp_path):
    d = _night(tmp_path)
    d.queue("C1", alert(0))
    d.drain()
    not_ours = MessageGone("cant_update_message", Gone.NOT_OURS, code="cant_update_message")
    d.sink.refuse_next("update_card", not_ours, times=2)
    for votes in range(5):
        d.numbers.facts["AL-1"] = facts("AL-1", (500 + votes, 200))
        d.run(2)
    first, second = d.sink.cards("C1")
    stored = d.store.card("AL-1", "C1", "memory")
    assert stored.status == "frozen" and stored.message_id == second.id
    assert [c.message_id for c in d.sink.calls_to("update_card")] == [first.id, second.id]  # then no more edits
    d.queue("C1", alert(1))
    d.drain()
    assert [m.keys[0] for m in d.sink.thread(second.id)] == [alert(1).key]  # its alerts still go out, in its thread
    assert len(d.sink.cards("C1")) == 2


def test_a_lost_card_post_is_found_not_posted_again(tmp_path):
    d = _night(tmp_path)
    d.queue("C1", alert(0))
    d.sink.lose_next_answer("post_card")
    d.drain()
    (card,) = d.sink.cards("C1")
    assert d.store.card("AL-1", "C1", "memory").message_id == card.id
    assert [m.keys[0] for m in d.sink.thread(card.id)] == [alert(0).key]
    assert d.worker.stats["cards_reconciled"] == 1


def _card_bug(d, race_key: str, method: str) -> list[int]:
    """The card's renderer (or the client under it) fails for one race: a bug, not a platform error."""
    real = getattr(d.sink, method)
    raised = [0]

    def failing(facts, *args, **kwargs):
        if facts.race_key == race_key:
            raised[0] += 1
            raise TypeError("card renderer: unsupported operand type(s) for +: 'int' and 'NoneType'")
        return real(facts, *args, **kwargs)

    setattr(d.sink, method, failing)
    return raised


def test_a_card_that_cannot_be_drawn_costs_its_card_not_its_alerts_nor_the_channel(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, "electionbot.delivery")
    d = _night(tmp_path)
    d.numbers.facts["AL-2"] = facts("AL-2", (50, 40))
    raised = _card_bug(d, "AL-1", "post_card")
    bad = [alert(0), alert(1)]
    good = [alert(0, "AL-2")]
    d.queue("C1", *bad, *good)
    d.drain()

    assert d.backlog() == {"sent": 3}  # nothing lost, nothing held
    assert d.sink.posted_keys("C1") == d.keys(bad + good)  # each once, in order
    (card,) = d.sink.cards("C1")  # AL-2 still gets its card, its alert in the thread
    assert [m.keys[0] for m in d.sink.thread(card.id)] == d.keys(good)  # AL-1's in the channel on their own
    assert raised[0] == 1  # tried once, not once per alert or per round
    said = [r for r in caplog.records if r.levelno >= logging.WARNING and "AL-1" in r.getMessage()]
    assert len(said) == 1 and "TypeError" in said[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG]


def test_a_card_whose_edit_cannot_be_drawn_leaves_the_other_cards_edited(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, "electionbot.delivery")
    d = _night(tmp_path)
    d.numbers.facts["AL-2"] = facts("AL-2", (50, 40))
    d.queue("C1", alert(0), alert(0, "AL-2"))
    d.drain()
    first, second = d.sink.cards("C1")
    raised = _card_bug(d, "AL-1", "card_message")
    d.numbers.facts["AL-1"] = facts("AL-1", (200, 150))
    d.numbers.facts["AL-2"] = facts("AL-2", (80, 70))
    d.run(6)
    assert second.edits == 1 and first.edits == 0  # the broken card alone is left as it was
    assert raised[0] >= 1
    said = [r for r in caplog.records if r.levelno >= logging.WARNING and "AL-1" in r.getMessage()]
    assert len(said) == 1 and "TypeError" in said[0].getMessage()

    d.queue("C1", alert(1))  # the channel's alerts still go, into the card's thread
    d.drain()
    assert [m.keys[0] for m in d.sink.thread(first.id)] == [alert(0).key, alert(1).key]
