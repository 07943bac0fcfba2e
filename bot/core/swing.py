"""Swing against a baseline election: how far each county moved since a previous election.

A *baseline* is a previous election's result by county (``load_baseline_csv``): for Alabama's
2017 Senate special it is the 2016 presidential vote, the comparison election-night coverage
led with. Every figure is an exact ``Fraction``, as in ``bot.core.margins``; rounding happens only in
the ``*_text`` helpers at the bottom.

Definitions (points are shares × 100):

* margin = (Democratic votes − Republican votes) ÷ all votes for the office in that election
  (write-ins and minor candidates included, as the rest of the bot computes shares);
* swing = margin now − margin then: positive means the unit moved towards the Democrats;
* turnout = all votes now ÷ all votes then.

Which candidate is the Democrat and which the Republican comes from ``Candidate.party``
(``normalize_party``). Units are matched to the baseline by FIPS first, then by normalized
county name (``normalize_county``: case, a "County" suffix, "St."/"Saint"/"St", spaces and
punctuation, so "St. Clair", "StClair" and "Saint Clair County" match, as do "DeKalb" and
"De Kalb").

Bad or missing baseline data never crashes a poll and never invents a number: the unit gets no
swing (``None``) and one clear log line per distinct problem per baseline.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from bot.core.model import Candidate, Level, Race, ReportingUnit
from bot.render.numbers import percent

log = logging.getLogger(__name__)

DEM = "Dem"
GOP = "GOP"

_PARTY_ALIASES = {
    "dem": DEM, "d": DEM, "democrat": DEM, "democratic": DEM, "democrats": DEM,
    "gop": GOP, "rep": GOP, "r": GOP, "republican": GOP, "republicans": GOP,
    "ind": "Ind", "i": "Ind", "independent": "Ind",
}


def normalize_party(party: str | None) -> str | None:
    """The party as the bot spells it: 'Dem', 'GOP', 'Ind'; other labels pass through trimmed."""
    if party is None:
        return None
    text = party.strip()
    if not text:
        return None
    return _PARTY_ALIASES.get(text.lower().rstrip("."), text)


class BaselineError(ValueError):
    """A baseline file that cannot be read as one (the message names the file and the line)."""


# --- the baseline --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaselineCounty:
    fips: str
    county: str
    dem: int
    gop: int
    total: int  # every vote for the office in that election

    @property
    def margin(self) -> Fraction | None:
        """(Dem − GOP) ÷ total; ``None`` when the county had no votes."""
        return Fraction(self.dem - self.gop, self.total) if self.total else None


@dataclass(frozen=True, eq=False)  # identity equality: hashable, so settings objects can hold one
class Baseline:
    """A previous election by county, keyed by five-digit FIPS."""

    counties: Mapping[str, BaselineCounty]
    label: str = "the baseline"  # how text names it: "2016"
    source: str | None = None  # the file's leading '#' comment, verbatim
    #: problems already logged for this baseline, so each is logged once (not once per poll).
    _logged: set[str] = field(default_factory=set, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counties", MappingProxyType(dict(self.counties)))
        by_name: dict[str, list[str]] = {}
        for fips, county in self.counties.items():
            by_name.setdefault(normalize_county(county.county), []).append(fips)
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))

    @property
    def dem(self) -> int:
        return sum(c.dem for c in self.counties.values())

    @property
    def gop(self) -> int:
        return sum(c.gop for c in self.counties.values())

    @property
    def total(self) -> int:
        return sum(c.total for c in self.counties.values())

    @property
    def margin(self) -> Fraction | None:
        total = self.total
        return Fraction(self.dem - self.gop, total) if total else None

    def by_name(self, name: str) -> list[BaselineCounty]:
        return [self.counties[f] for f in self._by_name.get(normalize_county(name), [])]  # type: ignore[attr-defined]

    def match(self, unit: ReportingUnit) -> tuple[BaselineCounty | None, str | None]:
        """The baseline county of a unit and how it was found ('fips' or 'name'), or (None, None)."""
        for code in (unit.fips, unit.id):
            fips = _fips(code)
            if fips is not None and fips in self.counties:
                return self.counties[fips], "fips"
        found = self.by_name(unit.name)
        if len(found) == 1:
            return found[0], "name"
        if len(found) > 1:
            self.warn(f"ambiguous:{unit.id}", "baseline %s: county name %r matches %d baseline rows; no swing for it",
                      self.label, unit.name, len(found))
        return None, None

    def warn(self, key: str, msg: str, *args: object, level: int = logging.WARNING) -> None:
        if key in self._logged:
            return
        self._logged.add(key)
        log.log(level, msg, *args)


def _fips(code: str | None) -> str | None:
    if not code:
        return None
    text = code.strip()
    if not text.isdigit() or len(text) > 5:
        return None
    return text.zfill(5)


_SUFFIX = re.compile(r"\s+(county|parish|borough|census area|municipality)$")
_SAINT = re.compile(r"^(saint|st|ste|sainte)(?=[\s.]|$)\.?\s*")


def normalize_county(name: str) -> str:
    """A county name reduced for matching: 'St. Clair County' → 'stclair', 'De Kalb' → 'dekalb'."""
    text = " ".join(name.lower().split())
    text = _SUFFIX.sub("", text)
    text = _SAINT.sub("st", text)
    return re.sub(r"[^a-z0-9]", "", text)


_COLUMNS = ("fips", "county", "dem_votes", "gop_votes", "total_votes")


def load_baseline_csv(path: str | Path, label: str | None = None) -> Baseline:
    """Read a baseline file: an optional leading '#' comment (the source), then a header
    ``fips,county,dem_votes,gop_votes,total_votes`` and one row per county.

    Raises ``BaselineError`` naming the file and line for anything it cannot trust: a missing
    column, a number that is not a non-negative integer, a FIPS code that is not 1–5 digits, a
    FIPS code twice, no rows at all. Dem + GOP above the total (two Alabama 2016 counties in the
    source file) is kept as published with a logged warning.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline file: {exc}") from exc
    return parse_baseline_csv(text, label=label or _label_from_name(path.name), where=str(path))


