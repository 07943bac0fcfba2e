"""The console sink: the demo's output, and a log of alerts on a headless worker."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.core.digest import Digest
from bot.core.events import Alert
from bot.render.digest import digest_text
from bot.render.text import alert_text


class ConsoleSink:
    platform = "console"
    min_interval = 0.0  # a terminal has no rate limit

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def send(self, alert: Alert, channel: str) -> str | None:
        self.stream.write(alert_text(alert) + "\n\n")
        self.stream.flush()
        return None

    def send_digest(self, digest: Digest, channel: str) -> str | None:
        self.stream.write(digest_text(digest) + "\n\n")
        self.stream.flush()
        return None
