"""Clarity's choices → candidates: the party and the incumbency hide in the choice text
("Donald J. Trump (I) (Rep)") while the party field often says "NP"."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.model import Candidate
from bot.core.names import split_markers
from bot.feeds.clarity.values import Malformed
from bot.feeds.common import is_pseudo_name, name_key


def parse_choice(text: str, party_field: str | None = None) -> tuple[str, str | None, bool]:
    """'Donald J. Trump (I) (Rep)' → ('Donald J. Trump', 'Rep', True). The party field wins
    when it says something ('REP' in Arkansas); 'NP' (GA) or nothing means "look in the text"."""
    return split_markers(text, party_field)


def candidate_of(cid: str, text: str, party_field: str | None) -> Candidate:
    name, party, incumbent = parse_choice(text, party_field)
    return Candidate(cid, name or text.strip(), party, incumbent, pseudo=is_pseudo_name(name))


def unique_names(candidates: Iterable[Candidate]) -> None:
    seen = set()
    for cand in candidates:
        mark = (name_key(cand.name), cand.incumbent)
        if mark in seen:
            raise Malformed(f"choice {cand.name!r} appears twice")
        seen.add(mark)