def parse_baseline_csv(text: str, label: str = "the baseline", where: str = "<baseline>") -> Baseline:
    lines = text.splitlines()
    comments = []
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        if lines[start].startswith("#"):
            comments.append(lines[start].lstrip("#").strip())
        start += 1
    reader = csv.DictReader(io.StringIO("\n".join(lines[start:])))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise BaselineError(f"{where}: missing column(s) {', '.join(missing)} (header: {','.join(header) or 'none'})")
    counties: dict[str, BaselineCounty] = {}
    for offset, raw in enumerate(reader):
        lineno = start + 2 + offset
        row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else v for k, v in raw.items()}
        if None in raw:
            raise BaselineError(f"{where}:{lineno}: more fields than the header")
        fips = _fips(row["fips"])
        if fips is None:
            raise BaselineError(f"{where}:{lineno}: FIPS code {row['fips']!r} is not 1–5 digits")
        if fips in counties:
            raise BaselineError(f"{where}:{lineno}: FIPS {fips} appears twice")
        if not row["county"]:
            raise BaselineError(f"{where}:{lineno}: empty county name")
        numbers = {}
        for col in ("dem_votes", "gop_votes", "total_votes"):
            value = row[col]
            if value is None or not value.isdigit():
                raise BaselineError(f"{where}:{lineno}: {col} {value!r} is not a non-negative integer")
            numbers[col] = int(value)
        if numbers["dem_votes"] + numbers["gop_votes"] > numbers["total_votes"]:
            # A quirk of the source, not of the file: kept as published (the figures are facts)
            # and said once, since the margin then uses a total below the two parties' votes.
            # A warning, unless the file's own comment already names the county (documented).
            documented = row["county"] in " ".join(comments)
            log.log(logging.INFO if documented else logging.WARNING,
                    "%s:%d: %s: dem_votes + gop_votes (%d) exceed total_votes (%d); kept as published",
                    where, lineno, row["county"], numbers["dem_votes"] + numbers["gop_votes"], numbers["total_votes"])
        counties[fips] = BaselineCounty(fips, row["county"], numbers["dem_votes"], numbers["gop_votes"], numbers["total_votes"])
    if not counties:
        raise BaselineError(f"{where}: no county rows")
    return Baseline(counties, label=label, source=" ".join(comments) or None)


