"""Log set-up for every entry point: readable lines by default, JSON lines when ``LOG_FORMAT=json``.

The bot's operational lines (one per poll, per delivery, per command) carry their fields as
``extra={...}`` on the record as well as in the readable message; the JSON formatter writes
those fields as keys, so a log pipeline (Heroku's drains, Loki, CloudWatch) can filter on
``feed`` or ``outcome`` without parsing prose.

Why the standard library and not python-json-logger: the formatter below is twenty lines, the
fields it writes are ours, and it keeps one dependency fewer on a path every process runs.

Secrets never reach a log on purpose; :func:`redact` is the second line of defence for what a
library might say (a token in an error, an API key in a feed URL's query string).

The web processes write in the background (``setup(background=True)``): a ``/results`` request
only hands its record to a queue, and a writer thread formats, redacts and writes whatever has
queued up in one write. Formatting and redacting one command line in the request thread cost
about 90 µs (time, format, three regexes, the handler's lock and a flushed write per line), an
eighth of a request's whole CPU at 20 concurrent, and the lock made the four request threads queue
for one another's writes (benchmarks/bench_results.py).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import sys
import threading
import time
import weakref
from datetime import UTC, datetime
from typing import Any, TextIO

#: LogRecord's own attributes; anything else on a record came in through ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SECRETS = (
    re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+"),  # Slack bot, user, app-level and refresh tokens
    re.compile(r"(?i)\b((?:api[_-]?key|apikey|token|key|secret|password|signature|sig)=)[^&\s\"']+"),
    re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=-]+"),
)


def _may_hold_secret(text: str) -> bool:
    """What each of ``_SECRETS`` needs to match at all: a line with none of these (almost every
    line) is returned as it is, about 1 µs, instead of three substitutions (about 28 µs)."""
    return "=" in text or "xox" in text or "xapp" in text or "bearer" in text.lower()


def redact(text: str) -> str:
    """``text`` with anything shaped like a Slack token, a query-string key or a bearer token
    replaced by ``[redacted]`` (feed errors quote URLs, and AP's carry ``apiKey=``)."""
    if not _may_hold_secret(text):
        return text
    text = _SECRETS[0].sub("[redacted]", text)
    for pattern in _SECRETS[1:]:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The readable format, redacted like the JSON one."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


#: how long the writer lets lines gather after the first before it writes them
BATCH_SECONDS = 0.05


class BackgroundHandler(logging.Handler):
    """Writes records to ``stream`` from a thread of its own, many lines per write.

    ``emit`` (the caller's thread) only fixes the message (a mutable argument is read now, as a
    synchronous handler would) and queues the record. The writer thread starts at the first record
    in each process: a thread does not survive gunicorn's fork, so a child starts its own, with
    its own queue and locks.
    ``flush`` waits until what was queued is written: ``logging.shutdown`` at exit flushes every
    handler, so nothing queued is lost on a clean stop."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self._fresh()
        fresh = weakref.WeakMethod(self._fresh)  # the writer and its locks stay in the parent
        os.register_at_fork(after_in_child=lambda: (method := fresh()) is not None and method())

    def _fresh(self) -> None:
        """No writer yet in this process, nothing queued."""
        self._pid = -1
        self._queue: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
        self._written = threading.Condition()
        self._queued = self._done = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.args:
                record.msg, record.args = record.getMessage(), None
            with self._written:
                if self._pid != os.getpid():
                    self._pid = os.getpid()
                    threading.Thread(target=self._write_forever, name="log-writer", daemon=True).start()
                self._queued += 1
            self._queue.put(record)
        except Exception:
            self.handleError(record)

    def _write_forever(self) -> None:
        while True:
            batch = [self._queue.get()]
            # what a burst logs meanwhile goes out with this line: one wake-up (and one GIL hand-off
            # to this thread) per batch rather than per request
            time.sleep(BATCH_SECONDS)
            while len(batch) < 1000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records = [r for r in batch if r is not None]
            try:
                if records:
                    self.stream.write("".join(self.format(r) + "\n" for r in records))
                    self.stream.flush()
            except Exception:
                for record in records:
                    self.handleError(record)
            with self._written:
                self._done += len(records)
                self._written.notify_all()
            if len(records) < len(batch):  # close(): the sentinel
                return

    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` seconds) until every record queued so far is written."""
        if self._pid != os.getpid():
            return
        with self._written:
            target = self._queued
            self._written.wait_for(lambda: self._done >= target, timeout)

    def close(self) -> None:
        self.flush()
        if self._pid == os.getpid():
            self._queue.put(None)
            self._pid = -1
        super().close()


def formatter(log_format: str | None = None) -> logging.Formatter:
    """The formatter ``LOG_FORMAT`` asks for: ``json`` or (anything else, the default) text."""
    chosen = (log_format if log_format is not None else os.environ.get("LOG_FORMAT", "text")).strip().lower()
    return JsonFormatter() if chosen == "json" else TextFormatter(TEXT_FORMAT)


_explicit = {"level": False}


def setup(
    level: str | int | None = None,
    *,
    default: str = "INFO",
    log_format: str | None = None,
    stream: TextIO | None = None,
    background: bool = False,
) -> None:
    """Configure the root logger once per process (replacing what was there: gunicorn's worker,
    the CLI and bot/wsgi.py all call this). The level: ``level``, else ``LOG_LEVEL``, else ``default``.
    ``background``: lines are written by a thread of their own (:class:`BackgroundHandler`): the
    web processes, where a line per ``/results`` is on the request's path."""
    handler: logging.Handler = (
        BackgroundHandler(stream or sys.stderr) if background else logging.StreamHandler(stream or sys.stderr)
    )
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_electionbot", False):
            root.removeHandler(old)
            if isinstance(old, BackgroundHandler):
                old.close()
    handler._electionbot = True  # type: ignore[attr-defined]  # marks ours, so a second setup replaces it
    root.addHandler(handler)
    chosen = level if level is not None else os.environ.get("LOG_LEVEL") or default
    _explicit["level"] = level is not None or bool(os.environ.get("LOG_LEVEL"))
    root.setLevel(chosen.upper() if isinstance(chosen, str) else chosen)


def running(*, background: bool = False) -> None:
    """A long-running command is up, its config checked: from here its one line per poll,
    delivery and command (INFO) are what an operator reads, so the level drops to INFO unless
    ``LOG_LEVEL`` or ``--log-level`` chose one. Before this, a config error stays one line.
    ``background``: from here the bot's handler writes from a thread of its own (a web process)."""
    root = logging.getLogger()
    if not _explicit["level"]:
        root.setLevel(logging.INFO)
    if background:
        for old in list(root.handlers):
            if getattr(old, "_electionbot", False) and isinstance(old, logging.StreamHandler):
                new = BackgroundHandler(old.stream)
                new.setFormatter(old.formatter)
                new._electionbot = True  # type: ignore[attr-defined]  # as above
                root.removeHandler(old)
                root.addHandler(new)
