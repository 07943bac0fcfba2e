"""What ``/results`` says, as data: the platform-neutral answer each chat platform renders.

Why structured and not a string: Slack writes emphasis as ``*bold*`` and code as backticks, Discord
as ``**bold**``; and user text echoed back must be inert on each (``<!channel>`` on Slack,
``@everyone`` or ``**`` on Discord). So an answer holds lines of spans, each span a piece of text
with its emphasis as data, and only a platform's renderer (``bot.render.slack_answers``,
``bot.render.discord_answers``, ``bot.render.text_answers``) turns that into its syntax and escapes
what came from outside. No markup of any platform is written here or in ``bot.render.answers``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.core.events import RaceFacts

__all__ = ["Answer", "AnswerKind", "Emphasis", "Line", "Span", "code", "line", "plain_text", "strong"]


class Emphasis(StrEnum):
    """How a span stands out: a name or label (strong), a command to type (code), or not at all."""

    PLAIN = "plain"
    STRONG = "strong"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    emphasis: Emphasis = Emphasis.PLAIN


#: One line of an answer: spans said one after the other.
Line = tuple[Span, ...]


def strong(text: str) -> Span:
    return Span(text, Emphasis.STRONG)


def code(text: str) -> Span:
    return Span(text, Emphasis.CODE)


def line(*parts: str | Span) -> Line:
    """A line from plain strings and spans; empty strings are dropped."""
    return tuple(p if isinstance(p, Span) else Span(p) for p in parts if (p.text if isinstance(p, Span) else p))


def plain_text(parts: Iterable[Span]) -> str:
    """The words of a line without any emphasis."""
    return "".join(s.text for s in parts)


def _as_line(value: str | Line) -> Line:
    return line(value) if isinstance(value, str) else tuple(value)


class AnswerKind(StrEnum):
    """card: one race (its facts, plus extra lines); list: a title, lines and a footer; help: the
    usage; note: one remark (a "did you mean", a refusal, a confirmation)."""

    CARD = "card"
    LIST = "list"
    HELP = "help"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Answer:
    """What to say. ``query`` is set on answers worth sharing: a share button carries it, and the
    ``share`` word posts it. ``states``: the tracked states (the help lists them).

    Lines may be given as plain strings (a line of one plain span) and ``kind`` by its value
    ("card"); both are normalised, so older callers and the renderers see one shape.
    """

    facts: RaceFacts | None = None
    extra: tuple[Line, ...] = ()
    note: Line | None = None
    states: tuple[str, ...] = ()
    kind: AnswerKind | str = ""
    title: str | None = None
    lines: tuple[Line, ...] = ()
    footer: Line | None = None
    query: str | None = None

    def __post_init__(self) -> None:
        kind = AnswerKind(self.kind) if self.kind else AnswerKind.CARD if self.facts is not None else AnswerKind.HELP
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "extra", tuple(_as_line(x) for x in self.extra))
        object.__setattr__(self, "lines", tuple(_as_line(x) for x in self.lines))
        if self.note is not None:
            object.__setattr__(self, "note", _as_line(self.note))
        if self.footer is not None:
            object.__setattr__(self, "footer", _as_line(self.footer))

    @property
    def answer_kind(self) -> AnswerKind:
        return AnswerKind(self.kind)

    @property
    def shareable(self) -> bool:
        return self.query is not None and self.kind in (AnswerKind.CARD, AnswerKind.LIST)
