"""Small builders for hand-made races (the core tests need no feed and no store)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from fractions import Fraction

from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, sum_units
from bot.core.rules import RaceMemory, RecountRule, RuleSettings, evaluate

AT = datetime(2024, 11, 5, 23, 0, tzinfo=UTC)
AL_RULE = RecountRule("AL", Fraction(1, 200), "Ala. Code § 17-16-20", general_only=True, waivable=True)
FL_RULE = RecountRule("FL", Fraction(1, 200), "Fla. Stat. § 102.141(7)", general_only=False, waivable=True)
RULES = {"AL": AL_RULE, "FL": FL_RULE}
SETTINGS = RuleSettings(recount_rules=RULES)

CANDIDATES = (
    Candidate("a", "Ann Able", "Dem"),
    Candidate("b", "Bob Baker", "GOP"),
    Candidate("w", "Write-ins", None, pseudo=True),
)


def county(
    cid: str, votes: Mapping[str, int], reporting: int | None = 10, total: int | None = 10, name: str | None = None
) -> ReportingUnit:
    return ReportingUnit(cid, Level.COUNTY, name or cid.title(), votes, precincts_reporting=reporting, precincts_total=total)


def race(
    votes: Mapping[str, int] | None = None,
    *,
    counties: Iterable[ReportingUnit] | None = None,
    reporting: int = 100,
    total: int = 100,
    eevp: float | None = None,
    state: str = "AL",
    candidates: tuple[Candidate, ...] = CANDIDATES,
    **kw: object,
) -> Race:
    """A race with a statewide row: either ``votes`` (state only) or the sum of ``counties``."""
    if counties is not None:
        rows = tuple(counties)
        top = sum_units(rows, state, state)
        if eevp is not None:
            top = ReportingUnit(
                top.id, Level.STATE, top.name, top.votes, None, top.precincts_reporting, top.precincts_total, eevp
            )
        units: tuple[ReportingUnit, ...] = (top, *rows)
    else:
        units = (ReportingUnit(state, Level.STATE, state, votes or {}, None, reporting, total, eevp),)
    kw.setdefault("call_status", CallStatus.CALLED if kw.get("winners") else CallStatus.NONE)
    return Race(state=state, race_id="1", office="U.S. Senate", candidates=candidates, units=units, **kw)  # type: ignore[arg-type]


def run(races: Iterable[Race], settings: RuleSettings = SETTINGS, memory: RaceMemory | None = None):
    """Evaluate races in order, carrying memory and the previous race; [(index, event)], memory."""
    mem = memory or RaceMemory()
    prev = None
    out = []
    for i, r in enumerate(races):
        result = evaluate("t", prev, r, mem, settings, AT)
        out += [(i, e) for e in result.events]
        mem, prev = result.memory, r
    return out, mem


def kinds(events) -> list[tuple[int, str]]:
    return [(i, e.kind.value) for i, e in events]
