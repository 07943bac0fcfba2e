"""Summary and detail together: the detail's rows with the summary's state totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.codec.errors import FeedError, LeftOut
from bot.core.model import Level, Race, ReportingUnit
from bot.core.states import state_name
from bot.feeds.common import name_key


def combine(summary: Iterable[Race], detail: Iterable[Race], left_out: list[LeftOut] | None = None) -> tuple[Race, ...]:
    """Detail races with the summary's state totals (the figure Clarity headlines), matched on
    the choice text because summary.json has no choice keys; summary-only contests as they are."""
    by_key = {race.key: race for race in detail}
    merged: list[Race] = []
    for race in summary:
        full = by_key.pop(race.key, None)
        try:
            merged.append(race if full is None else _with_summary_totals(full, race))
        except FeedError as exc:
            if left_out is None:
                raise
            left_out.append(LeftOut("race", race.key, exc.reason, race.key))
    merged.extend(by_key.values())
    return tuple(merged)


def _with_summary_totals(full: Race, summary: Race) -> Race:
    ids = {name_key(c.name) + "|" + str(c.incumbent): c.id for c in full.candidates}
    state_unit = summary.state_unit
    votes: dict[str, int] = {}
    for cand in summary.candidates:
        cid = ids.get(name_key(cand.name) + "|" + str(cand.incumbent))
        if cid is None:
            raise FeedError(f"summary.json and detail.xml disagree on the choices of contest {full.race_id} ({cand.name!r})")
        votes[cid] = state_unit.votes.get(cand.id, 0) if state_unit else 0
    if set(votes) != set(ids.values()):
        raise FeedError(f"summary.json and detail.xml disagree on the choices of contest {full.race_id}")
    old = full.state_unit or ReportingUnit(full.state, Level.STATE, state_name(full.state), {})
    precincts = (old.precincts_reporting, old.precincts_total)
    if precincts == (None, None) and state_unit is not None:
        precincts = (state_unit.precincts_reporting, state_unit.precincts_total)
    new_state = replace(old, votes=votes, precincts_reporting=precincts[0], precincts_total=precincts[1])
    return replace(full, units=(new_state, *full.subunits))
