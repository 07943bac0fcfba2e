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
from types import MappingProxyType

from bot.core.model import Candidate, Level, Race, ReportingUnit
from bot.core.parties import DEM, GOP, normalize_party

log = logging.getLogger(__name__)


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
        return [self.counties[f] for f in self._by_name.get(normalize_county(name), [])]  # type: ignore[attr-defined]  # _by_name is set in __post_init__ of a frozen dataclass

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
            self.warn(
                f"ambiguous:{unit.id}",
                "baseline %s: county name %r matches %d baseline rows; no swing for it",
                self.label,
                unit.name,
                len(found),
            )
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
            log.log(
                logging.INFO if documented else logging.WARNING,
                "%s:%d: %s: dem_votes + gop_votes (%d) exceed total_votes (%d); kept as published",
                where,
                lineno,
                row["county"],
                numbers["dem_votes"] + numbers["gop_votes"],
                numbers["total_votes"],
            )
        counties[fips] = BaselineCounty(
            fips, row["county"], numbers["dem_votes"], numbers["gop_votes"], numbers["total_votes"]
        )
    if not counties:
        raise BaselineError(f"{where}: no county rows")
    return Baseline(counties, label=label, source=" ".join(comments) or None)


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
            race.key,
            len(found[DEM]),
            len(found[GOP]),
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
    how: str | None
    if unit.level is Level.STATE:
        then_dem, then_gop, then_total, fips, how = baseline.dem, baseline.gop, baseline.total, "", "state"
    else:
        match, how = baseline.match(unit)
        if match is None:
            baseline.warn(
                f"missing:{unit.id}:{unit.name}",
                "baseline %s has no county %r (unit %s, fips %s): no swing for it",
                baseline.label,
                unit.name,
                unit.id,
                unit.fips or "none",
            )
            return None
        if how == "name":
            baseline.warn(
                f"byname:{unit.id}",
                "baseline %s: unit %r (id %s) matched county %r (%s) by name, not FIPS",
                baseline.label,
                unit.name,
                unit.id,
                match.county,
                match.fips,
                level=logging.INFO,
            )
        then_dem, then_gop, then_total, fips = match.dem, match.gop, match.total, match.fips
    if then_total <= 0:
        baseline.warn(
            f"zero:{fips or 'state'}",
            "baseline %s has zero votes for %r (fips %s): no swing for it",
            baseline.label,
            unit.name,
            fips or "state",
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


def county_units(race: Race) -> tuple[ReportingUnit, ...]:
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
    for unit in county_units(race):
        if unit.total_votes <= 0 or (complete_only and not unit.fully_reporting):
            continue
        us = unit_swing(race, unit, baseline)
        if us is None:
            without += 1
        else:
            swings.append(us)
    swings.sort(key=lambda s: (-s.swing, s.name))
    pair = party_candidates(race)
    margin_now: Fraction | None
    margin_then: Fraction | None
    if reported_only:
        if pair is not None and swings:
            dem, gop = pair
            units = {u.id: u for u in county_units(race)}
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
        return (
            self.winner_then is not None and self.winner_indicated is not None and self.winner_then != self.winner_indicated
        )


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
    return {
        "baseline": baseline.label,
        "dem": pair[0].id,
        "gop": pair[1].id,
        "then_dem": then[0],
        "then_gop": then[1],
        "then_total": then[2],
    }


__all__ = [
    "Baseline",
    "BaselineCounty",
    "BaselineError",
    "FlipIndication",
    "RaceSwing",
    "UnitSwing",
    "flip_indication",
    "normalize_county",
    "parse_baseline_csv",
    "party_candidates",
    "race_swing",
    "unit_swing",
    "swing_facts",
]
