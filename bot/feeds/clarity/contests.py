"""One contest at a time, in either file: what cannot be read is left out and named (or, in the
strict reading of tests and tools, refuses the file)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bot.codec.errors import LeftOut
from bot.codec.races import unique_races
from bot.core.model import Race, race_key
from bot.feeds.clarity.values import Malformed


def each_contest(
    items: Iterable[Any],
    read: Callable[[Any], Race],
    key_of: Callable[[Any], Any],
    state: str,
    left_out: list[LeftOut] | None,
    where: str,
) -> list[Race]:
    """Each contest on its own. With ``left_out``, one that cannot be read (or repeats a key) is
    left out, named with why, and the rest of the file is used; without it (the strict reading of
    tests and tools) the first problem refuses the file."""
    races: list[Race] = []
    for index, item in enumerate(items):
        key = key_of(item)
        known = (
            str(key).strip()[:40] if isinstance(key, str | int) and not isinstance(key, bool) and str(key).strip() else None
        )
        try:
            races.append(read(item))
        except Malformed as exc:
            reason = str(exc) if str(exc).startswith("contest ") else f"contest {known or '#' + str(index + 1)}: {exc}"
            if left_out is None:
                raise Malformed(reason) from None
            left_out.append(
                LeftOut(
                    "race", f"{known or '#' + str(index + 1)} of {where}", reason, race_key(state, known) if known else None
                )
            )
    if left_out is not None:
        return unique_races(races, left_out)
    if len({race.key for race in races}) != len(races):
        raise Malformed("a contest key appears twice")
    return races
