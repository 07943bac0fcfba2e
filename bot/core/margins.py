"""Margin math: who leads, by how much, what is left, and what the trailer needs.

Everything is computed from integer votes with ``Fraction`` so that a margin of exactly 0.5 %
is exactly 0.5 % (Ala. Code § 17-16-20 says "not more than one-half of one percent", inclusive).
Rounding happens only for display (``bot.render.numbers``). The denominator of every share is
all votes cast for the office, write-ins included, as the Secretary of State computes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from math import floor, isfinite, lcm

from bot.core.model import _LEVEL_ORDER, Race, ReportingUnit


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


def reporting_share(
    expected_vote_pct: float | int | None, precincts_reporting: int | None, precincts_total: int | None
) -> Fraction | None:
    """Share of the count in: the expected vote when the feed has it, else precincts.

    One rule for a standing and a point of the night's history, so the chart's second axis is
    the share ``/results`` states."""
    eevp = expected_share(expected_vote_pct)
    if eevp is not None:
        return eevp
    if precincts_total:
        return Fraction(precincts_reporting or 0, precincts_total)
    return None


#: the share of a candidate with no votes (one object: ``Fraction`` is immutable, and a national
#: first poll has tens of thousands of such candidates)
_ZERO = Fraction(0)


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
        return reporting_share(self.expected_vote_pct, self.precincts_reporting, self.precincts_total)

    @property
    def tied(self) -> bool:
        return self.total_votes > 0 and self.leader is None


def standing(race: Race, unit: ReportingUnit | None = None) -> Standing:
    """The standing of a race in one unit (default: the statewide row)."""
    unit = unit or race.state_unit
    votes: Mapping[str, int] = unit.votes if unit is not None else {}
    total = sum(votes.values())
    winners = race.winners
    named: list[CandidateShare] = []
    pseudo: list[CandidateShare] = []
    for cand in race.candidates:
        n = votes.get(cand.id, 0)
        share = Fraction(n, total) if total and n else _ZERO
        (pseudo if cand.pseudo else named).append(
            CandidateShare(cand.id, cand.name, cand.party, n, share, cand.pseudo, cand.id in winners)
        )
    # by votes, ties in ballot order: the lists are in ballot order and the sort is stable
    named.sort(key=_fewer_votes)
    pseudo.sort(key=_fewer_votes)
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
        lead_share=Fraction(lead, total) if total else _ZERO,
        precincts_reporting=unit.precincts_reporting if unit else None,
        precincts_total=unit.precincts_total if unit else None,
        expected_vote_pct=(
            unit.expected_vote_pct if unit and unit.expected_vote_pct is not None else race.expected_vote_pct
        ),
        other_votes=total - top_two,
    )


def _fewer_votes(share: CandidateShare) -> int:
    return -share.votes


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


#: No estimate from precincts alone below this share of precincts in: with 17 of 6,089 precincts
#: (Florida 2012) the votes per precinct say nothing about the precincts still out.
MIN_PRECINCT_SHARE = Fraction(1, 5)
#: An expected total is never above this multiple of the baseline election's total vote.
CEILING_FACTOR = Fraction(3, 2)
#: The feed's expected-vote share is used from 1 % up: AP publishes it rounded, and below 1 %
#: the rounding alone can double or halve counted ÷ share.
MIN_EXPECTED_SHARE = Fraction(1, 100)


@dataclass(frozen=True, slots=True)
class TurnoutBaseline:
    """A previous election's total vote by county, matched to one race's county rows.

    Pure data, built by ``bot.core.context.turnout_baseline`` from the configured baseline, so this
    module reads no file and knows nothing of FIPS codes or county names."""

    label: str  # how text names it: "2016"
    total: int  # the baseline's statewide total vote: the ceiling is a multiple of it
    by_unit: Mapping[str, int]  # unit id → that county's baseline vote; unmatched units absent


class EstimateMethod(StrEnum):
    COMPLETE = "complete"  # everything is in: nothing left
    FEED = "feed"  # the feed's own expected vote (AP eevp)
    BASELINE = "baseline"  # turnout of the counties fully in, applied to the baseline vote of the rest
    PRECINCTS = "precincts"  # votes per reported precinct × precincts out (≥ 20 % of precincts in)
    NONE = "none"  # no estimate: nothing honest to say


@dataclass(frozen=True, slots=True)
class VotesLeft:
    """The estimate of the votes still to count, with how it was made and its range."""

    votes: int | None  # None: no estimate
    method: EstimateMethod
    low: int | None = None  # the range the counties' turnout ratios span (baseline method)
    high: int | None = None
    ceiling: int | None = None  # the largest expected total allowed, if any
    capped: bool = False  # the estimate hit the ceiling
    counties_in: int = 0  # counties fully in behind a baseline estimate
    reason: str = ""  # why there is no estimate
    label: str | None = None  # the baseline election's name ("2016") when it set the estimate or the ceiling

    @property
    def known(self) -> bool:
        return self.votes is not None


def votes_outstanding(race: Race, baseline: TurnoutBaseline | None = None) -> int | None:
    """Estimated votes still to be counted, never negative; ``None`` when no honest estimate
    exists. See ``estimate_votes_left`` and docs/expected-vote.md."""
    return estimate_votes_left(race, baseline).votes


def estimate_votes_left(race: Race, baseline: TurnoutBaseline | None = None) -> VotesLeft:
    """Votes left, from an expected vote rather than an extrapolation, in this order:

    1. the feed's own expected-vote share (AP ``eevp``, from 1 %): counted ÷ share − counted;
    2. every precinct in: nothing left;
    3. with a baseline election and a county fully in: the turnout ratio (votes now ÷ baseline
       votes) of the counties fully in, applied to the baseline vote of the precincts still out
       in each other county (a county with a fifth of its precincts in uses its own ratio); the
       range runs from the lowest to the highest ratio of the counties fully in;
    4. from 20 % of precincts in: votes per reported precinct × precincts out, per county;
    5. otherwise no estimate.

    Never above the ceiling: an expected total of 1.5 × the baseline's total, or the registered
    voters where the feed gives them (the lower of the two)."""
    left = _estimate(race, baseline)
    return replace(left, label=baseline.label) if baseline is not None else left


def _estimate(race: Race, baseline: TurnoutBaseline | None) -> VotesLeft:
    state = race.state_unit
    if state is None:
        return VotesLeft(None, EstimateMethod.NONE, reason="no statewide row")
    counted = state.total_votes
    ceiling = _ceiling(state, baseline)
    eevp = expected_share(state.expected_vote_pct if state.expected_vote_pct is not None else race.expected_vote_pct)
    if eevp is not None and eevp >= 1:
        return VotesLeft(0, EstimateMethod.COMPLETE, 0, 0, ceiling)
    if eevp is not None and eevp >= MIN_EXPECTED_SHARE:
        return _capped(Fraction(counted) / eevp - counted, None, None, counted, ceiling, EstimateMethod.FEED)
    units = _estimate_units(race)
    if units is not None and all(u.fully_reporting for u in units):
        if eevp is not None:  # under 1 % of the expected vote by the feed, yet every precinct in
            return VotesLeft(
                None, EstimateMethod.NONE, ceiling=ceiling, reason="the feed's expected vote contradicts its precinct counts"
            )
        return VotesLeft(0, EstimateMethod.COMPLETE, 0, 0, ceiling)
    if baseline is not None and units is not None and units != (state,):
        found = _from_baseline(units, baseline)
        if found is not None:
            mid, low, high, n = found
            return replace(_capped(mid, low, high, counted, ceiling, EstimateMethod.BASELINE), counties_in=n)
    if units is None:
        return VotesLeft(
            None, EstimateMethod.NONE, ceiling=ceiling, reason="the feed gives neither an expected vote nor precinct counts"
        )
    reporting = sum(u.precincts_reporting or 0 for u in units)
    total = sum(u.precincts_total or 0 for u in units)
    # under 20 % of precincts in, on integers: reporting ÷ total < n ÷ d
    if not total or reporting * MIN_PRECINCT_SHARE.denominator < MIN_PRECINCT_SHARE.numerator * total:
        why = "fewer than 20 % of precincts in, " + (
            "no county fully in yet" if baseline is not None else "no baseline election to go by"
        )
        return VotesLeft(None, EstimateMethod.NONE, ceiling=ceiling, reason=why)
    rate = _per_precinct(units)
    if rate is None:
        return VotesLeft(None, EstimateMethod.NONE, ceiling=ceiling, reason="no votes per precinct to go by")
    return _capped(rate, None, None, counted, ceiling, EstimateMethod.PRECINCTS)


def _ceiling(state: ReportingUnit, baseline: TurnoutBaseline | None) -> int | None:
    limits = []
    if baseline is not None and baseline.total > 0:
        limits.append(floor(CEILING_FACTOR * baseline.total))
    if state.registered_voters:
        limits.append(state.registered_voters)
    return min(limits) if limits else None


def _capped(
    left: Fraction, low: Fraction | None, high: Fraction | None, counted: int, ceiling: int | None, method: EstimateMethod
) -> VotesLeft:
    room = None if ceiling is None else max(0, ceiling - counted)

    def cap(x: Fraction | None) -> int | None:
        if x is None:
            return None
        n = max(0, round(x))
        return n if room is None else min(n, room)

    mid = cap(left)
    assert mid is not None
    return VotesLeft(mid, method, cap(low), cap(high), ceiling, capped=room is not None and round(left) > room)


def _from_baseline(
    units: tuple[ReportingUnit, ...], baseline: TurnoutBaseline
) -> tuple[Fraction, Fraction, Fraction, int] | None:
    """(left at the pooled ratio, at the lowest ratio, at the highest, counties fully in), or
    ``None`` while no county with a baseline vote is fully in.

    A county still counting has the baseline vote of its precincts still out, (1 − s) × its
    baseline vote with s its share of precincts in, to come at a turnout ratio: its own
    (counted ÷ (s × baseline)) once 20 % of its precincts are in, else the pooled ratio of the
    counties fully in (the range uses their lowest and highest ratios). A county with no baseline
    vote extrapolates its own precincts from 20 % in, else takes the votes per precinct of the
    counties fully in."""
    full = [u for u in units if u.fully_reporting and baseline.by_unit.get(u.id, 0) > 0]
    if not full:
        return None
    now = sum(u.total_votes for u in full)
    pooled = Fraction(now, sum(baseline.by_unit[u.id] for u in full))
    ratios = [Fraction(u.total_votes, baseline.by_unit[u.id]) for u in full]
    low_ratio, high_ratio = min(ratios), max(ratios)
    full_precincts = sum(u.precincts_total or 0 for u in full)
    per_precinct = Fraction(now, full_precincts) if full_precincts else None
    mid = low = high = Fraction(0)
    for unit in units:
        if unit.fully_reporting:
            continue
        counted = max(0, unit.total_votes)
        reporting, total = unit.precincts_reporting or 0, unit.precincts_total or 0
        if not total:
            return None  # a county of unknown size: no estimate rather than a guess
        share_in = min(Fraction(1), Fraction(reporting, total))
        base = baseline.by_unit.get(unit.id, 0)
        own_enough = share_in >= MIN_PRECINCT_SHARE and counted > 0
        if base > 0 and not own_enough:
            out = (1 - share_in) * base
            mid, low, high = mid + pooled * out, low + low_ratio * out, high + high_ratio * out
            continue
        if own_enough:
            own = Fraction(counted, share_in) - counted
        elif per_precinct is not None:
            own = max(Fraction(0), per_precinct * total - counted)
        else:
            return None
        mid, low, high = mid + own, low + own, high + own
    return mid, low, high, len(full)


def _per_precinct(units: tuple[ReportingUnit, ...]) -> Fraction | None:
    """Votes per reported precinct × precincts out, per county; a county with no precinct in
    borrows the statewide votes per reported precinct. Exact: summed over a common denominator
    (one ``Fraction`` at the end; sixty additions of fractions cost more than the rest of a poll)."""
    rep_total = sum(u.precincts_reporting or 0 for u in units)
    votes_total = max(0, sum(u.total_votes for u in units))
    num, den = 0, 1
    for unit in units:
        missing = max(0, (unit.precincts_total or 0) - (unit.precincts_reporting or 0))
        if not missing:
            continue
        if unit.precincts_reporting:
            n, d = max(0, unit.total_votes) * missing, unit.precincts_reporting
        elif rep_total:
            n, d = votes_total * missing, rep_total
        else:
            return None
        common = lcm(den, d)
        num, den = num * (common // den) + n * (common // d), common
    return Fraction(num, den)


def _has_precincts(unit: ReportingUnit) -> bool:
    return unit.precincts_total is not None and unit.precincts_reporting is not None


def _estimate_units(race: Race) -> tuple[ReportingUnit, ...] | None:
    """The rows to estimate from: one level of subunits only (counties when the feed has them,
    or towns and precincts would count the same votes twice), else the statewide row."""
    state = race.state_unit
    subunits = race.subunits
    if subunits:
        levels = {u.level for u in subunits}
        if len(levels) == 1:  # the usual feed: counties (or towns) only
            rows = subunits
        else:
            coarsest = min(levels, key=_LEVEL_ORDER.index)
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
