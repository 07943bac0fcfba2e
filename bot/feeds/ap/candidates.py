"""A race's candidates: who they are (the roster, keyed as AP keys them) and whom AP called."""

from __future__ import annotations

from typing import Any

from bot.core.model import Candidate, built_candidate
from bot.feeds.ap.readers import Malformed, boolean, kind_of, optional_ident, optional_text
from bot.feeds.common import is_pseudo_name


class IdCollision(Exception):
    """Two candidates of one race would share a polID/polNum id: fall back to candidateID."""


class Roster:
    """The candidates of one race in order of first sight, and AP's per-race keys for them.

    Units are matched on ``candidateID`` (AP's id *within the race*); the id we publish is
    ``polID`` (stable across races) else ``polNum``, as elex does, except on ballot measures,
    whose Yes/No carry generic polIDs (2 and 3 on every measure): they use ``candidateID``.
    The synthetic sample has ``polID`` "0" everywhere, so "0" counts as absent.
    """

    __slots__ = ("by_candidate_id", "by_key", "candidates", "_ids")

    def __init__(self, by_candidate_id: bool):
        self.by_candidate_id = by_candidate_id
        self.by_key: dict[Any, str] = {}
        self.candidates: list[Candidate] = []
        self._ids: set[str] = set()

    def resolve(self, entry: Any) -> str:
        if not isinstance(entry, dict):
            raise Malformed(f"a candidate entry is {kind_of(entry)}, not an object")
        candidate_id = optional_ident(entry.get("candidateID"), "candidateID")
        pol_id = optional_ident(entry.get("polID"), "polID")
        pol_num = optional_ident(entry.get("polNum"), "polNum")
        if pol_id == "0":
            pol_id = None
        key: Any = candidate_id if candidate_id is not None else ("pol", pol_id, pol_num)
        known = self.by_key.get(key)
        if known is not None:
            return known
        our_id = candidate_id if self.by_candidate_id else pol_id or pol_num or candidate_id
        if our_id is None:
            raise Malformed("a candidate has none of candidateID, polID, polNum")
        if our_id in self._ids:
            if self.by_candidate_id:
                raise Malformed(f"candidate id {our_id!r} repeats")
            raise IdCollision(our_id)
        self._ids.add(our_id)
        self.by_key[key] = our_id
        self.candidates.append(candidate(our_id, entry))
        return our_id


def candidate(our_id: str, entry: dict[str, Any]) -> Candidate:
    first = optional_text(entry.get("first"), "first")
    last = optional_text(entry.get("last"), "last")
    if not last and not first:
        raise Malformed(f"candidate {our_id} has no name")
    name = f"{first} {last}" if first and last else (last or first or "")
    return built_candidate(
        our_id,
        name,
        optional_text(entry.get("party"), "party"),
        boolean(entry.get("incumbent"), "incumbent"),
        not first and is_pseudo_name(name),
    )


def calls(entries: list[Any], roster: Roster) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``X`` is a declared winner, ``R`` advances to a runoff; any other value (the 2016 MA
    sample has ``N``) is not a call. Calls are never inferred from the numbers."""
    winners: list[str] = []
    runoff: list[str] = []
    for entry in entries:
        flag = entry.get("winner") if isinstance(entry, dict) else None
        if flag == "X":
            winners.append(roster.resolve(entry))
        elif flag == "R":
            runoff.append(roster.resolve(entry))
    return tuple(winners), tuple(runoff)
