"""Fuzz /results text through the WSGI handler: always a 200 inside the ack window, an ephemeral
answer (unless `share` asked for a real answer in the channel), never a raw mention, never a crash."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.commands import parse
from tests.integration.commands.conftest import LAST, texts

FRAGMENTS = st.sampled_from(
    [
        "alabama",
        "AL",
        "jefferson",
        "st. clair",
        "de kalb",
        "senate",
        "house",
        "close",
        "status",
        "help",
        "share",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "quiet",
        "cards",
        "<@U123>",
        "<!channel>",
        "<!here|here>",
        "&lt;!everyone&gt;",
        "<#C1|general>",
        "<https://evil.example|click>",
        "*",
        "_",
        "`",
        "~",
        ">",
        "&amp;",
        "\x00",
        "\u202e",
        "\n",
        "\t",
        "é",
        "ñ",
        "🗳",
    ]
)
TEXT = st.one_of(
    st.text(max_size=250),
    st.lists(FRAGMENTS, max_size=12).map(" ".join),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=10).map("".join),
)


def test_fuzz_results_text(make_bot, night) -> None:
    bot = make_bot(night[LAST])

    @settings(
        max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    @given(text=TEXT)
    def check(text: str) -> None:
        started = time.monotonic()
        resp = bot.ask(text)
        elapsed = time.monotonic() - started
        assert resp.status_code == 200, (text, resp.status_code, resp.text)
        assert elapsed < 3.0, (text, elapsed)
        body = resp.json()
        assert body.get("text"), text
        assert "Sorry" not in body["text"], ("the handler raised", text)
        cmd = parse(text)
        assert body["response_type"] == "ephemeral" or (cmd.share and cmd.read_only), (text, body["response_type"])
        shown = texts(body)
        assert "<@" not in shown and "<!" not in shown and "<#" not in shown, (text, shown)

    check()
