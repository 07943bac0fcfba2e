"""One structured line per poll, per delivery and per command, as JSON lines under
``LOG_FORMAT=json`` (bot/app/logs.py), captured from the real poller, worker and /results."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import logs
from tests.integration.ops.conftest import CHANNEL, FEED


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == kind]


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    """The process's log set-up as ``LOG_FORMAT=json LOG_LEVEL=INFO`` makes it, into a buffer."""
    monkeypatch.setenv("LOG_FORMAT", "json")
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    logs.setup("INFO", stream=stream)
    yield Captured(stream)
    for handler in [h for h in root.handlers if getattr(h, "_electionbot", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_one_line_per_poll_with_its_figures_and_the_alerts_at_debug(ops_bot, json_logs: Captured) -> None:
    bot = ops_bot()
    bot.runtime.pollers[0].on_queued = None
    result = bot.runtime.pollers[0].poll()
    assert result.status == "changed" and result.alerts
    (poll,) = json_logs.events("poll")
    events = sum(len(alert.events) for alert in result.alerts)
    assert events > 10
    assert poll["level"] == "info" and poll["logger"] == "electionbot.poller"
    assert {k: poll[k] for k in ("feed", "status", "bytes", "events", "alerts", "queued")} == {
        "feed": FEED,
        "status": "changed",
        "bytes": len(bot.body),
        "events": events,
        "alerts": len(result.alerts),
        "queued": result.queued,
    }
    assert 0 < poll["parse_ms"] <= poll["poll_ms"]
    assert poll["message"].startswith(f"poll {FEED}: changed, {len(bot.body)} bytes, parse ")
    poller_lines = [line for line in json_logs.lines() if line["logger"] == "electionbot.poller"]
    assert poller_lines == [poll], "the per-alert lines are at debug, not info"

    assert bot.runtime.pollers[0].poll().status == "unchanged"
    second = json_logs.events("poll")[1]
    assert second["status"] == "unchanged" and second["events"] == 0 and second["queued"] == 0


def test_the_per_alert_lines_are_still_there_at_debug(ops_bot, json_logs: Captured) -> None:
    logs.setup("DEBUG", stream=json_logs.stream)
    bot = ops_bot()
    result = bot.runtime.pollers[0].poll()
    debug = [line for line in json_logs.lines() if line["logger"] == "electionbot.poller" and line["level"] == "debug"]
    assert len(debug) == len(result.alerts) and "race_called" in debug[0]["message"]


def test_a_failed_poll_has_its_line_too(ops_bot, json_logs: Captured) -> None:
    bot = ops_bot(feed_url="http://127.0.0.1:9/feed.json")
    assert bot.runtime.pollers[0].poll().status == "failed"
    (poll,) = json_logs.events("poll")
    assert poll["status"] == "failed" and poll["bytes"] == 0 and poll["events"] == 0


def test_one_line_per_delivery_with_channel_key_outcome_and_latency(ops_bot, json_logs: Captured) -> None:
    bot = ops_bot()
    bot.runtime.pollers[0].on_queued = None
    result = bot.runtime.pollers[0].poll()
    bot.clock.advance(7)
    sent = bot.runtime.worker.deliver_due()
    deliveries = json_logs.events("delivery")
    assert len(deliveries) == sent == result.queued
    keys = {alert.key for alert in result.alerts}
    for line in deliveries:
        assert line["platform"] == "slack" and line["channel"] == CHANNEL and line["outcome"] == "sent"
        assert line["latency_ms"] == 7000 and line["alerts"] == 1
        assert line["alert_key"] in keys or line["alert_key"].startswith(f"{FEED}/")
        assert line["level"] == "info" and line["logger"] == "electionbot.delivery"


def test_a_delivery_retried_after_a_429_says_so_on_its_line(ops_bot, json_logs: Captured) -> None:
    bot = ops_bot()
    bot.runtime.pollers[0].on_queued = None
    bot.runtime.pollers[0].poll()
    bot.slack.fail_next("chat.postMessage", status=429, retry_after=3)
    bot.runtime.worker.deliver_due()
    retry = [line for line in json_logs.events("delivery") if line["outcome"] == "retry"]
    assert len(retry) == 1 and retry[0]["level"] == "warning" and retry[0]["latency_ms"] is None


def test_one_line_per_command_without_the_payloads_secrets(ops_bot, json_logs: Captured) -> None:
    bot = ops_bot()
    bot.runtime.pollers[0].poll()
    assert bot.ask("alabama").status_code == 200
    assert bot.ask("help xoxb-1234-5678-pasted-by-mistake").status_code == 200
    first, second = json_logs.events("command")
    assert {k: first[k] for k in ("platform", "command", "query", "kind", "outcome")} == {
        "platform": "slack",
        "command": "/results",
        "query": "alabama",
        "kind": "state",
        "outcome": "answered",
    }
    assert first["latency_ms"] > 0 and first["logger"] == "electionbot.commands"
    assert "xoxb-1234" not in json.dumps(second) and "[redacted]" in second["query"]
    everything = json_logs.stream.getvalue()
    assert "fake-verification-token" not in everything, "the payload's token never reaches a log"
    assert bot.slack.response_url() not in everything


def test_text_lines_by_default(ops_bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    stream = io.StringIO()
    logs.setup("INFO", stream=stream)
    try:
        ops_bot().runtime.pollers[0].poll()
    finally:
        for handler in [h for h in logging.getLogger().handlers if getattr(h, "_electionbot", False)]:
            logging.getLogger().removeHandler(handler)
    line = next(line for line in stream.getvalue().splitlines() if "electionbot.poller" in line)
    assert f"INFO electionbot.poller: poll {FEED}: changed, " in line and not line.startswith("{")


@pytest.mark.parametrize(
    "text",
    [
        "token xoxb-123-456-abcdef in a message",
        "app token xapp-1-A0-123-abc",
        "https://api.ap.org/v2/elections?apiKey=sekrit&level=ru",
        "Authorization: Bearer abc.def.ghi",
    ],
)
def test_redact_hides_tokens_and_keys(text: str) -> None:
    hidden = logs.redact(text)
    assert "[redacted]" in hidden
    for secret in ("xoxb-123", "xapp-1", "sekrit", "abc.def"):
        assert secret not in hidden
