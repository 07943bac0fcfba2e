#!/usr/bin/env python3
"""Rebuild the Alabama 2017 Senate special election-night scenario from the county figures.

Why a generator and not a recording: nobody archived the Secretary of State's feed minute by
minute on 12 December 2017, but the demo and the rule tests need a night that behaves like that
one — rural Moore counties first, Moore ahead for hours, Birmingham, Montgomery, Mobile and the
Black Belt late, the lead changing hands inside Alabama's automatic-recount band (≤ 0.5 %,
Ala. Code § 17-16-20) and AP's call at 10:23 pm CT. The *figures* are facts (the SOS
election-night unofficial county totals, one row per county in ../shared); the *arrival order*
is a reconstruction, fixed by a seed so the files are reproducible byte for byte.

The script writes our own ``electionbot/1`` documents (``bot.codec.native``), never a copy of the
shared CSV, and it refuses to write anything unless every promise the scenario makes (see
:func:`check`) holds exactly, with integer arithmetic.

Usage::

    python scripts/build_al2017_scenario.py [--figures CSV] [--out DIR] [--summary]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from bot.codec import native  # noqa: E402
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot, sum_units  # noqa: E402

SCENARIO = "20171212_al_senate_special"
DEFAULT_FIGURES = ROOT.parent / "shared" / "data" / "al-2017-senate-special" / "counties-election-night.csv"
DEFAULT_OUT = ROOT / "bot" / "rehearsal" / "scenarios" / SCENARIO
FEED = "al-2017"
SEED = 20171212

STATE = "AL"
RACE_ID = "1000"
ELECTION_DAY = date(2017, 12, 12)
#: Alabama is on Central Standard Time in December: UTC−6, no DST to worry about.
CT = timezone(timedelta(hours=-6), "CST")
POLLS_CLOSE = datetime(2017, 12, 12, 19, 0, tzinfo=CT)

CANDIDATES = (
    Candidate("jones", "Doug Jones", "Dem"),
    Candidate("moore", "Roy Moore", "GOP"),
    Candidate("write-ins", "Write-ins", None, pseudo=True),
)
#: The SOS election-night unofficial statewide totals (shared/docs/feeds.md § 4.1).
PUBLISHED = {"jones": 671_151, "moore": 650_436, "write-ins": 22_780}
PUBLISHED_TOTAL = 1_344_367
COUNTIES = 67
RECOUNT_LINE = Fraction(1, 200)

#: Minutes after 7:00 pm CT. A zero snapshot at poll close, then one every four minutes from
#: 7:31 pm to 10:39 pm. The 4-minute grid puts a snapshot at 10:23 pm (AP's call) and keeps
#: the lead change (about 10:07 pm) inside the last fifth of the files.
MINUTES: tuple[int, ...] = (0,) + tuple(31 + 4 * k for k in range(48))
CALL_MINUTE = 203  # 10:23 pm CT

#: Counties whose count ran late on the night: the big Jones counties and the Black Belt.
LATE_URBAN = ("Montgomery", "Mobile", "Madison", "Tuscaloosa")
# fmt: off
BLACK_BELT = frozenset({
    "Barbour", "Bullock", "Butler", "Choctaw", "Clarke", "Conecuh", "Dallas", "Greene", "Hale",
    "Lowndes", "Macon", "Marengo", "Monroe", "Perry", "Pickens", "Russell", "Sumter", "Wilcox",
})
# fmt: on
#: Jefferson (Birmingham) came in last and is the county that carried Jones past Moore. Its
#: precinct count in the closing snapshots is solved for, so that the statewide margin lands in
#: these bands (Jones minus Moore over all votes): the lead change happens inside the recount
#: zone and the zone is left again before the call. Keyed by snapshot minute.
JEFFERSON = "Jefferson"
JEFFERSON_START = 55  # 7:55 pm
JEFFERSON_BANDS: dict[int, tuple[Fraction, Fraction]] = {
    179: (Fraction(-12, 1000), Fraction(-7, 1000)),  # 9:59 pm: Moore ahead, outside the zone
    183: (Fraction(-40, 10000), Fraction(-15, 10000)),  # 10:03 pm: Moore ahead, inside
    187: (Fraction(10, 10000), Fraction(30, 10000)),  # 10:07 pm: Jones ahead, inside
    191: (Fraction(35, 10000), Fraction(48, 10000)),  # 10:11 pm: Jones ahead, still inside
    195: (Fraction(65, 10000), Fraction(90, 10000)),  # 10:15 pm: Jones ahead, outside again
}


class ScenarioError(RuntimeError):
    """The generated night broke one of the scenario's promises; nothing was written."""


