"""What ``/results`` says, as a pure function of the command text and the stored snapshots.

Kept out of the handler so the CLI demo prints exactly what Slack users see, and so tests can
check the words without a Slack request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from bot.margins import hurdle, standing, votes_outstanding
from bot.model import Race, Snapshot
from bot.render.numbers import percent, votes
from bot.render.slack import escape, plain_message, race_card
from bot.events import RaceFacts
from bot.render.text import race_card_text, short_name
from bot.rules import RuleSettings, race_facts
from bot.states import lookup, state_name, suggest

MAX_INPUT = 200


def tracked_states(snapshots: Sequence[Snapshot]) -> list[str]:
    return sorted({race.state for snap in snapshots for race in snap.races.values()})


def races_in(snapshots: Sequence[Snapshot], state: str) -> list[tuple[Snapshot, Race]]:
    return [(snap, race) for snap in snapshots for race in snap.races.values() if race.state == state]


@dataclass(frozen=True, slots=True)
class Answer:
    """What to say: a race card (facts + margin lines) or help with an optional first line."""

    facts: RaceFacts | None = None
    extra: tuple[str, ...] = ()
    note: str | None = None
    states: tuple[str, ...] = ()

    def slack(self) -> dict[str, Any]:
        if self.facts is not None:
            return race_card(self.facts, list(self.extra))
        return plain_message(self._help_text(markup=True))

    def text(self) -> str:
        if self.facts is not None:
            return "\n".join([race_card_text(self.facts), *self.extra])
        return self._help_text(markup=False)

    def _help_text(self, markup: bool) -> str:
        tracked = ", ".join(f"{state_name(s)} ({s})" for s in self.states) if self.states else "none yet (no feed has reported)"
        cmd = "*/results*" if markup else "/results"
        lines = [self.note] if self.note else []
        lines += [
            f"{cmd} answers from the latest results the bot has:",
            "• `/results alabama` or `/results AL`: the race, the margin and what is left to count",
            f"Tracked states: {tracked}",
        ]
        return "\n".join(lines)


def answer(text: str, snapshots: Sequence[Snapshot], rules: RuleSettings) -> Answer:
    """What ``/results <text>`` says. User text is echoed only escaped and clipped."""
    states = tuple(tracked_states(snapshots))
    cleaned = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    if len(text) > MAX_INPUT:
        return Answer(note=f"That was {len(text):,} characters; try a state, e.g. `/results alabama`.", states=states)
    if not cleaned or cleaned.lower() in {"help", "?"}:
        return Answer(states=states)
    state = lookup(cleaned)
    if state is None:
        guess = suggest(cleaned)
        note = f"I don't know “{escape(cleaned[:40])}”." + (f" Did you mean *{guess.name}*?" if guess else "")
        return Answer(note=note, states=states)
    found = races_in(snapshots, state.postal)
    if not found:
        return Answer(note=f"No results for {state.name} in the feeds I follow.", states=states)
    snap, race = found[0]
    return Answer(race_facts(race, rules, snap.generated_at), tuple(margin_lines(race)), states=states)


def margin_lines(race: Race) -> list[str]:
    """What is left to count and what the trailer needs: the line a desk asks for next."""
    st = standing(race)
    outstanding = votes_outstanding(race)
    h = hurdle(st, outstanding)
    if outstanding is None or h is None or outstanding == 0:
        return []
    if h.out_of_reach:
        need = f"{short_name(h.trailer.name)} cannot catch up: the lead is larger than the votes left"
    elif h.share is not None:
        need = f"{short_name(h.trailer.name)} needs {percent(h.share)} % of them to catch up"
    else:
        need = ""
    return [f"About {votes(outstanding)} votes left to count (estimate). {need}".strip()]
