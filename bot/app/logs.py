"""Log set-up for every entry point: readable lines by default, JSON lines when ``LOG_FORMAT=json``.

The bot's operational lines (one per poll, per delivery, per command) carry their fields as
``extra={...}`` on the record as well as in the readable message; the JSON formatter writes
those fields as keys, so a log pipeline (Heroku's drains, Loki, CloudWatch) can filter on
``feed`` or ``outcome`` without parsing prose.

Why the standard library and not python-json-logger: the formatter below is twenty lines, the
fields it writes are ours, and it keeps one dependency fewer on a path every process runs.

Secrets never reach a log on purpose; :func:`redact` is the second line of defence for what a
library might say (a token in an error, an API key in a feed URL's query string).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
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


def redact(text: str) -> str:
    """``text`` with anything shaped like a Slack token, a query-string key or a bearer token
    replaced by ``[redacted]`` (feed errors quote URLs, and AP's carry ``apiKey=``)."""
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


def formatter(log_format: str | None = None) -> logging.Formatter:
    """The formatter ``LOG_FORMAT`` asks for: ``json`` or (anything else, the default) text."""
    chosen = (log_format if log_format is not None else os.environ.get("LOG_FORMAT", "text")).strip().lower()
    return JsonFormatter() if chosen == "json" else TextFormatter(TEXT_FORMAT)


_explicit = {"level": False}


def setup(
    level: str | int | None = None, *, default: str = "INFO", log_format: str | None = None, stream: TextIO | None = None
) -> None:
    """Configure the root logger once per process (replacing what was there: gunicorn's worker,
    the CLI and bot/wsgi.py all call this). The level: ``level``, else ``LOG_LEVEL``, else ``default``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_electionbot", False):
            root.removeHandler(old)
    handler._electionbot = True  # type: ignore[attr-defined]  # marks ours, so a second setup replaces it
    root.addHandler(handler)
    chosen = level if level is not None else os.environ.get("LOG_LEVEL") or default
    _explicit["level"] = level is not None or bool(os.environ.get("LOG_LEVEL"))
    root.setLevel(chosen.upper() if isinstance(chosen, str) else chosen)


def running() -> None:
    """A long-running command is up, its config checked: from here its one line per poll,
    delivery and command (INFO) are what an operator reads, so the level drops to INFO unless
    ``LOG_LEVEL`` or ``--log-level`` chose one. Before this, a config error stays one line."""
    if not _explicit["level"]:
        logging.getLogger().setLevel(logging.INFO)
