"""Runoffs and top-two primaries: which rule covers a race, and what the count makes certain.

A *threshold* rule (Georgia's majority, North Carolina's 30 %) elects or nominates a candidate who
passes the threshold, else sends the top two to a runoff; a *top-two* rule (California,
Washington) advances the top two whatever their share, and nobody wins. The rules come from
config/runoff_rules.toml, each with its statute.

Everything here is arithmetic on integers with ``Fraction``: "certain" means certain for every
split of the votes left (``bot.core.margins.estimate_votes_left``). With no estimate nothing is
certain, unless every vote is in. The feed's own runoff flags and calls always win over this
reckoning (``bot.core.rules``); this module never calls a race.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from bot.core.margins import CandidateShare, Standing
from bot.core.model import Race


class RunoffFormat(StrEnum):
    THRESHOLD = "threshold"  # pass the threshold or the top two meet again
    TOP_TWO = "top_two"  # the top ``advance`` go through; no winner


@dataclass(frozen=True, slots=True)
class RunoffRule:
    """A state's runoff or top-two rule for one kind of election, with its statute."""

    state: str
    elections: frozenset[str]  # "general", "primary"
    format: RunoffFormat
    citation: str
    threshold: Fraction | None = None  # of all votes for the office; None for top-two
    inclusive: bool = False  # "at least" (True) or "more than" (False: a majority)
    advance: int = 2
    requested: bool = False  # the runner-up must ask for the runoff (North Carolina)
    min_candidates: int = 2  # fewer named candidates than this: no runoff is possible
    verify: bool = False
    note: str = ""

    def passes(self, votes: int | Fraction, total: int | Fraction) -> bool:
        """Whether ``votes`` of ``total`` clear the threshold (exact; "more than" or "at least")."""
        assert self.threshold is not None
        line = self.threshold * total
        return votes >= line if self.inclusive else votes > line

    def to_facts(self) -> dict[str, Any]:
        """The rule as event facts: enough to render its line after a restart."""
        t = self.threshold
        return {
            "format": self.format.value,
            "threshold": f"{t.numerator}/{t.denominator}" if t is not None else None,
            "inclusive": self.inclusive,
            "advance": self.advance,
            "requested": self.requested,
            "citation": self.citation,
        }


def election_kind(race: Race) -> str | None:
    """'general' or 'primary' as the runoff rules name them; ``None`` for a runoff or a caucus,
    which no rule covers (a runoff is decided by plurality between the two left)."""
    words = (race.race_type or "").lower()
    if "runoff" in words or "caucus" in words:
        return None
    return "general" if race.general else "primary"


def applicable_runoff_rule(race: Race, rules: Mapping[str, tuple[RunoffRule, ...]]) -> RunoffRule | None:
    if race.seats != 1:
        return None
    kind = election_kind(race)
    if kind is None:
        return None
    return next((r for r in rules.get(race.state.upper(), ()) if kind in r.elections), None)


@dataclass(frozen=True, slots=True)
class RunoffPosition:
    """What the count says about a runoff. ``None`` in a field means "not known yet" (no
    estimate of the votes left, and votes still out)."""

    rule: RunoffRule
    outstanding: int | None
    leader: CandidateShare | None  # the top named candidate (ties: ballot order), if any votes
    #: somebody could still pass the threshold with the votes left (threshold rules)
    reachable: bool | None
    #: the leader passes the threshold even if every vote left goes to the others
    clears: bool | None
    #: the candidates who go on, once no one below them can catch the last of them
    pair: tuple[str, ...] | None
    possible: bool  # enough candidates for a runoff at all


def runoff_position(st: Standing, rule: RunoffRule, outstanding: int | None) -> RunoffPosition:
    named = [c for c in st.candidates if not c.pseudo]  # by votes, ballot order on ties
    leader = named[0] if named and st.total_votes > 0 else None
    possible = len(named) >= max(rule.min_candidates, 2)
    left = outstanding
    total = st.total_votes
    reachable = clears = None
    if rule.format is RunoffFormat.THRESHOLD and leader is not None and left is not None:
        reachable = rule.passes(leader.votes + left, total + left)
        clears = rule.passes(leader.votes, total + left)
    pair = _certain_top(named, rule.advance, left) if leader is not None else None
    return RunoffPosition(rule, outstanding, leader, reachable, clears, pair, possible)


def _certain_top(named: list[CandidateShare], advance: int, left: int | None) -> tuple[str, ...] | None:
    """The top ``advance`` named candidates once the last of them cannot be caught by the next
    one even if every vote left goes to that one (a tie is not certain); ``None`` otherwise."""
    if left is None or len(named) < advance:
        return None
    if len(named) > advance and named[advance - 1].votes <= named[advance].votes + left:
        return None
    return tuple(c.candidate_id for c in named[:advance])


def threshold_words(facts: Mapping[str, Any]) -> str:
    """'a majority (more than 50 %)', 'more than 30 %', 'at least 35 %' from a rule's facts."""
    t = Fraction(str(facts["threshold"]))
    pct = t * 100
    number = f"{pct.numerator // pct.denominator}" if pct.denominator == 1 else f"{float(pct):.2f}"
    if t == Fraction(1, 2) and not facts.get("inclusive"):
        return "a majority (more than 50 %)"
    return f"{'at least' if facts.get('inclusive') else 'more than'} {number} %"


__all__ = [
    "RunoffFormat",
    "RunoffPosition",
    "RunoffRule",
    "applicable_runoff_rule",
    "election_kind",
    "runoff_position",
    "threshold_words",
]
