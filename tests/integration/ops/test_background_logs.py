"""The web processes' log lines are written by a thread of their own (bot/app/logs.py,
``setup(background=True)``): the request that logs never waits for the write, and no line is lost,
reordered or left unredacted, whether the process stops cleanly or forks first (gunicorn)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from bot.app import logs
from bot.app.logs import BackgroundHandler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class SlowStream(io.StringIO):
    """A stream whose writes wait until the test opens the gate (a disk that stalls)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.writes = 0

    def write(self, text: str) -> int:
        self.gate.wait(10)
        self.writes += 1
        return super().write(text)


@pytest.fixture
def handler() -> Iterator[BackgroundHandler]:
    stream = SlowStream()
    made = BackgroundHandler(stream)
    made.setFormatter(logs.formatter("text"))
    log = logging.getLogger("electionbot.test_background")
    log.addHandler(made)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield made
    stream.gate.set()
    log.removeHandler(made)
    log.propagate = True
    made.close()


def test_the_logging_thread_never_waits_for_the_write(handler: BackgroundHandler) -> None:
    stream = handler.stream
    assert isinstance(stream, SlowStream)
    log = logging.getLogger("electionbot.test_background")
    finished = threading.Event()

    def request() -> None:
        for i in range(50):
            log.info("command slack /results %r: state answered in %.1f ms", f"alabama {i}", 0.4)
        finished.set()

    threading.Thread(target=request).start()
    assert finished.wait(5), "the request thread waited for a stalled write"
    assert stream.getvalue() == ""
    stream.gate.set()
    handler.flush()
    lines = stream.getvalue().splitlines()
    assert [line.split("'")[1] for line in lines] == [f"alabama {i}" for i in range(50)]
    assert stream.writes < 50, "a write per line: the queued lines were not written together"


def test_every_line_from_many_threads_is_written_redacted_after_flush(handler: BackgroundHandler) -> None:
    stream = handler.stream
    assert isinstance(stream, SlowStream)
    stream.gate.set()
    log = logging.getLogger("electionbot.test_background")
    args = ["xoxb-1234-secret"]

    def thread(n: int) -> None:
        for i in range(200):
            log.info("thread %d line %d %s", n, i, args)

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    args[0] = "changed after the call"  # the message is the one at the call, as a synchronous handler's
    handler.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 800
    for n in range(4):
        mine = [line for line in lines if f"thread {n} line" in line]
        assert [int(line.split(" line ")[1].split()[0]) for line in mine] == list(range(200))
    assert all("[redacted]" in line and "xoxb-1234" not in line for line in lines)
    assert "changed after the call" not in stream.getvalue()


_CLEAN_STOP = """
import logging, sys
from bot.app import logs
logs.setup("INFO", log_format="text", background=True)
log = logging.getLogger("electionbot.commands")
for i in range(3000):
    log.info("line %d", i)
sys.exit(0)
"""


def test_a_clean_exit_writes_everything_queued() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CLEAN_STOP],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if "electionbot.commands: line " in line]
    assert [int(line.rsplit(" ", 1)[1]) for line in lines] == list(range(3000))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="gunicorn forks on Linux and macOS only")
def test_a_forked_child_writes_its_own_lines(tmp_path) -> None:
    path = tmp_path / "child.log"
    with open(path, "w", encoding="utf-8") as stream:
        made = BackgroundHandler(stream)
        made.setFormatter(logs.formatter("text"))
        log = logging.getLogger("electionbot.test_fork")
        log.addHandler(made)
        log.setLevel(logging.INFO)
        log.propagate = False
        try:
            log.info("parent before the fork")  # the parent's writer thread is running now
            made.flush()
            pid = os.fork()
            if pid == 0:  # the child: no writer thread came with the fork
                try:
                    log.info("child line")
                    made.flush()
                finally:
                    os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert status == 0
            log.info("parent after the fork")
            made.flush()
        finally:
            log.removeHandler(made)
            log.propagate = True
            made.close()
    text = path.read_text(encoding="utf-8")
    assert text.count("parent before the fork") == 1 and "child line" in text and "parent after the fork" in text