def _label_from_name(filename: str) -> str:
    """'baseline-2016-president.csv' → '2016'."""
    m = re.search(r"(?<!\d)(\d{4})(?!\d)", filename)
    return m.group(1) if m else "the baseline"


@lru_cache(maxsize=8)
def scenario_baseline(name: str | None = None) -> Baseline | None:
    """The ``baseline-*.csv`` shipped with a scenario (the first by name), or ``None``. Cached:
    a baseline is read once per process, and its data problems are logged once."""
    from bot.rehearsal.scenarios import DEFAULT_SCENARIO, scenario_path

    files = sorted(scenario_path(name or DEFAULT_SCENARIO).glob("baseline-*.csv"))
    return load_baseline_csv(files[0]) if files else None


# --- parties -------------------------------------------------------------------------------


def party_candidates(race: Race, baseline: Baseline | None = None) -> tuple[Candidate, Candidate] | None:
    """The race's (Democrat, Republican), or ``None`` when there is not exactly one of each."""
    found: dict[str, list[Candidate]] = {DEM: [], GOP: []}
    for cand in race.candidates:
        party = normalize_party(cand.party)
        if not cand.pseudo and party in found:
            found[party].append(cand)
    if len(found[DEM]) == 1 and len(found[GOP]) == 1:
        return found[DEM][0], found[GOP][0]
    if baseline is not None:
        baseline.warn(
            f"parties:{race.key}",
            "race %s: no swing — need exactly one Democratic and one Republican candidate (found %d Dem, %d GOP)",
            race.key, len(found[DEM]), len(found[GOP]),
        )
    return None


# --- swing per unit ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitSwing:
    unit_id: str
    name: str
    fips: str  # the baseline county's
    margin_now: Fraction  # (Dem − GOP) ÷ all votes now
    margin_then: Fraction
    total_now: int
    total_then: int
    fully_reporting: bool
    matched_by: str  # 'fips' or 'name'

    @property
    def swing(self) -> Fraction:
        """Positive: towards the Democrats."""
        return self.margin_now - self.margin_then

    @property
    def turnout(self) -> Fraction:
        return Fraction(self.total_now, self.total_then)

    @property
    def towards(self) -> str | None:
        return DEM if self.swing > 0 else GOP if self.swing < 0 else None


def unit_swing(race: Race, unit: ReportingUnit, baseline: Baseline) -> UnitSwing | None:
    """The swing of one reporting unit, or ``None`` when none can honestly be given: no votes
    yet, no Democrat/Republican pair, the unit is not in the baseline, or the baseline has no
    votes there. The statewide row is compared with the whole baseline."""
    pair = party_candidates(race, baseline)
    if pair is None:
        return None
    dem, gop = pair
    total_now = unit.total_votes
    if total_now <= 0:
        return None  # not reporting yet: nothing to say, nothing wrong
    if unit.level is Level.STATE:
        then_dem, then_gop, then_total, fips, how = baseline.dem, baseline.gop, baseline.total, "", "state"
    else:
        match, how = baseline.match(unit)
        if match is None:
            baseline.warn(
                f"missing:{unit.id}:{unit.name}",
                "baseline %s has no county %r (unit %s, fips %s): no swing for it",
                baseline.label, unit.name, unit.id, unit.fips or "none",
            )
            return None
        if how == "name":
            baseline.warn(
                f"byname:{unit.id}", "baseline %s: unit %r (id %s) matched county %r (%s) by name, not FIPS",
                baseline.label, unit.name, unit.id, match.county, match.fips, level=logging.INFO,
            )
        then_dem, then_gop, then_total, fips = match.dem, match.gop, match.total, match.fips
    if then_total <= 0:
        baseline.warn(
            f"zero:{fips or 'state'}", "baseline %s has zero votes for %r (fips %s): no swing for it",
            baseline.label, unit.name, fips or "state",
        )
        return None
    return UnitSwing(
        unit_id=unit.id,
        name=unit.name,
        fips=fips,
        margin_now=Fraction(unit.votes.get(dem.id, 0) - unit.votes.get(gop.id, 0), total_now),
        margin_then=Fraction(then_dem - then_gop, then_total),
        total_now=total_now,
        total_then=then_total,
        fully_reporting=unit.fully_reporting,
        matched_by=how or "fips",
    )


