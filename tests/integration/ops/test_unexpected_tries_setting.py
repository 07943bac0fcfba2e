"""``[alerts] unexpected_tries`` reaches the delivery worker the runtime builds: a desk that would
rather hear of a stuck alert sooner (or later) than after 5 bot-bug failures can say so."""

from __future__ import annotations

from bot.delivery.worker import UNEXPECTED_TRIES


def test_the_setting_reaches_the_worker(ops_bot) -> None:
    assert ops_bot().runtime.worker.unexpected_tries == UNEXPECTED_TRIES
    assert ops_bot(alerts={"unexpected_tries": 2}).runtime.worker.unexpected_tries == 2
