"""``kind = "csv"``: OpenElections-style result rows → a snapshot.

One row per (county, precinct, office, district, party, candidate) with ``votes``: the shape of
the canvassed Alabama 2017 file and of most state exports. Every (office, district) is a race;
precinct rows are summed into county rows, and the state row is summed from the counties.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from bot.codec.errors import FeedConfigError, FeedError, LeftOut
from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot, race_key
from bot.core.states import lookup as lookup_state
from bot.feeds.common import is_pseudo_name, name_key, refuse_error_page
from bot.feeds.naming import named
from bot.feeds.source import FeedSource, admissible, register, with_last_good

REQUIRED_COLUMNS = ("county", "office", "candidate", "votes")
DEFAULT_WRITE_IN_NAMES = ("Write-In", "Write-ins", "Write In")

#: Rows that share the columns but are not votes for anyone: turnout figures (registered
#: voters, ballots cast, blank ballots), over- and under-votes, and straight-party tallies
#: (which are already inside each candidate's count). Counting them would inflate the office
#: total — the denominator of every share and of the recount margin, which the Secretary of
#: State computes from votes for candidates, write-ins included, and nothing else.
NOT_VOTES = (
    "registeredvoters",
    "ballotscast",
    "blankballots",
    "straightparty",
    "overvote",
    "undervote",
    "totalvotes",
    "timescounted",
)

_SLUG = re.compile(r"[\W_]+")


@dataclass
class _RaceRows:
    """Votes of one (office, district) as they accumulate, keyed by county then precinct."""

    office: str
    district: str
    candidates: dict[str, Candidate] = field(default_factory=dict)
    counties: dict[str, dict[str, int]] = field(default_factory=dict)
    precincts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    reported: set[tuple[str, str]] = field(default_factory=set)

    def candidate_id(self, name: str, party: str, write_ins: set[str]) -> str:
        """Write-ins, however a county spells them, are one pseudo-candidate; the first row
        that names a party gives the candidate theirs (Alabama's write-in rows are NON or blank)."""
        write_in = name_key(name) in write_ins
        cid = "write-ins" if write_in else _slug(name)
        known = self.candidates.get(cid)
        if known is None:
            pseudo = write_in or is_pseudo_name(name)
            self.candidates[cid] = Candidate(cid, "Write-ins" if write_in else name, party or None, pseudo=pseudo)
        elif known.party is None and party:
            self.candidates[cid] = replace(known, party=party)
        return cid


def parse_csv(
    data: bytes,
    feed: str,
    state: str,
    *,
    offices: Iterable[str] | None = None,
    write_in_names: Iterable[str] = DEFAULT_WRITE_IN_NAMES,
    generated_at: datetime | None = None,
    election_date: date | None = None,
    names: str = "title",
    county: str | None = None,
    left_out: list[LeftOut] | None = None,
) -> Snapshot:
    """Bytes of a results CSV → a snapshot, or :class:`FeedError` naming the line.

    Each race's precincts are the precincts listed for it; one whose row carries a figure is
    reporting. A blank ``votes`` cell lists the precinct without a figure: not reporting yet on
    a live file (Alabama's canvass also leaves district tax questions blank outside the
    district, which therefore never show complete). Votes may be written as floats ("815.0")
    but must be whole and ≥ 0. Offices and names go through the shared vocabulary in the
    ``names`` case (county exports write in capitals); a county's own file names its ``county``,
    and its races are labelled with it. With ``left_out``, a row that cannot be read costs its
    race (named there, with the line and why), not the file.
    """
    postal = _postal(state)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(f"the CSV is not UTF-8 text ({exc.reason} at byte {exc.start})", feed=feed) from None
    wanted = {name_key(o) for o in offices} if offices else None
    write_ins = {name_key(w) for w in write_in_names}
    races: dict[str, _RaceRows] = {}
    broken: dict[str, str] = {}  # race id (or the line, when no race can be told) → first problem
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns = _columns(next(reader, None))
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            try:
                _add_row(races, row, columns, wanted, write_ins, reader.line_num)
            except _BadRow as exc:
                if left_out is None:
                    raise
                race_id = _row_race(row, columns)
                broken.setdefault(race_id or f"line {reader.line_num}", str(exc))
    except csv.Error as exc:
        raise FeedError(f"CSV line {reader.line_num}: {exc}", feed=feed) from None
    except _BadRow as exc:
        raise FeedError(str(exc), feed=feed) from None
    return Snapshot.of(
        feed,
        generated_at or datetime.now(UTC),
        _readable(
            (named(_race(postal, race_id, rows), names, county) for race_id, rows in races.items() if race_id not in broken),
            broken,
            postal,
            left_out,
        ),
        election_date=election_date,
    )


class _BadRow(Exception):
    pass


def _row_race(row: list[str], columns: Mapping[str, int]) -> str | None:
    """The race a bad row belongs to, when its office can be read."""

    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    office = cell("office")
    return _slug(f"{office} {cell('district')}") if office else None


def _readable(races: Iterable[Race], broken: Mapping[str, str], state: str, left_out: list[LeftOut] | None) -> list[Race]:
    if left_out is None:
        return list(races)
    for race_id, reason in broken.items():
        is_line = race_id.startswith("line ")
        left_out.append(
            LeftOut(
                "row" if is_line else "race",
                race_id if is_line else race_key(state, race_id),
                reason,
                None if is_line else race_key(state, race_id),
            )
        )
    return admissible(races, left_out)


def _postal(state: str) -> str:
    found = lookup_state(state) if isinstance(state, str) else None
    if found is None:
        raise FeedConfigError(f"options.state {str(state)[:20]!r} is not a US state (the CSV has no state column)")
    return found.postal


def _columns(header: list[str] | None) -> dict[str, int]:
    if header is None:
        raise _BadRow("the CSV is empty (a header row is required)")
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip().lower(), index)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise _BadRow(f"the header lacks {', '.join(missing)} (found: {', '.join(header)[:120]})")
    return columns