# --- swing statewide -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaceSwing:
    """The statewide swing so far, like for like.

    Early in the night the counted vote is a handful of counties, and comparing their margin
    with the whole state's 2016 margin would mostly measure *which* counties reported. So the
    statewide swing compares the current margin of the reported counties (all their votes
    summed) with the baseline margin of the *same* counties: a like-for-like swing that needs
    no estimate of the vote still out. It equals the plain statewide comparison once every
    county is in.
    """

    race_key: str
    baseline_label: str
    counties: tuple[UnitSwing, ...]  # by swing, most Democratic first, then by name
    margin_now: Fraction | None  # of the counties compared
    margin_then: Fraction | None  # of the same counties in the baseline
    votes_now: int
    votes_then: int
    towards_dem: int
    towards_gop: int
    unchanged: int
    without_swing: int  # reporting units with votes but no swing (missing from the baseline …)

    @property
    def swing(self) -> Fraction | None:
        if self.margin_now is None or self.margin_then is None:
            return None
        return self.margin_now - self.margin_then

    @property
    def compared(self) -> int:
        return len(self.counties)


def _county_units(race: Race) -> tuple[ReportingUnit, ...]:
    return tuple(u for u in race.units if u.level is Level.COUNTY)


def race_swing(race: Race, baseline: Baseline, reported_only: bool = True, complete_only: bool = False) -> RaceSwing:
    """The race's swing from the baseline over its counties.

    ``reported_only`` (the default) compares the reported counties with the same counties in
    the baseline (see ``RaceSwing``). ``reported_only=False`` compares the statewide row now
    with the whole baseline, whatever has been counted: honest only once the count is complete.
    ``complete_only`` keeps only counties with every precinct in (partial counties are biased
    by which precincts came first). The county list and counts are the same either way.
    """
    swings: list[UnitSwing] = []
    without = 0
    for unit in _county_units(race):
        if unit.total_votes <= 0 or (complete_only and not unit.fully_reporting):
            continue
        us = unit_swing(race, unit, baseline)
        if us is None:
            without += 1
        else:
            swings.append(us)
    swings.sort(key=lambda s: (-s.swing, s.name))
    pair = party_candidates(race)
    if reported_only:
        if pair is not None and swings:
            dem, gop = pair
            units = {u.id: u for u in _county_units(race)}
            now_lead = sum(units[s.unit_id].votes.get(dem.id, 0) - units[s.unit_id].votes.get(gop.id, 0) for s in swings)
            votes_now = sum(s.total_now for s in swings)
            counties = [baseline.counties[s.fips] for s in swings]
            then_lead = sum(c.dem - c.gop for c in counties)
            votes_then = sum(c.total for c in counties)
            margin_now, margin_then = Fraction(now_lead, votes_now), Fraction(then_lead, votes_then)
        else:
            margin_now = margin_then = None
            votes_now = votes_then = 0
    else:
        state = race.state_unit
        whole = unit_swing(race, state, baseline) if state is not None else None
        margin_now = whole.margin_now if whole else None
        margin_then = whole.margin_then if whole else None
        votes_now = whole.total_now if whole else 0
        votes_then = whole.total_then if whole else 0
    return RaceSwing(
        race_key=race.key,
        baseline_label=baseline.label,
        counties=tuple(swings),
        margin_now=margin_now,
        margin_then=margin_then,
        votes_now=votes_now,
        votes_then=votes_then,
        towards_dem=sum(1 for s in swings if s.swing > 0),
        towards_gop=sum(1 for s in swings if s.swing < 0),
        unchanged=sum(1 for s in swings if s.swing == 0),
        without_swing=without,
    )


# --- would the state flip? -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlipIndication:
    """An *indication*, not a projection: the baseline result with each reported county's swing
    applied (the uncounted counties given the reported counties' average swing, weighted by
    their baseline votes), on the baseline's turnout. It ignores turnout changes, partial
    counties' uncounted precincts and everything a model would know. Never a call."""

    baseline_label: str
    margin_then: Fraction  # the baseline's statewide margin
    margin_indicated: Fraction  # the baseline with the swings applied
    average_swing: Fraction  # of the reported counties, weighted by baseline votes
    counties_swung: int  # counties with a swing of their own
    counties_assumed: int  # baseline counties given the average swing

    @property
    def winner_then(self) -> str | None:
        return _side(self.margin_then)

    @property
    def winner_indicated(self) -> str | None:
        return _side(self.margin_indicated)

    @property
    def flips(self) -> bool:
        return self.winner_then is not None and self.winner_indicated is not None and self.winner_then != self.winner_indicated


