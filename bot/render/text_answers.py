"""A ``/results`` answer as the console's text (the demo, the CLI, logs).

The console has no markup, but a list's labels and a note's names keep the asterisks and
backticks the desk is used to reading in plain text; the help, meant to be read as usage, shows
the command word bare.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.answer import Answer, AnswerKind, Emphasis, Span
from bot.render.text import race_card_text

_MARK = {Emphasis.PLAIN: "", Emphasis.STRONG: "*", Emphasis.CODE: "`"}
_HELP_MARK = {**_MARK, Emphasis.STRONG: ""}


def line_text(parts: Iterable[Span], marks: dict[Emphasis, str] = _MARK) -> str:
    return "".join(f"{marks[s.emphasis]}{s.text}{marks[s.emphasis]}" for s in parts)


def answer_text(answer: Answer) -> str:
    kind = answer.kind
    if kind == AnswerKind.CARD:
        assert answer.facts is not None
        return "\n".join([race_card_text(answer.facts), *(line_text(x) for x in answer.extra)])
    if kind == AnswerKind.LIST:
        footer = [line_text(answer.footer)] if answer.footer else []
        return "\n".join([answer.title or "", *(line_text(x) for x in answer.lines), *footer])
    if kind == AnswerKind.NOTE:
        return line_text(answer.note or ())
    return "\n".join(line_text(x, _HELP_MARK) for x in answer.lines)
