"""Context for the rules: which baseline a race is compared with, who held its seat, and what a
call does to its chamber.

``bot.core.swing`` and ``bot.core.balance`` compute; this module decides *which* baseline and chamber
apply to a race and turns the results into the integer facts events carry, so an alert
rendered after a restart says exactly what the data said when it was found. Pure: no I/O (the
baseline and seats files are read once, by ``bot.app.settings``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from bot.core.balance import (
    SeatsConfig,
    SeatsConfigError,
    Tally,
    feed_gain,
    gain,
    gain_facts,
    single_winner,
    tally,
    tally_facts,
)
from bot.core.margins import TurnoutBaseline
from bot.core.model import Level, Race, ReportingUnit
from bot.core.swing import Baseline, FlipIndication, flip_indication, swing_facts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ContextSettings:
    """What config says about context. ``baselines`` is keyed by race key ("AL-1000") or state
    postal code ("AL"); a race key wins over its state."""

    baselines: Mapping[str, Baseline] = field(default_factory=dict)
    seats: SeatsConfig | None = None
    #: the flip indication waits for this many counties with a swing of their own: with three
    #: rural counties in, "the state would flip" says more about which counties than about swing.
    flip_min_counties: int = 10
    #: and for the indicated margin to clear zero by this much (hysteresis: an indication that
    #: hovers at ±0.1 points is not announced ten times).
    flip_min_margin: Fraction = Fraction(1, 200)

    def baseline_for(self, race: Race) -> Baseline | None:
        if not self.baselines:
            return None  # the usual night: asked for every race, twice, by the rules
        # a state's baseline describes the state: a county feed's race gets one only by its own key
        return self.baselines.get(race.key) or (None if race.county else self.baselines.get(race.state.upper()))

    def chamber_for(self, race: Race) -> str | None:
        if self.seats is None:
            return None
        seat = self.seats.seat_for(race)
        return seat.chamber if seat is not None and seat.chamber in self.seats.chambers else None


# --- swing facts for county events ------------------------------------------------------------


def unit_swing_facts(race: Race, unit: ReportingUnit, context: ContextSettings) -> dict[str, object] | None:
    """``bot.core.swing.swing_facts`` for a county event, or ``None`` without a baseline."""
    baseline = context.baseline_for(race)
    if baseline is None or unit.level is not Level.COUNTY:
        return None
    return swing_facts(race, unit, baseline)


# --- the expected vote -------------------------------------------------------------------------


def turnout_baseline(race: Race, context: ContextSettings) -> TurnoutBaseline | None:
    """The race's configured baseline as the expected-vote estimate reads it: each county row's
    baseline vote by unit id (matched as swing matches them: FIPS, then name), and the total."""
    baseline = context.baseline_for(race)
    if baseline is None:
        return None
    by_unit = {}
    for unit in race.units:
        if unit.level is Level.COUNTY:
            county, _how = baseline.match(unit)
            if county is not None:
                by_unit[unit.id] = county.total
    return TurnoutBaseline(label=baseline.label, total=baseline.total, by_unit=by_unit)


# --- the flip indication ----------------------------------------------------------------------


def flip_state(race: Race, context: ContextSettings) -> FlipIndication | None:
    """The flip indication when it may be announced at all: a baseline, enough counties with a
    swing, the race not called, and counties still counting (once all are in, the result is
    the news, not an indication)."""
    baseline = context.baseline_for(race)
    if baseline is None or race.winners:
        return None
    counties = [u for u in race.units if u.level is Level.COUNTY]
    if counties and all(u.fully_reporting for u in counties):
        return None
    fi = flip_indication(race, baseline)
    if fi is None or fi.counties_swung < context.flip_min_counties:
        return None
    return fi


def flip_facts(fi: FlipIndication) -> dict[str, object]:
    def exact(x: Fraction) -> str:
        return f"{x.numerator}/{x.denominator}"

    return {
        "flips": fi.flips,
        "baseline": fi.baseline_label,
        "margin_then": exact(fi.margin_then),
        "margin_indicated": exact(fi.margin_indicated),
        "average_swing": exact(fi.average_swing),
        "counties_swung": fi.counties_swung,
        "counties_assumed": fi.counties_assumed,
    }


def flip_from_facts(d: Mapping[str, Any]) -> FlipIndication:
    return FlipIndication(
        baseline_label=str(d["baseline"]),
        margin_then=Fraction(str(d["margin_then"])),
        margin_indicated=Fraction(str(d["margin_indicated"])),
        average_swing=Fraction(str(d["average_swing"])),
        counties_swung=int(d["counties_swung"]),
        counties_assumed=int(d["counties_assumed"]),
    )


def flip_crossed(fi: FlipIndication, announced: bool, min_margin: Fraction) -> bool | None:
    """The new announced state, or ``None`` for no change: a flip is announced once the indicated
    margin is past zero by ``min_margin`` on the other side from the baseline, and withdrawn
    once it is back by the same amount on the baseline's side."""
    then = 1 if fi.margin_then > 0 else -1 if fi.margin_then < 0 else 0
    if then == 0:
        return None
    towards_other = -then * fi.margin_indicated  # > 0: the other party leads the indication
    if not announced and fi.flips and towards_other >= min_margin:
        return True
    if announced and -towards_other >= min_margin:
        return False
    return None


# --- calls: gains and the balance of power ----------------------------------------------------


def chamber_calls(races: Iterable[Race], chamber: str, context: ContextSettings) -> list[tuple[Race, str]]:
    """(race, winner's party) for every called race of the chamber, by race key."""
    out = []
    for race in sorted(races, key=lambda r: r.key):
        won = single_winner(race)
        if won is not None and won[1] is not None and context.chamber_for(race) == chamber:
            out.append((race, won[1]))
    return out


def chamber_tally(races: Iterable[Race], chamber: str, context: ContextSettings) -> Tally | None:
    if context.seats is None:
        return None
    try:
        return tally(chamber, chamber_calls(races, chamber, context), context.seats)
    except SeatsConfigError as exc:
        log.warning("balance of power for %s: %s", chamber, exc)
        return None


def gain_details(race: Race, context: ContextSettings) -> dict[str, object] | None:
    """The gain a call makes as event facts. A seat in the config is judged by the config alone
    (it knows the holder and the year, and a desk's correction must beat the feed); a seat it
    does not list falls back on the feed's own ``flippedSeat``."""
    seats = context.seats
    g = gain(race, seats) if seats is not None and seats.seat_for(race) is not None else feed_gain(race)
    return gain_facts(g) if g is not None else None


def tally_details(race: Race, races: Mapping[str, Race], context: ContextSettings) -> dict[str, object] | None:
    """The chamber's tally after this race's call (or uncall), as event facts, or ``None`` when
    no chamber is configured for the race. ``races``: every race known in this snapshot."""
    chamber = context.chamber_for(race)
    if chamber is None:
        return None
    everything = dict(races)
    everything[race.key] = race
    t = chamber_tally(everything.values(), chamber, context)
    if t is None:
        return None
    return tally_facts(t)


__all__ = [
    "ContextSettings",
    "chamber_calls",
    "chamber_tally",
    "flip_crossed",
    "flip_facts",
    "flip_from_facts",
    "flip_state",
    "gain_details",
    "tally_details",
    "turnout_baseline",
    "unit_swing_facts",
]
