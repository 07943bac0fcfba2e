"""The neutral answer (issue 14) and its Discord rendering (issue 15).

The answer is data: no platform's markup in its spans; Slack's ``*bold*`` and backticks appear
only once its renderer ran, Discord's ``**bold**`` only in Discord's. Discord's message stays
within Discord's limits and never pings, whatever the answer holds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app.settings import load_recount_rules
from bot.core.answer import Answer, AnswerKind, Emphasis, Span, code, line, strong
from bot.core.rules import RuleSettings
from bot.rehearsal.scenarios import load_scenario
from bot.render.answers import answer
from bot.render.discord_answers import (
    CUSTOM_ID_MAX,
    DESCRIPTION_MAX,
    SHARE_PREFIX,
    discord_message,
    escape,
)
from bot.render.slack_answers import slack_message
from bot.render.status_answers import status_answer, subscriptions_answer
from tests.fakes.discord_api import _Rejected, validate_message

RULES = RuleSettings(recount_rules=load_recount_rules())
QUERIES = [
    "alabama",
    "alabama jefferson",
    "close",
    "senate",
    "help",
    "",
    "alabma",
    "jefferson",
    "moore",
    "al swing",
    "x" * 300,
]
#: what would ping or mention on Discord if it reached a message as typed
PINGS = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


@pytest.fixture(scope="module")
def night():
    return load_scenario()


def all_text(message: dict) -> str:
    parts = [str(message.get("content") or "")]
    for embed in message.get("embeds") or []:
        parts += [str(embed.get("title") or ""), str(embed.get("description") or "")]
        parts.append(str((embed.get("footer") or {}).get("text") or ""))
        parts += [str(f.get("name", "")) + str(f.get("value", "")) for f in embed.get("fields") or []]
    return "\n".join(parts)


@pytest.mark.parametrize("query", QUERIES)
def test_the_answer_holds_no_platform_markup(night, query: str) -> None:
    said = answer(query, [night[-1]], RULES)
    lines = [*said.lines, *said.extra, *([said.note] if said.note else []), *([said.footer] if said.footer else [])]
    for ln in lines:
        for span in ln:
            assert isinstance(span, Span)
            assert not re.search(r"\*[^*\s][^*]*\*|`", span.text), (query, span)


def test_emphasis_is_data_and_each_platform_writes_its_own() -> None:
    note = Answer(kind=AnswerKind.NOTE, note=line("Did you mean ", strong("Alabama"), "? (", code("/results alabama"), ")"))
    assert [s.emphasis for s in note.note or ()] == [
        Emphasis.PLAIN,
        Emphasis.STRONG,
        Emphasis.PLAIN,
        Emphasis.CODE,
        Emphasis.PLAIN,
    ]
    assert slack_message(note)["text"] == "Did you mean *Alabama*? (`/results alabama`)"
    assert discord_message(note)["content"] == "Did you mean **Alabama**? (`/results alabama`)"


def test_older_callers_may_still_give_strings_and_kind_by_name() -> None:
    legacy = Answer(kind="list", title="T", lines=("a line",), footer="as of now")
    assert legacy.kind is AnswerKind.LIST and legacy.lines == (line("a line"),) and legacy.footer == line("as of now")


def test_alabama_on_discord_has_slacks_numbers(night) -> None:
    said = answer("alabama", [night[-1]], RULES)
    message = discord_message(said)
    shown = all_text(message)
    for figure in ("49.92 %", "48.38 %", "20,715", "Doug Jones", "Called"):
        assert figure in shown, (figure, shown)
    assert message["embeds"][0]["title"].startswith("Alabama")
    assert message["allowed_mentions"] == {"parse": []}
    button = message["components"][0]["components"][0]
    assert button["custom_id"] == SHARE_PREFIX + said.query and button["type"] == 2
    validate_message(message)


def test_a_query_too_long_for_a_custom_id_gets_no_button() -> None:
    long_query = "a" * (CUSTOM_ID_MAX - len(SHARE_PREFIX) + 1)
    fits = "a" * (CUSTOM_ID_MAX - len(SHARE_PREFIX))
    assert "components" not in discord_message(Answer(kind="list", title="t", lines=("x",), query=long_query))
    assert "components" in discord_message(Answer(kind="list", title="t", lines=("x",), query=fits))


def test_a_long_list_is_cut_at_a_line_within_discords_limits() -> None:
    lines = tuple(line("• ", strong(f"County {i:03}"), ": " + "x" * 60) for i in range(400))
    message = discord_message(Answer(kind="list", title="T" * 400, lines=lines, footer=line("F" * 3000), query="q"))
    validate_message(message)  # title 256, description 4,096, footer 2,048, 6,000 in all
    embed = message["embeds"][0]
    assert len(embed["title"]) == 256 and len(embed["footer"]["text"]) == 2048
    assert embed["description"].endswith("\n…")
    assert all(x.startswith("• **County") for x in embed["description"].split("\n")[:-1])
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    assert total <= 6000 and len(embed["description"]) <= DESCRIPTION_MAX


def test_a_list_that_fits_exactly_is_not_cut() -> None:
    one = "y" * 99
    lines = tuple(line(one) for _ in range(40))  # 40 × 99 + 39 newlines = 3,999 characters
    embed = discord_message(Answer(kind="list", title="t", lines=lines))["embeds"][0]
    assert embed["description"] == "\n".join([one] * 40)


def test_status_and_subscriptions_render_on_discord() -> None:
    now = datetime(2017, 12, 13, 4, tzinfo=UTC)
    status = discord_message(status_answer([], {"pending": 2, "sent": 5, "failed": 0}, [], now))
    assert "Alert outbox: 2 pending · 5 sent · 0 failed" in all_text(status)
    subs = discord_message(subscriptions_answer([("AL", "quiet")]))
    assert "Alabama: **quiet**" in all_text(subs)


def test_the_slack_rendering_is_todays(night) -> None:
    said = answer("senate", [night[-1]], RULES)
    message = slack_message(said)
    assert message["blocks"][1]["text"]["text"].startswith("• *Alabama U.S. Senate*: ")


HOSTILE = st.sampled_from(
    ["@everyone", "@here", "<@123456789012345678>", "<@&1>", "<#2>", "**", "`", "[x](https://e)", "> ", "# "]
)


@settings(max_examples=100, deadline=None)
@given(parts=st.lists(st.tuples(st.one_of(HOSTILE, st.text(max_size=20)), st.sampled_from(list(Emphasis))), max_size=12))
def test_no_span_can_ping_or_escape_its_emphasis_on_discord(parts: list[tuple[str, Emphasis]]) -> None:
    ln = tuple(Span(text, emphasis) for text, emphasis in parts)
    for said in (
        Answer(kind="note", note=ln),
        Answer(kind="list", title="".join(t for t, _ in parts), lines=(ln, ln), footer=ln, query="q"),
    ):
        message = discord_message(said)
        validate_message(message)
        assert message["allowed_mentions"] == {"parse": []}
        assert not PINGS.search(all_text(message)), all_text(message)


def test_escaped_text_reads_as_typed() -> None:
    assert escape("**@everyone** <@&123>") == "\\*\\*@\u200beveryone\\*\\* \\<@\u200b&123\\>"
    with pytest.raises(_Rejected):  # the limit check itself bites
        validate_message({"content": "x" * 2001})