def _side(margin: Fraction) -> str | None:
    return DEM if margin > 0 else GOP if margin < 0 else None


def flip_indication(race: Race, baseline: Baseline) -> FlipIndication | None:
    """``None`` until at least one county has a swing (or when the baseline has no votes)."""
    rs = race_swing(race, baseline)
    if not rs.counties or baseline.total <= 0 or baseline.margin is None:
        return None
    own = {s.fips: s.swing for s in rs.counties}
    weight = sum(s.total_then for s in rs.counties)
    average = sum((s.swing * s.total_then for s in rs.counties), Fraction(0)) / weight
    lead = Fraction(0)
    total = 0
    assumed = 0
    for fips, county in baseline.counties.items():
        if county.total <= 0:
            continue
        swing = own.get(fips)
        if swing is None:
            swing = average
            assumed += 1
        lead += (Fraction(county.dem - county.gop, county.total) + swing) * county.total
        total += county.total
    return FlipIndication(
        baseline_label=baseline.label,
        margin_then=baseline.margin,
        margin_indicated=lead / total,
        average_swing=average,
        counties_swung=len(own),
        counties_assumed=assumed,
    )


# --- words ---------------------------------------------------------------------------------

PARTY_PLURAL = {DEM: "Democrats", GOP: "Republicans"}


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


# --- integer facts for events (an alert rendered after a restart says what the data said) ----


def swing_facts(race: Race, unit: ReportingUnit, baseline: Baseline) -> dict[str, object] | None:
    """What a county event needs to state its swing later, as JSON-able integers: the party
    candidates' ids and the baseline's votes for the unit (``None`` when it has no swing)."""
    us = unit_swing(race, unit, baseline)
    pair = party_candidates(race)
    if us is None or pair is None:
        return None
    if unit.level is Level.STATE:
        then = (baseline.dem, baseline.gop, baseline.total)
    else:
        c = baseline.counties[us.fips]
        then = (c.dem, c.gop, c.total)
    return {"baseline": baseline.label, "dem": pair[0].id, "gop": pair[1].id,
            "then_dem": then[0], "then_gop": then[1], "then_total": then[2]}


def county_swing_text(votes: Mapping[str, int], facts: Mapping[str, object], names: Mapping[str, str]) -> str | None:
    """'Jones by 37.9 points, a swing of 30.7 points towards the Democrats from 2016', from a
    unit's votes now and its ``swing_facts``; ``names`` maps candidate ids to display names."""
    try:
        dem, gop, label = str(facts["dem"]), str(facts["gop"]), str(facts["baseline"])
        then_total = int(facts["then_total"])  # type: ignore[call-overload]
        then_lead = int(facts["then_dem"]) - int(facts["then_gop"])  # type: ignore[call-overload]
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
    counties = _county_units(race)
    everything_in = bool(counties) and all(u.fully_reporting for u in counties) and rs.without_swing == 0 and rs.compared == len(counties)
    scope = f"all {rs.compared} counties" if everything_in else f"the {rs.compared} {'county' if rs.compared == 1 else 'counties'} reporting"
    lines = [
        f"Since {baseline.label}, in {scope}: {margin_text(rs.margin_then)} then, {margin_text(rs.margin_now)} now, "
        f"{swing_text(rs.swing, baseline.label).removesuffix(' from ' + baseline.label)}; {counties_text(rs)}"
    ]
    if not everything_in:
        fi = flip_indication(race, baseline)
        if fi is not None:
            lines.append(flip_text(fi))
    return lines


__all__ = [
    "Baseline", "BaselineCounty", "BaselineError", "DEM", "FlipIndication", "GOP", "RaceSwing", "UnitSwing",
    "counties_text", "flip_indication", "flip_text", "load_baseline_csv", "margin_text", "normalize_county",
    "normalize_party", "parse_baseline_csv", "party_candidates", "points_text", "race_swing", "scenario_baseline",
    "swing_text", "unit_swing", "swing_facts", "county_swing_text", "results_swing_lines",
]

