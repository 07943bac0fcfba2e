"""What every reader does with the races it read, our JSON or a feed's: a key seen twice is no key."""

from __future__ import annotations

from collections.abc import Iterable

from bot.codec.errors import LeftOut
from bot.core.model import Race


def unique_races(races: Iterable[Race], left_out: list[LeftOut]) -> list[Race]:
    """Races whose key (state + race id) appears once. A key that repeats is ambiguous: every copy
    is left out (one line) and the race keeps its last good version, or a garbled copy could
    pass for another race, or the real one be dropped for it."""
    found: dict[str, list[Race]] = {}
    for race in races:
        found.setdefault(race.key, []).append(race)
    for key, copies in found.items():
        if len(copies) > 1:
            left_out.append(
                LeftOut("race", key, f"appears {len(copies)} times in the reply; which one is right cannot be told", key)
            )
    return [copies[0] for copies in found.values() if len(copies) == 1]