@dataclass(frozen=True, slots=True)
class CountyFigures:
    fips: str
    name: str
    precincts: int
    votes: dict[str, int]

    @property
    def jones_share(self) -> Fraction:
        return Fraction(self.votes["jones"], self.votes["jones"] + self.votes["moore"])


@dataclass(frozen=True, slots=True)
class CountyPlan:
    """How one county's count arrives: its precinct count per snapshot and how its votes bend.

    ``bends`` shape the votes against precincts: a candidate's votes at a share ``x`` of the
    precincts are ``V · x · (1 + b·(x − 1))`` — exact, increasing for |b| < 1, equal to ``V`` at
    ``x = 1``. A positive bend makes a candidate's vote arrive late (Birmingham's city precincts
    after its suburbs), which is what kept Moore ahead until the end.
    """

    figures: CountyFigures
    precincts: tuple[int, ...]
    bends: dict[str, Fraction]

    def votes_at(self, reporting: int) -> dict[str, int]:
        x = Fraction(reporting, self.figures.precincts)
        return {cid: round(total * x * (1 + self.bends[cid] * (x - 1))) for cid, total in self.figures.votes.items()}


# --- figures ------------------------------------------------------------------------------


def read_figures(path: Path) -> list[CountyFigures]:
    """The 67 county rows, checked against the published statewide totals before anything else."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ScenarioError(f"cannot read the figures at {path}: {exc.strerror or exc}") from exc
    counties = [
        CountyFigures(
            fips=row["fips"].strip(),
            name=row["county"].strip(),
            precincts=int(row["precincts"]),
            votes={"jones": int(row["jones"]), "moore": int(row["moore"]), "write-ins": int(row["write_in"])},
        )
        for row in rows
    ]
    counties.sort(key=lambda c: c.fips)
    if len(counties) != COUNTIES or len({c.fips for c in counties}) != COUNTIES:
        raise ScenarioError(f"expected {COUNTIES} distinct counties in {path}, found {len(counties)}")
    for cid, published in PUBLISHED.items():
        summed = sum(c.votes[cid] for c in counties)
        if summed != published:
            raise ScenarioError(f"{cid}: the figures sum to {summed:,}, the published total is {published:,}")
    return counties


# --- the night ----------------------------------------------------------------------------


def snapshot_times() -> list[datetime]:
    """Snapshot instants in Central time: a little deterministic jitter in the seconds, so the
    files look like polls of a live feed, but never outside 7:00–10:40 pm."""
    rng = random.Random(f"{SEED}:times")
    times = []
    for i, minute in enumerate(MINUTES):
        seconds = 0 if i == 0 else rng.randint(2, 48)
        times.append(POLLS_CLOSE + timedelta(minutes=minute, seconds=seconds))
    return times


def _window(start: int, end: int) -> list[int]:
    return [i for i, m in enumerate(MINUTES) if i > 0 and start <= m <= end]


def _ramp(total: int, indices: Sequence[int], rng: random.Random, *, start_at: int = 0) -> dict[int, int]:
    """Precincts reporting at each of ``indices``: batches of uneven size, some polls with no
    new batch, ending at ``total`` on the last index. Integer arithmetic only."""
    if not indices:
        raise ScenarioError("a county has no snapshot to report in")
    weights = []
    for n, _ in enumerate(indices):
        arrives = n == 0 or n == len(indices) - 1 or rng.random() < 0.72
        weights.append(rng.randint(1, 6) if arrives else 0)
    whole = sum(weights)
    out: dict[int, int] = {}
    running = 0
    for idx, weight in zip(indices, weights, strict=True):
        running += weight
        out[idx] = start_at + (total - start_at) * running // whole
    out[indices[0]] = max(out[indices[0]], min(start_at + 1, total))
    return out


def _path(ramp: dict[int, int], total: int) -> tuple[int, ...]:
    """Fill a sparse ramp into one value per snapshot (zero before, ``total`` after)."""
    path, current = [], 0
    for i in range(len(MINUTES)):
        current = max(current, ramp.get(i, current))
        path.append(current)
    if path[-1] != total:
        raise ScenarioError("a county's ramp does not end fully reporting")
    return tuple(path)


def _bend(rng: random.Random, low: int, high: int) -> Fraction:
    return Fraction(rng.randint(low, high), 100)


def plan_county(county: CountyFigures) -> CountyPlan:
    """Start and finish times by kind of county, as the night went: small rural counties with
    hand-counted-fast paper first, the suburbs in the middle, the Black Belt and the cities last."""
    rng = random.Random(f"{SEED}:{county.fips}")
    total_votes = sum(county.votes.values())
    if county.name in LATE_URBAN:
        start, end = rng.randint(40, 60), rng.randint(168, 178)
        bends = {"jones": _bend(rng, 12, 22), "moore": _bend(rng, -18, -8)}
    elif county.name in BLACK_BELT:
        start, end = rng.randint(48, 80), rng.randint(145, 175)
        bends = {"jones": _bend(rng, 5, 15), "moore": _bend(rng, -10, 0)}
    elif county.jones_share < Fraction(2, 5) and total_votes < 20_000:
        start, end = rng.randint(28, 50), rng.randint(95, 150)
        bends = {"jones": _bend(rng, -5, 6), "moore": _bend(rng, -6, 5)}
    else:
        start, end = rng.randint(35, 70), rng.randint(125, 172)
        bends = {"jones": _bend(rng, -3, 10), "moore": _bend(rng, -8, 3)}
    bends["write-ins"] = Fraction(0)
    ramp = _ramp(county.precincts, _window(start, end), rng)
    return CountyPlan(county, _path(ramp, county.precincts), bends)


def _margin(votes: dict[str, int]) -> Fraction:
    total = sum(votes.values())
    return Fraction(votes["jones"] - votes["moore"], total) if total else Fraction(0)


def plan_jefferson(county: CountyFigures, others: list[CountyPlan]) -> CountyPlan:
    """Jefferson's ramp: a steady trickle until 9:55 pm, then solved snapshot by snapshot so the
    statewide margin falls inside :data:`JEFFERSON_BANDS`, then the rest by 10:39 pm."""
    rng = random.Random(f"{SEED}:{county.fips}")
    bends = {"jones": Fraction(20, 100), "moore": Fraction(-15, 100), "write-ins": Fraction(0)}
    probe = CountyPlan(county, (), bends)
    bands = [(i, m) for i, m in enumerate(MINUTES) if m in JEFFERSON_BANDS]
    ramp = _ramp(county.precincts * 11 // 20, _window(JEFFERSON_START, bands[0][1] - 1), rng)
    reporting = max(ramp.values())
    for idx, minute in bands:
        low, high = JEFFERSON_BANDS[minute]
        aim = (low + high) / 2
        base = _state_votes(others, idx)

        def margin_with(p: int, base: dict[str, int] = base) -> Fraction:
            jv = probe.votes_at(p)
            return _margin({cid: base[cid] + jv[cid] for cid in base})

        best = min(range(reporting, county.precincts + 1), key=lambda p: (abs(margin_with(p) - aim), p))
        if not low <= margin_with(best) <= high:
            raise ScenarioError(
                f"no Jefferson precinct count puts the {_clock(minute)} margin in [{float(low):.2%}, {float(high):.2%}]"
                f" (best {float(margin_with(best)):.3%} at {best} precincts)"
            )
        ramp[idx] = reporting = best
    ramp |= _ramp(county.precincts, list(range(bands[-1][0] + 1, len(MINUTES))), rng, start_at=reporting)
    return CountyPlan(county, _path(ramp, county.precincts), bends)


def _state_votes(plans: list[CountyPlan], idx: int) -> dict[str, int]:
    totals = dict.fromkeys(PUBLISHED, 0)
    for plan in plans:
        for cid, n in plan.votes_at(plan.precincts[idx]).items():
            totals[cid] += n
    return totals


def _clock(minute: int) -> str:
    moment = POLLS_CLOSE + timedelta(minutes=minute)
    return f"{moment.hour - 12}:{moment.minute:02d} pm"


def build(figures: list[CountyFigures]) -> list[Snapshot]:
    """The whole night as snapshots, in order."""
    others = [plan_county(c) for c in figures if c.name != JEFFERSON]
    jefferson = next(c for c in figures if c.name == JEFFERSON)
    plans = sorted(others + [plan_jefferson(jefferson, others)], key=lambda p: p.figures.fips)
    times = snapshot_times()
    call_idx = next(i for i, m in enumerate(MINUTES) if m >= CALL_MINUTE)
    stamp_rng = random.Random(f"{SEED}:last_updated")
    changed_at: dict[str, datetime | None] = {p.figures.fips: None for p in plans}
    snapshots = []
    for idx, moment in enumerate(times):
        units = []
        for plan in plans:
            county = plan.figures
            reporting = plan.precincts[idx]
            if idx > 0 and reporting != plan.precincts[idx - 1]:
                # The county's upload lands a little before the poll that sees it.
                changed_at[county.fips] = moment - timedelta(seconds=stamp_rng.randint(20, 140))
            units.append(
                ReportingUnit(
                    id=county.fips,
                    level=Level.COUNTY,
                    name=county.name,
                    votes=plan.votes_at(reporting),
                    fips=county.fips,
                    precincts_reporting=reporting,
                    precincts_total=county.precincts,
                    last_updated=changed_at[county.fips],
                )
            )
        state = sum_units(units, STATE, "Alabama")
        called = idx >= call_idx
        call_moment = times[call_idx] if called else None
        race_updated = max((t for t in (state.last_updated, call_moment) if t is not None), default=None)
        race = Race(
            state=STATE,
            race_id=RACE_ID,
            office="U.S. Senate",
            office_id="S",
            race_type="Special General",
            general=True,
            seats=1,
            national=True,
            candidates=CANDIDATES,
            units=(state, *units),
            call_status=CallStatus.CALLED if called else CallStatus.NONE,
            winners=("jones",) if called else (),
            race_call_status="Called" if called else None,
            last_updated=race_updated,
        )
        snapshots.append(
            Snapshot.of(
                FEED,
                moment.astimezone(UTC),
                [race],
                election_date=ELECTION_DAY,
                version=f"{idx + 1}",
            )
        )
    return snapshots


# --- the promises -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moments:
    """Snapshot indices (0-based) of what the scenario exists to exercise."""

    first_votes: int
    half_precincts: int
    zone_entry: int
    lead_change: int
    zone_exit: int
    call: int
    last: int


def _state(snapshot: Snapshot) -> ReportingUnit:
    race = snapshot.races[f"{STATE}-{RACE_ID}"]
    unit = race.state_unit
    if unit is None:
        raise ScenarioError("a snapshot has no statewide row")
    return unit


def _leader(unit: ReportingUnit) -> str:
    jones, moore = unit.votes["jones"], unit.votes["moore"]
    return "jones" if jones > moore else "moore" if moore > jones else "tie"


def check(snapshots: Sequence[Snapshot], figures: list[CountyFigures]) -> Moments:
    """Every promise of the scenario, exactly; :class:`ScenarioError` on the first broken one."""
    n = len(snapshots)
    if not 40 <= n <= 60:
        raise ScenarioError(f"{n} snapshots; the scenario promises 40–60")
    # 6. Time: strictly increasing, within 7:00–10:40 pm CT.
    times = [s.generated_at for s in snapshots]
    if any(b <= a for a, b in pairwise(times)):
        raise ScenarioError("snapshot timestamps are not strictly increasing")
    if times[0] != POLLS_CLOSE or times[-1] > POLLS_CLOSE + timedelta(hours=3, minutes=40):
        raise ScenarioError("snapshots fall outside 7:00–10:40 pm CT")
    races = [s.races[f"{STATE}-{RACE_ID}"] for s in snapshots]
    states = [_state(s) for s in snapshots]
    # State row = the sum of the counties, always.
    for race, state in zip(races, states, strict=True):
        counties = race.subunits
        if len(counties) != COUNTIES or any(u.level is not Level.COUNTY for u in counties):
            raise ScenarioError("every snapshot carries exactly the 67 counties")
        for cid in PUBLISHED:
            if state.votes[cid] != sum(u.votes[cid] for u in counties):
                raise ScenarioError(f"the state row's {cid} votes are not the sum of the counties")
        if state.precincts_reporting != sum(u.precincts_reporting or 0 for u in counties):
            raise ScenarioError("the state row's precincts are not the sum of the counties")
    # 7. No county goes backwards; and every county reports over several snapshots.
    for prev, cur in pairwise(races):
        for before in prev.subunits:
            after = cur.unit(before.id)
            if after is None or (after.precincts_reporting or 0) < (before.precincts_reporting or 0):
                raise ScenarioError(f"{before.name}: precincts reporting went down")
            for cid, votes in before.votes.items():
                if after.votes[cid] < votes:
                    raise ScenarioError(f"{before.name}: {cid} votes went down")
    for county in races[-1].subunits:
        steps = len({r.unit(county.id).precincts_reporting for r in races})  # type: ignore[union-attr]
        if steps < 4:  # zero plus at least three batches
            raise ScenarioError(f"{county.name} reports in fewer than three batches")
    # 1. The final snapshot is the published night, county by county.
    final = states[-1]
    if dict(final.votes) != PUBLISHED or final.total_votes != PUBLISHED_TOTAL:
        raise ScenarioError(f"final statewide votes {dict(final.votes)} are not the published {PUBLISHED}")
    if final.precincts_reporting != final.precincts_total:
        raise ScenarioError("not every precinct reports in the final snapshot")
    by_fips = {c.fips: c for c in figures}
    for unit in races[-1].subunits:
        county = by_fips[unit.id]
        if dict(unit.votes) != county.votes or unit.precincts_reporting != county.precincts:
            raise ScenarioError(f"{county.name}'s final figures differ from the county figures")
    if states[0].total_votes != 0 or states[0].precincts_reporting != 0:
        raise ScenarioError("the first snapshot is not the poll-close zero")
    # 2. Moore strictly ahead from the first votes until one lead change; Jones ahead after.
    first_votes = next(i for i, s in enumerate(states) if s.total_votes > 0)
    leaders = [_leader(s) for s in states[first_votes:]]
    flip = leaders.index("jones") if "jones" in leaders else None
    if flip is None or set(leaders[:flip]) != {"moore"} or set(leaders[flip:]) != {"jones"}:
        raise ScenarioError(f"the lead does not change exactly once, Moore → Jones: {leaders}")
    lead_change = first_votes + flip
    if lead_change < int(0.8 * n):
        raise ScenarioError(f"Jones overtakes at snapshot {lead_change + 1} of {n}, before the last fifth")
    # 3. Recount zone, after half the precincts: out (Moore) → in (Moore) → in (Jones).
    margins = [Fraction(s.votes["jones"] - s.votes["moore"], s.total_votes) if s.total_votes else None for s in states]
    half = next(i for i, s in enumerate(states) if 2 * (s.precincts_reporting or 0) >= (s.precincts_total or 0) > 0)
    outside = [i for i in range(half, lead_change) if margins[i] < -RECOUNT_LINE]  # type: ignore[operator]
    inside_moore = [i for i in range(half, lead_change) if -RECOUNT_LINE <= margins[i] < 0]  # type: ignore[operator]
    inside_jones = [i for i in range(lead_change, n) if margins[i] <= RECOUNT_LINE]  # type: ignore[operator]
    if not outside or not inside_moore or min(outside) > min(inside_moore):
        raise ScenarioError("no snapshot with Moore ahead by more than 0.5 % after half the precincts, before the zone")
    if not inside_jones:
        raise ScenarioError("Jones is never ahead by 0.5 % or less")
    zone_entry = min(inside_moore)
    # 4. The margin leaves the zone (Jones > 0.5 %) and stays out.
    zone_exit = max(inside_jones) + 1
    if zone_exit >= n or any(margins[i] <= RECOUNT_LINE for i in range(zone_exit, n)):  # type: ignore[operator]
        raise ScenarioError("Jones's margin does not leave the recount zone for good")
    # 5. The call: Jones, from 10:23 pm CT on, after the zone exit; nothing before.
    called = [i for i, r in enumerate(races) if r.call_status is CallStatus.CALLED]
    if not called:
        raise ScenarioError("the race is never called")
    call = called[0]
    if called != list(range(call, n)):
        raise ScenarioError("the call is withdrawn in a later snapshot")
    ap_call = POLLS_CLOSE + timedelta(minutes=CALL_MINUTE)
    if not times[call - 1] < ap_call <= times[call]:
        raise ScenarioError("the call is not first published at 10:23 pm CT")
    if call <= zone_exit:
        raise ScenarioError("the race is called before the margin leaves the recount zone")
    for r in races[call:]:
        if r.winners != ("jones",) or r.race_call_status != "Called":
            raise ScenarioError("a called snapshot does not name Jones with race_call_status 'Called'")
    for r in races[:call]:
        if r.winners or r.race_call_status is not None:
            raise ScenarioError("an uncalled snapshot names a winner or a call status")
    return Moments(first_votes, half, zone_entry, lead_change, zone_exit, call, n - 1)


# --- output -------------------------------------------------------------------------------


def render_documents(snapshots: Sequence[Snapshot]) -> list[bytes]:
    """One ``electionbot/1`` document per snapshot; parsed back to prove the files load."""
    docs = []
    for snap in snapshots:
        data = native.dumps(snap, indent=1) + b"\n"
        if native.dumps(native.parse(data, FEED), indent=1) + b"\n" != data:
            raise ScenarioError(f"snapshot {snap.version} does not survive a parse round trip")
        docs.append(data)
    return docs


def scenario_toml(snapshots: Sequence[Snapshot], moments: Moments) -> str:
    """The scenario's description. Written by hand (no TOML writer in the dependencies); the
    fields are fixed, so the text is stable."""

    def at(idx: int) -> str:
        return snapshots[idx].generated_at.astimezone(CT).isoformat()

    final = _state(snapshots[-1])
    lines = [
        "# Generated by scripts/build_al2017_scenario.py; edit the script, not this file.",
        f'name = "{SCENARIO}"',
        'title = "Alabama U.S. Senate special general election, 12 December 2017"',
        'description = "Election night replayed: rural Moore counties first, Birmingham last, Jones overtakes inside the recount zone and AP calls it at 10:23 pm CT."',
        f"election_date = {ELECTION_DAY.isoformat()}",
        f'state = "{STATE}"',
        f'race_id = "{RACE_ID}"',
        f'race_key = "{STATE}-{RACE_ID}"',
        'office = "U.S. Senate"',
        'timezone = "America/Chicago"',
        f'format = "{native.FORMAT}"',
        f'feed = "{FEED}"',
        f"snapshots = {len(snapshots)}",
        'files = "snapshot-NNN.json"',
        f"seed = {SEED}",
        'source = "Figures are the Alabama Secretary of State\'s election-night unofficial county totals (12 Dec 2017); the order and timing of their arrival is a reconstruction."',
        'call = "Race call status is none (race_call_status null) until AP\'s call for Jones at 10:23 pm CT, then called (race_call_status \\"Called\\")."',
        "",
        "[final]",
        f"jones = {final.votes['jones']}",
        f"moore = {final.votes['moore']}",
        f"write_ins = {final.votes['write-ins']}",
        f"total = {final.total_votes}",
        f"precincts = {final.precincts_total}",
        "",
        "# 1-based snapshot numbers (snapshot-NNN.json) and their Central-time instants.",
        "[moments]",
    ]
    for key in ("first_votes", "half_precincts", "zone_entry", "lead_change", "zone_exit", "call", "last"):
        idx = getattr(moments, key)
        lines.append(f"{key} = {{ snapshot = {idx + 1}, at = {at(idx)} }}")
    return "\n".join(lines) + "\n"


def write(out: Path, documents: list[bytes], toml_text: str) -> None:
    """Replace the scenario's files (and only those) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("snapshot-*.json"):
        stale.unlink()
    for n, data in enumerate(documents, start=1):
        (out / f"snapshot-{n:03d}.json").write_bytes(data)
    (out / "scenario.toml").write_text(toml_text, encoding="utf-8")