def _add_row(
    races: dict[str, _RaceRows],
    row: list[str],
    columns: Mapping[str, int],
    wanted: set[str] | None,
    write_ins: set[str],
    line: int,
) -> None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    office, candidate = cell("office"), cell("candidate")
    if not office or not candidate:
        raise _BadRow(f"CSV line {line}: office and candidate must not be empty")
    if _not_votes(office) or _not_votes(candidate):
        return
    if wanted is not None and name_key(office) not in wanted:
        return
    votes = _votes(cell("votes"), line)
    county = cell("county")
    if not county:
        raise _BadRow(f"CSV line {line}: county must not be empty")
    district = cell("district")
    race_id = _slug(f"{office} {district}")
    rows = races.get(race_id)
    if rows is None:
        rows = races[race_id] = _RaceRows(office, district)
    cid = rows.candidate_id(candidate, cell("party"), write_ins)
    precinct = cell("precinct")
    if precinct:
        target = rows.precincts.setdefault((county, precinct), {})  # listed, even with a blank cell
        if votes is None:
            return
        rows.reported.add((county, precinct))
    elif votes is None:
        return
    else:
        target = rows.counties.setdefault(county, {})
    target[cid] = target.get(cid, 0) + votes  # split precincts repeat a row: they add up


def _not_votes(text: str) -> bool:
    key = name_key(text)
    return key.startswith(NOT_VOTES)


def _votes(text: str, line: int) -> int | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _BadRow(f"CSV line {line}: votes {text[:20]!r} is not a number") from None
    if not (value >= 0 and value.is_integer() and value < 1e12):
        raise _BadRow(f"CSV line {line}: votes {text[:20]!r} is not a whole number ≥ 0")
    return int(value)


def _slug(text: str) -> str:
    """'UNITED STATES SENATOR' → 'united-states-senator'; 'José Peña' → 'josé-peña'."""
    return _SLUG.sub("-", text.lower()).strip("-") or name_key(text) or "-"


def _race(state: str, race_id: str, rows: _RaceRows) -> Race:
    """Precinct rows become precinct units and are summed into their county; county-only rows
    (absentee batches in some files, whole-county files in others) add to the county."""
    by_county: dict[str, list[ReportingUnit]] = {county: [] for county in rows.counties}
    for (county, precinct), votes in rows.precincts.items():
        reporting = 1 if (county, precinct) in rows.reported else 0
        unit = ReportingUnit(
            f"{county}/{precinct}", Level.PRECINCT, precinct, votes, precincts_reporting=reporting, precincts_total=1
        )
        by_county.setdefault(county, []).append(unit)
    units: list[ReportingUnit] = []
    for county, precincts in by_county.items():
        votes = dict(rows.counties.get(county, {}))
        for unit in precincts:
            for cid, n in unit.votes.items():
                votes[cid] = votes.get(cid, 0) + n
        counted = sum(u.precincts_reporting or 0 for u in precincts) if precincts else None
        units.append(
            ReportingUnit(
                county, Level.COUNTY, county, votes, precincts_reporting=counted, precincts_total=len(precincts) or None
            )
        )
        units.extend(precincts)
    return Race(
        state=state,
        race_id=race_id,
        office=rows.office,
        seat=rows.district or None,
        candidates=tuple(rows.candidates.values()),
        units=tuple(units),
    ).with_state_total()


@register
class CsvFeed(FeedSource):
    """Options: ``state`` (postal code, required), ``offices`` (only these offices),
    ``write_in_names`` (names that mean write-ins), ``election_date`` (YYYY-MM-DD). The feed's
    ``county`` (a county's own file) labels its races with the county."""

    kind = "csv"
    default_names = "title"  # county exports often write in capitals

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        options = self.spec.options
        state, election_date = self._state(), self._election_date()
        fetched = self.fetch_conditionally(self.spec.url, previous is not None)
        if fetched.not_modified:
            return None
        left_out: list[LeftOut] = []
        try:
            refuse_error_page(fetched, self.spec.name, "CSV")
            snapshot = parse_csv(
                fetched.body,
                self.spec.name,
                state,
                offices=options.get("offices"),
                write_in_names=options.get("write_in_names") or DEFAULT_WRITE_IN_NAMES,
                election_date=election_date,
                names=self.names,
                county=self.spec.county or options.get("county"),
                left_out=left_out,
            )
        except FeedError as exc:
            self.http.forget(self.spec.url)
            raise exc.located(self.spec.name, self.spec.url) from None
        self.report_left_out(fetched.body, left_out)
        if not left_out:
            return snapshot
        return replace(
            snapshot,
            races=with_last_good(dict(snapshot.races), left_out, previous, snapshot.test),
        )

    def _state(self) -> str:
        """The file has no state column, so the config names it (checked before any fetch)."""
        state = self.spec.options.get("state")
        if not state:
            raise FeedConfigError("a csv feed needs options.state (the file has no state column)", feed=self.spec.name)
        try:
            return _postal(str(state))
        except FeedConfigError as exc:
            raise FeedConfigError(exc.reason, feed=self.spec.name) from None

    def _election_date(self) -> date | None:
        value = self.spec.options.get("election_date")
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise FeedConfigError(
                f"options.election_date {str(value)[:20]!r} is not YYYY-MM-DD", feed=self.spec.name
            ) from None
