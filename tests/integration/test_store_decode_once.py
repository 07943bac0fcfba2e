"""A snapshot committed by the worker is decoded once by the web process, whatever the number
of threads asking at that moment: at national size a decode is seconds of CPU, and every gunicorn
thread decoding the same commit at once was the tail ``bench_results --feed national`` measured.
The threads that arrive while it is decoded answer from the version before."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.codec import native
from bot.rehearsal.scenarios import load_scenario
from bot.store.database import Store
from tests.databases import db_url

HALF, LAST = 18, 48


@pytest.fixture
def stores(tmp_path: Path):
    url = db_url(tmp_path / "bot.db")
    worker, web = Store(url), Store(url)
    yield worker, web
    web.close()
    worker.close()


def test_threads_arriving_during_a_decode_answer_from_the_version_before(stores, monkeypatch) -> None:
    worker, web = stores
    night = load_scenario()
    worker.commit_poll(night[HALF], {}, {}, [])
    (half,) = web.latest_snapshots()
    assert half.generated_at == night[HALF].generated_at
    worker.commit_poll(night[LAST], {}, {}, [])

    others_done = threading.Event()
    decodes: list[str] = []
    real_read = native.read

    def slow_read(document: str, feed: str):
        decodes.append(feed)
        assert others_done.wait(10), "the other threads waited for the decode instead of answering"
        return real_read(document, feed)

    monkeypatch.setattr(native, "read", slow_read)
    answers: dict[str, list] = {}

    def ask(name: str) -> None:
        answers[name] = web.latest_snapshots()

    decoder = threading.Thread(target=ask, args=("decoder",))
    decoder.start()
    while not decodes:  # the first thread is inside the decode
        threading.Event().wait(0.01)
    others = [threading.Thread(target=ask, args=(f"t{i}",)) for i in range(3)]
    for t in others:
        t.start()
    for t in others:
        t.join(10)
    others_done.set()
    decoder.join(10)

    assert decodes == [night[LAST].feed]  # one decode for four threads
    assert [answers[f"t{i}"][0].generated_at for i in range(3)] == [night[HALF].generated_at] * 3
    assert answers["decoder"][0].generated_at == night[LAST].generated_at
    (now,) = web.latest_snapshots()  # and from then on, everyone has the new version
    assert now.generated_at == night[LAST].generated_at
    assert decodes == [night[LAST].feed]


def test_with_no_version_before_a_thread_waits_for_the_decode(stores) -> None:
    worker, web = stores
    night = load_scenario()
    worker.commit_poll(night[LAST], {}, {}, [])
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(web.latest_snapshots())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [r[0].generated_at for r in results] == [night[LAST].generated_at] * 4
