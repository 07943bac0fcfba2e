"""Every real sink keeps the written contract of bot/delivery/sink.py: the two methods every sink
has, and exactly the optional capabilities the worker will use with it (it checks with isinstance
against runtime-checkable Protocols, which look only at the names: a capability half-implemented
would be called and fail on the night)."""

from __future__ import annotations

import inspect
import io

import pytest
from slack_sdk import WebClient

from bot.delivery.console import ConsoleSink
from bot.delivery.discord import DiscordSink
from bot.delivery.sink import CardSink, HistorySink, RollupSink, Sink, SummarySink, UploadSink
from bot.delivery.slack import SlackSink

CAPABILITIES = {
    "history": HistorySink,
    "summary": SummarySink,
    "rollup": RollupSink,
    "cards": CardSink,
    "uploads": UploadSink,
}


def _sinks() -> dict[str, object]:
    return {
        "slack": SlackSink(WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/")),
        "console": ConsoleSink(io.StringIO()),
        "discord": DiscordSink("http://127.0.0.1:9/api/v10", "bot-token", ["http://127.0.0.1:9/api/v10/webhooks/1/t"]),
    }


@pytest.mark.parametrize("name", ["slack", "console", "discord"])
def test_every_sink_posts_alerts_and_digests_and_names_its_platform_and_pace(name: str) -> None:
    sink = _sinks()[name]
    assert sink.platform == name
    assert isinstance(sink.min_interval, float)
    assert callable(sink.send) and callable(sink.send_digest)


@pytest.mark.parametrize(
    ("name", "has"),
    [
        ("slack", {"history", "summary", "rollup", "cards", "uploads"}),
        ("console", set()),
        ("discord", {"history", "summary", "rollup", "cards", "uploads"}),
    ],
)
def test_a_sink_has_whole_capabilities_only(name: str, has: set[str]) -> None:
    sink = _sinks()[name]
    assert {cap for cap, proto in CAPABILITIES.items() if isinstance(sink, proto)} == has
    for cap, proto in CAPABILITIES.items():
        members = [m for m in vars(proto) if not m.startswith("_")] + list(getattr(proto, "__annotations__", {}))
        present = {m for m in members if hasattr(sink, m) and m != "send"}
        assert present in (set(), set(members) - {"send"}), f"{name} has part of {cap}: {sorted(present)}"


@pytest.mark.parametrize("name", ["slack", "console", "discord"])
def test_a_sink_takes_the_contracts_keywords(name: str) -> None:
    """The worker calls ``send``, ``find_posted`` and ``send_picture`` by keyword (``thread_id=``):
    isinstance does not compare signatures, so a sink whose parameter kept another name (Slack's
    ``thread_ts``) would pass the checks above and fail with a TypeError on the night."""
    sink = _sinks()[name]
    for proto in (Sink, *CAPABILITIES.values()):
        if proto is not Sink and not isinstance(sink, proto):
            continue
        for member, declared in vars(proto).items():
            if member.startswith("_") or not callable(declared):
                continue
            promised = {p.name: p.kind for p in inspect.signature(declared).parameters.values() if p.name != "self"}
            taken = {p.name: p.kind for p in inspect.signature(getattr(sink, member)).parameters.values()}
            assert {n: taken.get(n) for n in promised} == promised, f"{name}.{member} vs {proto.__name__}"
