"""The swing and the flip indication in words: '30.7 points towards the Democrats from 2016'.

The numbers come from ``bot.core.swing`` (exact fractions); this module only says them, rounding
once for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from bot.core.model import Race
from bot.core.parties import DEM, GOP, PARTY_PLURAL
from bot.core.swing import Baseline, FlipIndication, RaceSwing, county_units, flip_indication, race_swing
from bot.render.numbers import percent

# --- the margin and the swing in points ---------------------------------------------------------------------------------


def points_text(share: Fraction, places: int = 1) -> str:
    """|share| in points: Fraction(307, 1000) → '30.7'."""
    return percent(abs(share), places)


def margin_text(margin: Fraction) -> str:
    """'D+1.5', 'R+27.6', 'even'."""
    if margin == 0:
        return "even"
    return f"{'D' if margin > 0 else 'R'}+{points_text(margin)}"


def swing_text(swing: Fraction, label: str) -> str:
    """'a swing of 30.7 points towards the Democrats from 2016'."""
    if points_text(swing) == points_text(Fraction(0)):
        return f"no change from {label}"
    side = PARTY_PLURAL[DEM if swing > 0 else GOP]
    return f"a swing of {points_text(swing)} points towards the {side} from {label}"


def counties_text(rs: RaceSwing) -> str:
    """'all 67 counties moved towards the Democrats' / '52 of 60 counties moved towards …'."""
    n = rs.compared
    if n == 0:
        return "no county to compare yet"
    parts = []
    for count, party in ((rs.towards_dem, DEM), (rs.towards_gop, GOP)):
        if count:
            head = f"all {n}" if count == n else f"{count} of {n}"
            noun = "county" if n == 1 and count == n else "counties"
            parts.append(f"{head} {noun} moved towards the {PARTY_PLURAL[party]}")
    return "; ".join(parts) or f"none of {n} counties moved"


def flip_text(fi: FlipIndication) -> str:
    """One line, marked as an indication: 'Indication, not a projection: each county's swing
    since 2016 applied to the 2016 vote (9 counties not yet in at the average, 20.9 points
    towards the Democrats) gives R+6.7: on 2016 turnout the state would not flip'."""
    side = PARTY_PLURAL[DEM if fi.average_swing > 0 else GOP]
    assumed = (
        f" ({fi.counties_assumed} {'county' if fi.counties_assumed == 1 else 'counties'} not yet in at the average, "
        f"{points_text(fi.average_swing)} points towards the {side})"
        if fi.counties_assumed
        else ""
    )
    if fi.flips:
        verdict = f"on {fi.baseline_label} turnout the state would flip to the {PARTY_PLURAL[fi.winner_indicated or DEM]}"
    else:
        verdict = f"on {fi.baseline_label} turnout the state would not flip"
    return (
        f"Indication, not a projection: each county's swing since {fi.baseline_label} applied to the "
        f"{fi.baseline_label} vote{assumed} gives {margin_text(fi.margin_indicated)}: {verdict}"
    )


def county_swing_text(votes: Mapping[str, int], facts: Mapping[str, object], names: Mapping[str, str]) -> str | None:
    """'Jones by 37.9 points, a swing of 30.7 points towards the Democrats from 2016', from a
    unit's votes now and its ``swing_facts``; ``names`` maps candidate ids to display names."""
    try:
        dem, gop, label = str(facts["dem"]), str(facts["gop"]), str(facts["baseline"])
        then_total = int(facts["then_total"])  # type: ignore[call-overload]  # stored facts are JSON values; a wrong one is caught below
        then_lead = int(facts["then_dem"]) - int(facts["then_gop"])  # type: ignore[call-overload]  # as above
    except (KeyError, TypeError, ValueError):
        return None
    total = sum(votes.values())
    if total <= 0 or then_total <= 0:
        return None
    margin_now = Fraction(votes.get(dem, 0) - votes.get(gop, 0), total)
    swing = margin_now - Fraction(then_lead, then_total)
    if points_text(margin_now) == points_text(Fraction(0)):
        lead = f"{names.get(dem, dem)} and {names.get(gop, gop)} even"
    else:
        leader = dem if margin_now > 0 else gop
        lead = f"{names.get(leader, leader)} by {points_text(margin_now)} points"
    return f"{lead}, {swing_text(swing, label)}"


def results_swing_lines(race: Race, baseline: Baseline) -> list[str]:
    """The /results lines: the like-for-like swing so far, the counties' direction, and, while
    counties are still counting, the flip indication. Empty when nothing can be compared."""
    rs = race_swing(race, baseline)
    if rs.swing is None or rs.margin_then is None or rs.margin_now is None:
        return []
    counties = county_units(race)
    everything_in = (
        bool(counties)
        and all(u.fully_reporting for u in counties)
        and rs.without_swing == 0
        and rs.compared == len(counties)
    )
    scope = (
        f"all {rs.compared} counties"
        if everything_in
        else f"the {rs.compared} {'county' if rs.compared == 1 else 'counties'} reporting"
    )
    lines = [
        f"Since {baseline.label}, in {scope}: {margin_text(rs.margin_then)} then, {margin_text(rs.margin_now)} now, "
        f"{swing_text(rs.swing, baseline.label).removesuffix(' from ' + baseline.label)}; {counties_text(rs)}"
    ]
    if not everything_in:
        fi = flip_indication(race, baseline)
        if fi is not None:
            lines.append(flip_text(fi))
    return lines