def summary(snapshots: Sequence[Snapshot], moments: Moments) -> str:
    marks = {
        moments.first_votes: "first votes",
        moments.half_precincts: "50 % precincts",
        moments.zone_entry: "recount zone (Moore)",
        moments.lead_change: "lead change",
        moments.zone_exit: "zone exit",
        moments.call: "AP call",
        moments.last: "last",
    }
    rows = [f"{'#':>3} {'time CT':>8} {'prec %':>6} {'Jones':>9} {'Moore':>9} {'write-ins':>9} {'leader':>6} {'margin':>7}"]
    for idx, snap in enumerate(snapshots):
        st = _state(snap)
        j, m, w = st.votes["jones"], st.votes["moore"], st.votes["write-ins"]
        pct = 100 * (st.precincts_reporting or 0) / (st.precincts_total or 1)
        leader = "Jones" if j > m else "Moore" if m > j else "-"
        margin = f"{100 * abs(j - m) / st.total_votes:6.2f}%" if st.total_votes else "      -"
        when = snap.generated_at.astimezone(CT).strftime("%H:%M:%S")
        note = f"  {marks[idx]}" if idx in marks else ""
        rows.append(f"{idx + 1:>3} {when:>8} {pct:6.1f} {j:>9,} {m:>9,} {w:>9,} {leader:>6} {margin:>7}{note}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--figures", type=Path, default=DEFAULT_FIGURES, help="the county figures CSV (default: ../shared/…)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: bot/rehearsal/scenarios/{SCENARIO})"
    )
    parser.add_argument("--summary", action="store_true", help="print the night as a table")
    args = parser.parse_args(argv)
    try:
        figures = read_figures(args.figures)
        snapshots = build(figures)
        documents = render_documents(snapshots)
        parsed = [native.parse(d, FEED) for d in documents]
        moments = check(parsed, figures)
        if sum(len(d) for d in documents) > 1_500_000:
            raise ScenarioError("the scenario is over 1.5 MB")
        toml_text = scenario_toml(parsed, moments)
    except ScenarioError as exc:
        print(f"build_al2017_scenario: {exc}; nothing written", file=sys.stderr)
        return 1
    write(args.out, documents, toml_text)
    if args.summary:
        print(summary(parsed, moments))
    print(f"wrote {len(documents)} snapshots ({sum(len(d) for d in documents):,} bytes) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
