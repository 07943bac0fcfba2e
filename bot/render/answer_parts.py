"""The pieces every ``/results`` answer is built from: the races the stored snapshots hold, a
one-line note, plain lines, the "as of" footer, a list's "… and N more", a race's plain title."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import offices
from bot.core.answer import Answer, AnswerKind, Line, Span, line
from bot.core.model import Race, Snapshot
from bot.render.text import local_time

MAX_LIST = 15


def tracked_states(snapshots: Sequence[Snapshot]) -> list[str]:
    return sorted({race.state for snap in snapshots for race in snap.races.values()})


def races_in(snapshots: Sequence[Snapshot], state: str) -> list[tuple[Snapshot, Race]]:
    return [(snap, race) for snap in snapshots for race in snap.races.values() if race.state == state]


def all_races(snapshots: Sequence[Snapshot]) -> list[tuple[Snapshot, Race]]:
    return [(snap, race) for snap in snapshots for race in snap.races.values()]


def note(*parts: str | Span) -> Answer:
    return Answer(kind=AnswerKind.NOTE, note=line(*parts))


def plain_lines(*texts: str) -> tuple[Line, ...]:
    """Plain lines (a card's margin and swing, a county's figures): no emphasis in them."""
    return tuple(line(t) for t in texts)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_title(race: Race) -> str:
    from bot.render.text import race_heading

    return race_heading(race.state, race.office, race.seat, race.party, race.county)


def office_matches(race: Race, office: str) -> bool:
    """The shared vocabulary decides: "U.S. SENATOR", "US Senate (Perdue)" and AP's officeID "S"
    are all the Senate; "Lieutenant Governor" is not the governor's race."""
    return offices.matches(office, race.office, race.office_id)


def more(n: int) -> tuple[Line, ...]:
    return (line(f"… and {n - MAX_LIST} more"),) if n > MAX_LIST else ()


def as_of(found: Sequence[tuple[Snapshot, Race]]) -> Line | None:
    if not found:
        return None
    snap, race = max(found, key=lambda sr: sr[0].generated_at)
    return line(f"As of {local_time(snap.generated_at.isoformat(), race.state)}")
