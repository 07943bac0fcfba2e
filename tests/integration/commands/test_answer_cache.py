"""``handlers.answering.AnswerCache.get_or_make`` (threads: the integration tier): the answer a burst asks for at once is made by
one thread, whatever the others do meanwhile (a poll changes every request's key at once)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from handlers.answering import AnswerCache

ASKERS = 20


def ask_together(cache: AnswerCache, make: Any) -> list[Any]:
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(ASKERS)

    def asker() -> None:
        start.wait()
        try:
            value: Any = cache.get_or_make("georgia@v2", make)
        except Exception as exc:  # what the one making it raised
            value = exc
        with lock:
            results.append(value)

    threads = [threading.Thread(target=asker) for _ in range(ASKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_twenty_threads_asking_at_once_make_the_answer_once() -> None:
    cache = AnswerCache()
    made: list[int] = []

    def make() -> dict[str, Any]:
        made.append(1)
        time.sleep(0.2)  # the others arrive while it is being made
        return {"text": "Georgia", "made": len(made)}

    results = ask_together(cache, make)
    assert len(made) == 1
    assert len(results) == ASKERS and all(r is results[0] for r in results)
    assert cache.get("georgia@v2") is results[0]
    assert cache.get_or_make("georgia@v2", make) is results[0] and len(made) == 1


def test_a_failure_reaches_everyone_waiting_and_the_next_ask_tries_again() -> None:
    cache = AnswerCache()
    calls: list[int] = []

    def broken() -> dict[str, Any]:
        calls.append(1)
        time.sleep(0.2)
        raise ValueError("the snapshot could not be read")

    results = ask_together(cache, broken)
    assert len(calls) == 1
    assert len(results) == ASKERS and all(isinstance(r, ValueError) for r in results)
    assert cache.get("georgia@v2") is None
    with pytest.raises(ValueError):
        cache.get_or_make("georgia@v2", broken)
    assert len(calls) == 2, "a failed answer was remembered"
    assert cache.get_or_make("georgia@v2", lambda: {"text": "ok"}) == {"text": "ok"}
