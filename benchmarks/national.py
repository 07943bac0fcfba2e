"""A seeded national general-election night as AP v2 replies: one full reply, then ``nextrequest`` deltas.

    .venv/bin/python -m benchmarks.national [--out var/national] [--seed 13] [--polls 20] [--scale 1]

Why: the bot was built on one race; a November night in AP's national feed is about 7,000 races
and 100,000 candidate rows in one reply. This writes that night as files, so the benchmarks and
the tests play it through the real pipeline without a real reply, which we may not ship.

What is in it (``scale`` 1): President in the 50 states and DC by county, and by town in New
England (about 4,600 units); 35 Senate races, 36 governors and about 150 statewide ballot
measures by county; 435 House districts over their states' counties; and the state legislative
seats that make up the rest of a real national reply (about 6,300, a few units each). Every race
says ``"test": false`` as a live reply does. The first file is the full reply at poll close (about
a third of the races have first votes, uncontested seats are called); each later file is a
``nextrequest`` delta holding the 1–5 % of races that changed since the one before (whole races,
as AP sends them), calls included, its ``nextrequest`` naming the next one. A ``manifest.jsonl``
beside them makes the folder a recording whose replay follows that cursor chain
(``python -m bot replay var/national --step --via disk``); ``national-000.json`` alone is the
one full reply (the ``elex`` comparison). ``--scale 0.02`` is a
small night for the tests (a few hundred races, the same shapes).

The same seed gives the same bytes: tests pin that, and a benchmark's figures refer to a night
anyone can regenerate. The files are never committed (``var/`` is ignored).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ELECTION_DATE = "2026-11-03"
POLL_CLOSE = datetime(2026, 11, 4, 0, 0, tzinfo=UTC)
POLL_SECONDS = 30
API = f"http://api.ap.org/v2/elections/{ELECTION_DATE}"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "var" / "national"

# Reporting units per state as AP counts them at ``level=ru``: counties, or towns in New England
# (CT, MA, ME, NH, RI, VT). Rounded real figures; they sum to about 4,600.
UNITS = {
    "AL": 67,
    "AK": 40,
    "AZ": 15,
    "AR": 75,
    "CA": 58,
    "CO": 64,
    "CT": 169,
    "DE": 3,
    "DC": 1,
    "FL": 67,
    "GA": 159,
    "HI": 5,
    "ID": 44,
    "IL": 102,
    "IN": 92,
    "IA": 99,
    "KS": 105,
    "KY": 120,
    "LA": 64,
    "ME": 500,
    "MD": 24,
    "MA": 351,
    "MI": 83,
    "MN": 87,
    "MS": 82,
    "MO": 115,
    "MT": 56,
    "NE": 93,
    "NV": 17,
    "NH": 259,
    "NJ": 21,
    "NM": 33,
    "NY": 62,
    "NC": 100,
    "ND": 53,
    "OH": 88,
    "OK": 77,
    "OR": 36,
    "PA": 67,
    "RI": 39,
    "SC": 46,
    "SD": 66,
    "TN": 95,
    "TX": 254,
    "UT": 29,
    "VT": 255,
    "VA": 133,
    "WA": 39,
    "WV": 55,
    "WI": 72,
    "WY": 23,
}
NAMES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}
# House seats per state (2020 apportionment; DC sends no voting member).
HOUSE = {
    "AL": 7,
    "AK": 1,
    "AZ": 9,
    "AR": 4,
    "CA": 52,
    "CO": 8,
    "CT": 5,
    "DE": 1,
    "FL": 28,
    "GA": 14,
    "HI": 2,
    "ID": 2,
    "IL": 17,
    "IN": 9,
    "IA": 4,
    "KS": 4,
    "KY": 6,
    "LA": 6,
    "ME": 2,
    "MD": 8,
    "MA": 9,
    "MI": 13,
    "MN": 8,
    "MS": 4,
    "MO": 8,
    "MT": 2,
    "NE": 3,
    "NV": 4,
    "NH": 2,
    "NJ": 12,
    "NM": 3,
    "NY": 26,
    "NC": 14,
    "ND": 1,
    "OH": 15,
    "OK": 5,
    "OR": 6,
    "PA": 17,
    "RI": 2,
    "SC": 7,
    "SD": 1,
    "TN": 9,
    "TX": 38,
    "UT": 4,
    "VT": 1,
    "VA": 11,
    "WA": 10,
    "WV": 2,
    "WI": 8,
    "WY": 1,
}
NEW_ENGLAND = {"CT", "MA", "ME", "NH", "RI", "VT"}
STATES = tuple(UNITS)
PARTIES = ("Dem", "GOP", "Lib", "Grn", "Ind")


@dataclass
class _Unit:
    id: str
    name: str
    fips: str
    precincts: int
    reporting: int = 0
    #: each candidate's votes once every precinct has reported
    final: list[int] = field(default_factory=list)


@dataclass
class _Race:
    state: str
    race_id: str
    office_id: str
    office_name: str
    race_type_id: str
    seat: str | None
    description: str | None
    candidates: list[dict[str, object]]
    units: list[_Unit]
    national: bool = False
    uncontested: bool = False
    winner: int | None = None  # index into candidates
    updated: int = 0  # the poll it last changed in: its rows' lastUpdated

    def fraction(self) -> float:
        total = sum(u.precincts for u in self.units)
        return sum(u.reporting for u in self.units) / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Night:
    """The files of one night, in poll order (the first is the full reply)."""

    files: tuple[Path, ...]
    races: int
    candidate_rows: int
    changed: tuple[int, ...]  # races in each delta


class _Builder:
    def __init__(self, seed: int, scale: float):
        self.rng = random.Random(seed)
        self.scale = scale
        self.next_candidate = 10_000
        self.next_pol = 50_000
        self.units: dict[str, list[tuple[str, str, str]]] = {s: self._units(s) for s in STATES}

    def _n(self, full: int, floor: int = 1) -> int:
        return max(floor, round(full * self.scale))

    def _units(self, state: str) -> list[tuple[str, str, str]]:
        fips_state = f"{(STATES.index(state) + 1):02d}"
        n = self._n(UNITS[state])
        kind = "Town" if state in NEW_ENGLAND else "County"
        return [
            (
                f"{fips_state}{i:03d}",
                f"{NAMES[state]} {kind} {i}",
                f"{fips_state}{(i if state not in NEW_ENGLAND else 1 + i % 8):03d}",
            )
            for i in range(1, n + 1)
        ]

    def _people(self, n: int, ballot: bool = False) -> list[dict[str, object]]:
        people: list[dict[str, object]] = []
        if ballot:
            for order, word in enumerate(("Yes", "No"), start=1):
                self.next_candidate += 1
                people.append(
                    {
                        "last": word,
                        "party": word,
                        "candidateID": str(self.next_candidate),
                        "polID": str(1 + order),
                        "ballotOrder": order,
                        "polNum": str(self.next_candidate),
                    }
                )
            return people
        for order in range(1, n + 1):
            self.next_candidate += 1
            self.next_pol += 1
            people.append(
                {
                    "first": self.rng.choice(("Ann", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo")),
                    "last": f"Candidate{self.next_pol}",
                    "party": PARTIES[order - 1] if order <= len(PARTIES) else "Oth",
                    "candidateID": str(self.next_candidate),
                    "polID": str(self.next_pol),
                    "ballotOrder": order,
                    "polNum": str(self.next_pol + 100_000),
                }
            )
        return people

    def _race(
        self,
        state: str,
        race_id: str,
        office: tuple[str, str],
        units: list[tuple[str, str, str]],
        n: int,
        *,
        seat: str | None = None,
        description: str | None = None,
        ballot: bool = False,
        national: bool = False,
        uncontested: bool = False,
    ) -> _Race:
        people = self._people(n, ballot)
        shares = [self.rng.uniform(0.35, 0.6), self.rng.uniform(0.35, 0.6)] + [
            self.rng.uniform(0.005, 0.04) for _ in people[2:]
        ]
        shares = shares[: len(people)]
        built = []
        for unit_id, name, fips in units:
            voters = self.rng.randint(800, 60_000) if len(units) > 1 else self.rng.randint(20_000, 400_000)
            swing = self.rng.uniform(-0.12, 0.12)
            weights = [max(0.001, s + (swing if i == 0 else -swing if i == 1 else 0)) for i, s in enumerate(shares)]
            total = sum(weights)
            built.append(
                _Unit(unit_id, name, fips, self.rng.randint(1, 40), 0, [round(voters * w / total) for w in weights])
            )
        return _Race(state, race_id, office[0], office[1], "G", seat, description, people, built, national, uncontested)

    def races(self) -> list[_Race]:
        rng = self.rng
        races: list[_Race] = []
        senate = set(rng.sample([s for s in STATES if s != "DC"], 35))
        governors = set(rng.sample([s for s in STATES if s != "DC"], 36))
        measures = self._n(150, 3)
        legislature = self._n(6_300, 5)
        for state in STATES:
            counties = self.units[state]
            races.append(self._race(state, "0", ("P", "President"), counties, 4 if state != "DC" else 3, national=True))
            if state in senate:
                races.append(self._race(state, "1", ("S", "U.S. Senate"), counties, 3, national=True))
            if state in governors:
                races.append(self._race(state, "2", ("G", "Governor"), counties, 3))
            seats = HOUSE.get(state, 0)
            for d in range(1, self._n(seats) + 1 if seats else 1):
                share = max(1, len(counties) // max(1, self._n(seats)))
                part = counties[(d - 1) * share : (d - 1) * share + share] if seats > 1 else counties
                uncontested = rng.random() < 0.04
                races.append(
                    self._race(
                        state,
                        f"{100 + d}",
                        ("H", "U.S. House"),
                        part or counties[:1],
                        1 if uncontested else 3,
                        seat=f"District {d}" if seats > 1 else "At Large",
                        national=True,
                        uncontested=uncontested,
                    )
                )
        for m in range(measures):
            state = STATES[m % len(STATES)]
            races.append(
                self._race(
                    state,
                    f"{900 + m}",
                    ("I", "Proposition"),
                    self.units[state],
                    2,
                    seat=f"Measure {m + 1}",
                    description=f"Question {m + 1}",
                    ballot=True,
                )
            )
        for k in range(legislature):
            state = rng.choice([s for s in STATES if s != "DC"])
            counties = self.units[state]
            start = rng.randrange(len(counties))
            part = counties[start : start + rng.choice((1, 1, 2, 3))]
            uncontested = rng.random() < 0.15
            office = ("Y", "State House") if k % 3 else ("Z", "State Senate")
            races.append(
                self._race(
                    state,
                    f"{20_000 + k}",
                    office,
                    part,
                    1 if uncontested else rng.choice((2, 2, 3)),
                    seat=f"District {k + 1}",
                    uncontested=uncontested,
                )
            )
        return races


def _advance(race: _Race, rng: random.Random, step: float) -> None:
    """Count more of the race: some units report more precincts; the call comes when the data
    support it (most counted and a clear lead, or all counted), as AP's would."""
    for unit in race.units:
        if unit.reporting < unit.precincts and rng.random() < step:
            unit.reporting = min(unit.precincts, unit.reporting + rng.randint(1, max(1, unit.precincts // 2)))
    if race.winner is None:
        totals = _totals(race)
        ranked = sorted(range(len(totals)), key=lambda i: -totals[i])
        counted = race.fraction()
        votes = sum(totals)
        lead = (totals[ranked[0]] - totals[ranked[1]]) / votes if votes and len(ranked) > 1 else 1.0
        supported = counted >= 1.0 or (counted >= 0.6 and lead > 0.06) or (race.uncontested and len(totals) == 1)
        if supported and (len(ranked) == 1 or totals[ranked[0]] > totals[ranked[1]]):
            race.winner = ranked[0]


def _unit_votes(unit: _Unit) -> list[int]:
    if unit.precincts == 0:
        return [0] * len(unit.final)
    return [v * unit.reporting // unit.precincts for v in unit.final]


def _totals(race: _Race) -> list[int]:
    totals = [0] * len(race.candidates)
    for unit in race.units:
        for i, v in enumerate(_unit_votes(unit)):
            totals[i] += v
    return totals


def _race_json(race: _Race, stamp: str) -> dict[str, object]:
    def rows(votes: list[int], winner_here: bool) -> list[dict[str, object]]:
        out = []
        for i, person in enumerate(race.candidates):
            row = {**person, "voteCount": votes[i]}
            if winner_here and race.winner == i:
                row["winner"] = "X"
            out.append(row)
        return out

    per_unit = [_unit_votes(u) for u in race.units]
    total_precincts = sum(u.precincts for u in race.units)
    reporting = sum(u.reporting for u in race.units)
    state_votes = [sum(v[i] for v in per_unit) for i in range(len(race.candidates))]
    units: list[dict[str, object]] = [
        {
            "statePostal": race.state,
            "stateName": NAMES[race.state],
            "level": "state",
            "lastUpdated": stamp,
            "precinctsReporting": reporting,
            "precinctsTotal": total_precincts,
            "precinctsReportingPct": round(100 * reporting / total_precincts, 2) if total_precincts else 0.0,
            "candidates": rows(state_votes, True),
        }
    ]
    if len(race.units) > 1:
        for unit, votes in zip(race.units, per_unit, strict=True):
            units.append(
                {
                    "statePostal": race.state,
                    "reportingunitName": unit.name,
                    "reportingunitID": unit.id,
                    "level": "subunit",
                    "fipsCode": unit.fips,
                    "lastUpdated": stamp,
                    "precinctsReporting": unit.reporting,
                    "precinctsTotal": unit.precincts,
                    "precinctsReportingPct": round(100 * unit.reporting / unit.precincts, 2) if unit.precincts else 0.0,
                    "candidates": rows(votes, True),
                }
            )
    doc: dict[str, object] = {
        "test": False,
        "raceID": race.race_id,
        "raceType": "Ballot Issue" if race.office_id == "I" else "General",
        "raceTypeID": race.race_type_id,
        "officeID": race.office_id,
        "officeName": race.office_name,
    }
    if race.seat:
        doc["seatName"] = race.seat
    if race.description:
        doc["description"] = race.description
    if race.national:
        doc["national"] = True
    if race.uncontested:
        doc["uncontested"] = True
    doc["reportingUnits"] = units
    return doc


def _stamp(poll: int) -> str:
    return (POLL_CLOSE + timedelta(seconds=POLL_SECONDS * poll)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _next(poll: int) -> str:
    cursor = _stamp(poll).replace(":", "%3a")
    return f"{API}?format=json&level=ru&minDateTime={cursor}"


def replies(
    seed: int = 13, polls: int = 20, scale: float = 1.0, change: tuple[float, float] = (0.01, 0.05), *, full: bool = False
) -> Iterator[tuple[bytes, int]]:
    """Each reply's bytes and how many races it holds: the full reply first, then the deltas
    (``full``: every poll as a full reply of the same night, what a delta chain must add up to)."""
    builder = _Builder(seed, scale)
    rng = builder.rng
    races = builder.races()
    for race in races:  # poll close: the early states have first votes; uncontested seats are called
        if rng.random() < 0.33 or race.uncontested:
            _advance(race, rng, 0.3)
    yield _dump(races, 0), len(races)
    for poll in range(1, polls):
        share = rng.uniform(*change)
        changed = rng.sample(range(len(races)), max(1, round(share * len(races))))
        for i in sorted(changed):
            _advance(races[i], rng, 0.5)
            races[i].updated = poll
        yield _dump(races if full else [races[i] for i in sorted(changed)], poll), len(changed)


def _dump(races: list[_Race], poll: int) -> bytes:
    doc = {
        "electionDate": ELECTION_DATE,
        "timestamp": _stamp(poll),
        "races": [_race_json(r, _stamp(r.updated)) for r in races],
        "nextrequest": _next(poll),
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def write_night(
    out: Path, seed: int = 13, polls: int = 20, scale: float = 1.0, change: tuple[float, float] = (0.01, 0.05)
) -> Night:
    """Writes ``national-000.json`` (the full reply) and ``national-NNN.json`` (deltas) to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("national-*.json"):
        old.unlink()
    files, changed = [], []
    races = rows = 0
    for poll, (body, count) in enumerate(replies(seed, polls, scale, change)):
        path = out / f"national-{poll:03d}.json"
        path.write_bytes(body)
        files.append(path)
        if poll == 0:
            races = count
            rows = body.count(b'"voteCount"')
        else:
            changed.append(count)
    _write_manifest(out, files)
    return Night(tuple(files), races, rows, tuple(changed))


def _write_manifest(out: Path, files: list[Path]) -> None:
    """The same replies as a recording (``python -m bot replay DIR``): each delta at the URL the
    reply before it named in ``nextrequest``, so a replay follows AP's cursor chain over HTTP and
    from disk alike. (A plain list of saved files is played as whole documents, each a full reply.)"""
    from bot.rehearsal.recording import FORMAT, MANIFEST

    feed = {"name": "national", "kind": "ap", "url": f"{API}?level=ru", "interval_seconds": POLL_SECONDS, "options": {}}
    lines = [{"format": FORMAT, "started_at": POLL_CLOSE.isoformat(), "feeds": [feed]}]
    for poll, path in enumerate(files):
        url = f"{API}?level=ru&format=json" if poll == 0 else _next(poll - 1)
        lines.append(
            {
                "seq": poll + 1,
                "feed": "national",
                "poll": poll + 1,
                "offset": float(POLL_SECONDS * poll),
                "url": url,
                "status": 200,
                "content_type": "application/json",
                "file": path.name,
            }
        )
    (out / MANIFEST).write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--polls", type=int, default=20, help="replies in all: the full one and polls-1 deltas")
    parser.add_argument("--scale", type=float, default=1.0, help="0.02: a small night for tests")
    args = parser.parse_args(argv)
    night = write_night(args.out, args.seed, args.polls, args.scale)
    size = night.files[0].stat().st_size
    print(
        f"{len(night.files)} replies in {args.out}: full reply {size / 1e6:.1f} MB, {night.races:,} races, {night.candidate_rows:,} candidate rows; "
        f"races changed per delta {min(night.changed, default=0)}–{max(night.changed, default=0)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
