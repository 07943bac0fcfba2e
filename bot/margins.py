"""Margin math: who leads, by how much, what is left, and what the trailer needs.

Everything is computed from integer votes with ``Fraction`` so that a margin of exactly 0.5 %
is exactly 0.5 % (Ala. Code § 17-16-20 says "not more than one-half of one percent", inclusive).
Rounding happens only for display (``bot.render.numbers``). The denominator of every share is
all votes cast for the office, write-ins included, as the Secretary of State computes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor, isfinite

from bot.model import _LEVEL_ORDER, Race, ReportingUnit


def expected_share(pct: float | int | None) -> Fraction | None:
    """The feed's expected-vote percentage (AP ``eevp``, 0–100) as an exact share 0–1.

    ``None`` for a missing or non-finite value: a malformed feed must not crash the rules.
    """
    if pct is None:
        return None
    try:
        if not isfinite(pct):
            return None
        return Fraction(pct).limit_denominator(10**6) / 100
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class CandidateShare:
    candidate_id: str
    name: str
    party: str | None
    votes: int
    share: Fraction  # of all votes for the office; 0 when no votes yet
    pseudo: bool = False
    winner: bool = False


@dataclass(frozen=True, slots=True)
class Standing:
    """The race at one instant, as every alert and every answer states it."""

    race_key: str
    total_votes: int
    candidates: tuple[CandidateShare, ...]  # named candidates by votes desc, then pseudo ones
    leader: CandidateShare | None  # None when nobody has votes or the top two are tied
    runner_up: CandidateShare | None
    lead_votes: int
    lead_share: Fraction
    precincts_reporting: int | None
    precincts_total: int | None
    expected_vote_pct: float | None
    other_votes: int  # votes for everyone but the top two (write-ins, minor candidates)

    @property
    def reporting_share(self) -> Fraction | None:
        """Share of the count in: the expected vote when the feed has it, else precincts."""
        eevp = expected_share(self.expected_vote_pct)
        if eevp is not None:
            return eevp
        if self.precincts_total:
            return Fraction(self.precincts_reporting or 0, self.precincts_total)
        return None

    @property
    def tied(self) -> bool:
        return self.total_votes > 0 and self.leader is None


def standing(race: Race, unit: ReportingUnit | None = None) -> Standing:
    """The standing of a race in one unit (default: the statewide row)."""
    unit = unit or race.state_unit
    votes = dict(unit.votes) if unit is not None else {}
    total = sum(votes.values())
    order = {c.id: i for i, c in enumerate(race.candidates)}
    shares = []
    for cand in race.candidates:
        n = votes.get(cand.id, 0)
        shares.append(
            CandidateShare(
                candidate_id=cand.id,
                name=cand.name,
                party=cand.party,
                votes=n,
                share=Fraction(n, total) if total else Fraction(0),
                pseudo=cand.pseudo,
                winner=cand.id in race.winners,
            )
        )
    named = sorted((s for s in shares if not s.pseudo), key=lambda s: (-s.votes, order[s.candidate_id]))
    pseudo = sorted((s for s in shares if s.pseudo), key=lambda s: (-s.votes, order[s.candidate_id]))
    first = named[0] if named else None
    second = named[1] if len(named) > 1 else None
    lead = (first.votes - (second.votes if second else 0)) if first else 0
    leader = first if first is not None and lead > 0 else None
    runner = second if leader is not None else None
    top_two = (first.votes if first else 0) + (second.votes if second else 0)
    return Standing(
        race_key=race.key,
        total_votes=total,
        candidates=tuple(named + pseudo),
        leader=leader,
        runner_up=runner,
        lead_votes=lead,
        lead_share=Fraction(lead, total) if total else Fraction(0),
        precincts_reporting=unit.precincts_reporting if unit else None,
        precincts_total=unit.precincts_total if unit else None,
        expected_vote_pct=(unit.expected_vote_pct if unit and unit.expected_vote_pct is not None else race.expected_vote_pct),
        other_votes=total - top_two,
    )


# --- recount line --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecountPosition:
    threshold: Fraction  # e.g. 1/200 for Alabama
    line_votes: Fraction  # threshold × all votes for the office
    inside: bool  # margin ≤ threshold (inclusive, as the statute reads)
    #: outside: votes the lead must shrink by to enter the zone; inside: votes it must grow by
    #: to leave it. Always ≥ 1 once votes exist.
    votes_to_line: int


def recount_position(st: Standing, threshold: Fraction) -> RecountPosition | None:
    return recount_line(st.lead_votes, st.total_votes, threshold)


def recount_line(lead_votes: int, total_votes: int, threshold: Fraction) -> RecountPosition | None:
    if total_votes == 0:
        return None
    line = threshold * total_votes
    inside = lead_votes <= line
    to_line = floor(line) + 1 - lead_votes if inside else lead_votes - floor(line)
    return RecountPosition(threshold=threshold, line_votes=line, inside=inside, votes_to_line=to_line)


# --- votes outstanding and the hurdle ------------------------------------------------------


def votes_outstanding(race: Race) -> int | None:
    """Estimated votes still to be counted, never negative.

    With the feed's expected-vote share (AP ``eevp``): counted ÷ share − counted. Otherwise per
    county: the votes per reported precinct times the precincts outstanding; a county with no
    precinct in yet borrows the statewide votes per reported precinct. ``None`` when the feed gives
    neither (nothing honest can be said).
    """
    state = race.state_unit
    if state is None:
        return None
    counted = state.total_votes
    eevp = expected_share(state.expected_vote_pct if state.expected_vote_pct is not None else race.expected_vote_pct)
    if eevp is not None:
        if eevp <= 0:
            return None
        if eevp >= 1:
            return 0
        return max(0, floor(counted / eevp) - counted)
    units = _estimate_units(race)
    if units is None:
        return None
    rep_total = sum(u.precincts_reporting or 0 for u in units)
    votes_total = sum(u.total_votes for u in units)
    statewide_rate = Fraction(votes_total, rep_total) if rep_total else None
    outstanding = Fraction(0)
    for unit in units:
        missing = max(0, (unit.precincts_total or 0) - (unit.precincts_reporting or 0))
        if not missing:
            continue
        if unit.precincts_reporting:
            outstanding += Fraction(max(0, unit.total_votes), unit.precincts_reporting) * missing
        elif statewide_rate is not None:
            outstanding += max(Fraction(0), statewide_rate) * missing
        else:
            return None
    return max(0, round(outstanding))


def _has_precincts(unit: ReportingUnit) -> bool:
    return unit.precincts_total is not None and unit.precincts_reporting is not None


def _estimate_units(race: Race) -> tuple[ReportingUnit, ...] | None:
    """The rows to estimate from: one level of subunits only (counties when the feed has them,
    or towns and precincts would count the same votes twice), else the statewide row."""
    state = race.state_unit
    subunits = race.subunits
    if subunits:
        coarsest = min((u.level for u in subunits), key=_LEVEL_ORDER.index)
        rows = tuple(u for u in subunits if u.level is coarsest)
        if all(_has_precincts(u) for u in rows):
            return rows
    if state is not None and _has_precincts(state):
        return (state,)
    return None


@dataclass(frozen=True, slots=True)
class Hurdle:
    """What the runner-up needs from the outstanding vote.

    ``share`` is the smallest share of the outstanding vote that lets the runner-up tie. It
    assumes everyone beyond the top two keeps their share of the counted vote and the leader
    gets the rest; when the gap is so large that the leader would be left with nothing (the rest
    would be negative), the leader gets nothing and the others the remainder. So ``share`` is
    above 1 exactly when ``out_of_reach``: the lead is larger than every vote left, and even all
    of it would not close the gap (exact and assumption-free).
    """

    trailer: CandidateShare
    outstanding: int
    share: Fraction | None  # None when nothing is outstanding
    out_of_reach: bool


def hurdle(st: Standing, outstanding: int | None) -> Hurdle | None:
    if st.leader is None or st.runner_up is None or outstanding is None:
        return None
    if outstanding <= 0:
        return Hurdle(st.runner_up, 0, None, out_of_reach=st.lead_votes > 0)
    others = Fraction(st.other_votes, st.total_votes) if st.total_votes else Fraction(0)
    others = min(Fraction(1), max(Fraction(0), others))
    lead = st.lead_votes
    if lead <= (1 - others) * outstanding:
        # trailer s·O, others r·O, leader (1 − s − r)·O ≥ 0: tie when 2·s·O = lead + (1 − r)·O
        share = (lead + (1 - others) * outstanding) / (2 * outstanding)
    else:
        # the leader would need a negative share: the leader gets 0 and the trailer needs the lead
        share = Fraction(lead, outstanding)
    return Hurdle(st.runner_up, outstanding, share, out_of_reach=lead > outstanding)
