"""``kind = "clarity"``: Clarity/Scytl Election Night Reporting sites → snapshots.

A Clarity site is a folder per upload: ``{base}/current_ver.txt`` names the newest version and
everything under ``{base}/{version}/`` is immutable (../shared/docs/feeds.md §2). So a poll reads the tiny
version file and fetches nothing else unless the number changed; then ``json/en/summary.json``
(totals per contest) and ``reports/detailxml.zip`` → ``detail.xml`` (per county on a state site,
per precinct on a county site, split by vote type, which we sum).

Clarity's quirks decide the rest: the party and the incumbency hide in the choice text
("Donald J. Trump (I) (Rep)") while the party field says "NP"; ``TP``/``PR`` in summary.json count
*counties* on a state site; ``Precinct@percentReporting`` is a status code (4 = complete), not a
percentage; and winner flags (``W``) are display hints set by some counties, never calls.

Pure functions for tests and benchmarks: :func:`parse_summary`, :func:`read_detail_zip`,
:func:`parse_detail_xml`, :func:`combine`. :class:`ClarityFeed` does the I/O.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bot.codec.errors import FeedConfigError, FeedError, LeftOut
from bot.codec.races import unique_races
from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot, race_key, sum_units
from bot.core.names import split_markers
from bot.core.states import lookup as lookup_state
from bot.core.states import state_name
from bot.feeds.common import is_pseudo_name, load_json, looks_like_html, name_key, refuse_error_page
from bot.feeds.http import FeedHttp
from bot.feeds.naming import named
from bot.feeds.source import FeedSource, FeedSpec, Recorder, admissible, register, with_last_good

#: detail.xml of a whole state at precinct level runs to tens of MB; more than this is refused.
MAX_DETAIL_BYTES = 64 * 1024 * 1024
#: Clarity zips hold ``detail.xml`` alone; a few members are tolerated, an archive is not.
MAX_ZIP_MEMBERS = 4
#: ``Precinct@percentReporting`` = 4 is the only code every sample shows on counted precincts.
COMPLETE = "4"

Site = Literal["state", "county"]

# Zone abbreviations Clarity prints after its local timestamps ("11/20/2020 3:37:06 PM EST").
_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "AST": -4,
}


class _Malformed(Exception):
    """A shape problem; becomes a :class:`FeedError` naming the file at the edge."""


@dataclass(frozen=True, slots=True)
class ClarityDetail:
    """``detail.xml`` parsed: the races with their county or precinct rows, and the header."""

    region: str | None
    site: Site
    timestamp: datetime | None
    election_name: str | None
    election_date: date | None
    races: tuple[Race, ...] = field(default=())


# -- summary.json -----------------------------------------------------------------------------------


def parse_summary(
    data: bytes,
    feed: str,
    state: str,
    *,
    site: Site = "state",
    race_type: str | None = None,
    names: str = "title",
    county: str | None = None,
    left_out: list[LeftOut] | None = None,
) -> tuple[Race, ...]:
    """``summary.json`` → races holding only their state row (the site's totals).

    Candidate ids are the choice's position (1-based) because summary.json has no choice keys;
    :func:`combine` swaps in detail.xml's keys when the detail is read too. On a county site
    ``TP``/``PR`` count precincts and become the precinct counts; on a state site they count
    counties, which is not a precinct count, so they are left out. Offices and names go through
    the shared vocabulary (:func:`bot.feeds.naming.named`) in the feed's ``names`` case; a county
    site's races carry ``county``.
    """
    doc = load_json(data, feed, "summary.json")
    try:
        if not isinstance(doc, list):
            raise _Malformed("expected a list of contests at the top level")
        kind, general = _race_type(race_type)
        races = _contests(
            doc,
            lambda raw: _summary_race(raw, state.upper(), site, kind, general),
            _summary_key,
            state,
            left_out,
            "summary.json",
        )
        return tuple(named(race, names, county) for race in races)
    except _Malformed as exc:
        raise FeedError(f"malformed summary.json: {exc}", feed=feed) from None


def _summary_race(raw: Any, state: str, site: Site, race_type: str, general: bool) -> Race:
    if not isinstance(raw, dict):
        raise _Malformed("a contest is not an object")
    key = _key(raw.get("K"), "K")
    try:
        names = _list_of(raw.get("CH"), str, "CH")
        votes = _list_of(raw.get("V"), int, "V")
        parties = _list_of(raw.get("P"), str, "P") if raw.get("P") is not None else [""] * len(names)
        if not (len(names) == len(votes) == len(parties)):
            raise _Malformed("CH, V and P differ in length")
        if any(v < 0 for v in votes):
            raise _Malformed("negative votes")
        candidates = tuple(
            _candidate(str(i), text, party) for i, (text, party) in enumerate(zip(names, parties, strict=True), start=1)
        )
        _unique_names(candidates)
        reporting = total = None
        if site == "county":
            total = _optional_count(raw.get("TP"), "TP")
            reporting = _optional_count(raw.get("PR"), "PR")
            if total is None or reporting is None:
                reporting = total = None
        title = raw.get("C")
        if not isinstance(title, str) or not title.strip():
            raise _Malformed("no contest title (C)")
        return Race(
            state=state,
            race_id=key,
            office=title.strip(),
            candidates=candidates,
            units=(
                ReportingUnit(
                    state,
                    Level.STATE,
                    state_name(state),
                    {c.id: v for c, v in zip(candidates, votes, strict=True)},
                    None,
                    reporting,
                    total,
                ),
            ),
            race_type=race_type,
            general=general,
            seats=_seats(raw.get("VF")),
        )
    except _Malformed as exc:
        raise _Malformed(f"contest {key}: {exc}") from None


# -- detailxml.zip / detail.xml --------------------------------------------------------------------


def read_detail_zip(data: bytes, max_bytes: int = MAX_DETAIL_BYTES) -> bytes:
    """``detailxml.zip`` → the bytes of ``detail.xml``, refusing what an honest upload never is:
    not a zip (an HTML error page, a zip cut off mid-upload), more than a few members, member
    names with paths, and anything that inflates beyond ``max_bytes`` — checked against the
    declared size *and* while inflating, since a zip bomb can lie in its header."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        # NotImplementedError: a corrupted central directory can claim a zip version zipfile lacks
        hint = " (it looks like an HTML page)" if looks_like_html(data) else ""
        raise FeedError(f"detailxml.zip is not a readable zip ({exc}){hint}") from None
    with archive:
        members = archive.infolist()
        if not members or len(members) > MAX_ZIP_MEMBERS:
            raise FeedError(f"detailxml.zip holds {len(members)} members; expected detail.xml alone")
        for info in members:
            if "/" in info.filename or "\\" in info.filename or ".." in info.filename or ":" in info.filename:
                raise FeedError(f"detailxml.zip member {info.filename[:60]!r} has a path; refused")
        detail = next((m for m in members if m.filename.lower() == "detail.xml"), None)
        if detail is None:
            raise FeedError(f"detailxml.zip has no detail.xml (members: {', '.join(m.filename[:40] for m in members)})")
        if detail.file_size > max_bytes:
            raise FeedError(f"detail.xml declares {detail.file_size:,} bytes, over the {max_bytes:,}-byte limit")
        try:
            with archive.open(detail) as stream:
                body = stream.read(max_bytes + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise FeedError(f"detailxml.zip cannot be inflated ({type(exc).__name__}: {exc})") from None
        if len(body) > max_bytes:
            raise FeedError(f"detail.xml inflates beyond the {max_bytes:,}-byte limit")
        return body


def parse_detail_xml(
    data: bytes,
    feed: str,
    state: str | None = None,
    *,
    race_type: str | None = None,
    max_bytes: int = MAX_DETAIL_BYTES,
    names: str = "title",
    county: str | None = None,
    left_out: list[LeftOut] | None = None,
) -> ClarityDetail:
    """``detail.xml`` → races with their county (state site) or precinct (county site) rows.

    Votes are summed over vote types per choice per unit. The state row takes the choice's
    ``totalVotes`` and the contest's precinct counts. A county site's races also get one county
    row (the ``Region``) so the precincts have a parent. ``state`` defaults to the ``Region`` of a
    state site; a county site's Region is a county name, so it needs ``state``. DTDs and
    entities are forbidden (defusedxml). A county site's races carry its county (``county``, else
    the ``Region``); offices and names are read as :func:`parse_summary` reads them.
    """
    if len(data) > max_bytes:
        raise FeedError(f"detail.xml of {len(data):,} bytes is over the {max_bytes:,}-byte limit", feed=feed)
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(f"detail.xml refused: {type(exc).__name__} (DTDs and entities are not allowed)", feed=feed) from None
    except ParseError as exc:
        raise FeedError(f"detail.xml is not well-formed XML ({exc})", feed=feed) from None
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise FeedError(f"detail.xml cannot be read ({type(exc).__name__})", feed=feed) from None
    try:
        detail = _detail(root, state, race_type, left_out)
        where = county or (detail.region if detail.site == "county" else None)
        return replace(detail, races=tuple(named(race, names, where) for race in detail.races))
    except _Malformed as exc:
        raise FeedError(f"malformed detail.xml: {exc}", feed=feed) from None


def _detail(root: Element, state: str | None, race_type: str | None, left_out: list[LeftOut] | None = None) -> ClarityDetail:
    if root.tag != "ElectionResult":
        raise _Malformed(f"root element is <{root.tag[:40]}>, not <ElectionResult>")
    region = _text(root.find("Region"))
    election_name = _text(root.find("ElectionName"))
    site: Site = "county" if root.find("VoterTurnout") is not None else "state"
    if state is None:
        found = lookup_state(region) if site == "state" and region and len(region) == 2 else None
        if found is None:
            raise _Malformed(f"cannot tell the state from Region {str(region)[:40]!r}: set options.state")
        state = found.postal
    state = state.upper()
    kind, general = _race_type(race_type or election_name)
    precinct_status = _precinct_status(root) if site == "county" else {}
    county_precincts = _county_precincts(root.find("ElectionVoterTurnout/Counties"))

    def read(contest: Element) -> Race:
        return _detail_race(
            contest,
            _key(contest.get("key"), "Contest@key"),
            state,
            site,
            region,
            kind,
            general,
            precinct_status,
            county_precincts,
            left_out,
        )

    races = _contests(root.findall("Contest"), read, lambda contest: contest.get("key"), state, left_out, "detail.xml")
    if registered := _registered_voters(root.find("VoterTurnout" if site == "county" else "ElectionVoterTurnout")):
        races = [_with_registered_voters(race, registered) for race in races]
    return ClarityDetail(
        region,
        site,
        _timestamp(_text(root.find("Timestamp"))),
        election_name,
        _us_date(_text(root.find("ElectionDate"))),
        tuple(races),
    )


def _contests(
    items: Iterable[Any],
    read: Callable[[Any], Race],
    key_of: Callable[[Any], Any],
    state: str,
    left_out: list[LeftOut] | None,
    where: str,
) -> list[Race]:
    """Each contest on its own. With ``left_out``, one that cannot be read (or repeats a key) is
    left out, named with why, and the rest of the file is used; without it (the strict reading of
    tests and tools) the first problem refuses the file."""
    races: list[Race] = []
    for index, item in enumerate(items):
        key = key_of(item)
        known = (
            str(key).strip()[:40] if isinstance(key, str | int) and not isinstance(key, bool) and str(key).strip() else None
        )
        try:
            races.append(read(item))
        except _Malformed as exc:
            reason = str(exc) if str(exc).startswith("contest ") else f"contest {known or '#' + str(index + 1)}: {exc}"
            if left_out is None:
                raise _Malformed(reason) from None
            left_out.append(
                LeftOut(
                    "race", f"{known or '#' + str(index + 1)} of {where}", reason, race_key(state, known) if known else None
                )
            )
    if left_out is not None:
        return unique_races(races, left_out)
    if len({race.key for race in races}) != len(races):
        raise _Malformed("a contest key appears twice")
    return races


def _summary_key(raw: Any) -> Any:
    return raw.get("K") if isinstance(raw, dict) else None


def _detail_race(
    contest: Element,
    key: str,
    state: str,
    site: Site,
    region: str | None,
    race_type: str,
    general: bool,
    precinct_status: Mapping[str, str],
    county_precincts: Mapping[str, tuple[int, int]],
    left_out: list[LeftOut] | None = None,
) -> Race:
    """With ``left_out``, a county or precinct row whose votes cannot be read costs that unit
    (the contest's totals come from the choices, not from the rows)."""
    candidates: list[Candidate] = []
    totals: dict[str, int] = {}
    by_unit: dict[str, dict[str, int]] = {}
    unit_level: dict[str, Level] = {}
    bad_units: dict[str, str] = {}
    for choice in contest.findall("Choice"):
        cid = _key(choice.get("key"), "Choice@key")
        if cid in totals:
            raise _Malformed(f"choice key {cid} repeats")
        text = choice.get("text")
        if not text or not text.strip():
            raise _Malformed(f"choice {cid} has no text")
        candidates.append(_candidate(cid, text, choice.get("party")))
        by_type = 0
        for vote_type in choice.findall("VoteType"):
            by_type += _whole(vote_type.get("votes", "0"), "VoteType@votes")
            for row in vote_type:
                if row.tag not in ("County", "Precinct"):
                    continue
                name = row.get("name")
                if not name:
                    raise _Malformed(f"a <{row.tag[:20]}> row without a name")
                level = Level.PRECINCT if row.tag == "Precinct" else Level.COUNTY
                unit_level.setdefault(name, level)
                votes = by_unit.setdefault(name, {})
                try:
                    votes[cid] = votes.get(cid, 0) + _whole(row.get("votes"), f"{row.tag}@votes")
                except _Malformed as exc:
                    if left_out is None:
                        raise
                    bad_units.setdefault(name, str(exc))
        total = choice.get("totalVotes")
        totals[cid] = _whole(total, "Choice@totalVotes") if total is not None else by_type
    _unique_names(candidates)
    for name in bad_units:
        del by_unit[name]
    local_precincts = _county_precincts(contest.find("ParticipatingCounties")) or county_precincts
    units: list[ReportingUnit] = []
    for name, votes in by_unit.items():
        level = unit_level[name]
        reporting = total = None
        if level is Level.PRECINCT:
            status = precinct_status.get(name)
            if status is not None:
                reporting, total = (1 if status == COMPLETE else 0), 1
        elif name in local_precincts:
            reporting, total = local_precincts[name]
        units.append(ReportingUnit(name, level, name, votes, None, reporting, total))
    if site == "county" and region:
        units.insert(0, replace(sum_units(units, region, region, Level.COUNTY), id=f"county:{region}"))
    reported = _optional_count(contest.get("precinctsReported"), "precinctsReported")
    # County sites name the total "precinctsReporting"; state sites "precinctsParticipating".
    participating = _optional_count(
        contest.get("precinctsParticipating") or contest.get("precinctsReporting"), "precinctsParticipating"
    )
    if reported is None or participating is None:
        reported = participating = None
    # A county site's "state row" is the site's total: it is named after the county it covers.
    state_row = ReportingUnit(
        state,
        Level.STATE,
        (region if site == "county" and region else state_name(state)),
        totals,
        None,
        reported,
        participating,
    )
    title = contest.get("text")
    if not title or not title.strip():
        raise _Malformed("no contest text")
    race = Race(
        state=state,
        race_id=key,
        office=title.strip(),
        candidates=tuple(candidates),
        units=(state_row, *units),
        race_type=race_type,
        general=general,
        seats=_seats(_optional_count(contest.get("voteFor"), "voteFor")),
    )
    if left_out is not None:  # said only once the contest itself is read
        left_out += [LeftOut("unit", f"{name[:40]} of race {race.key}", reason) for name, reason in bad_units.items()]
    return race


def _registered_voters(turnout: Element | None) -> int | None:
    """The site's registered voters (``totalVoters``; empty or 0 when the site hides them). A
    ceiling for the expected vote of every contest on the site (``bot.core.margins``), never a share's
    denominator; an unreadable figure is no figure."""
    text = (turnout.get("totalVoters") or "").strip() if turnout is not None else ""
    return int(text) if text.isdigit() and int(text) > 0 else None


def _with_registered_voters(race: Race, registered: int) -> Race:
    top = race.state_unit
    if top is None:
        return race
    return replace(race, units=tuple(replace(u, registered_voters=registered) if u is top else u for u in race.units))


def _precinct_status(root: Element) -> dict[str, str]:
    return {
        p.get("name", ""): (p.get("percentReporting") or "").strip()
        for p in root.iterfind("VoterTurnout/Precincts/Precinct")
    }


def _county_precincts(parent: Element | None) -> dict[str, tuple[int, int]]:
    if parent is None:
        return {}
    found = {}
    for county in parent.findall("County"):
        reported = _optional_count(county.get("precinctsReported"), "County@precinctsReported")
        total = _optional_count(county.get("precinctsParticipating"), "County@precinctsParticipating")
        if county.get("name") and reported is not None and total is not None:
            found[county.get("name", "")] = (reported, total)
    return found


# -- electionsettings.json ----------------------------------------------------------------------------

#: Where a version folder keeps its settings: newer sites under ``json/en/``, older ones in ``json/``.
SETTINGS_PATHS = ("json/en/electionsettings.json", "json/electionsettings.json")
_TRUE_WORDS = frozenset({"true", "1", "yes", "y"})
_FALSE_WORDS = frozenset({"false", "0", "no", "n", ""})


def parse_test_mode(data: bytes, feed: str) -> bool:
    """``electionsettings.json`` → whether the site is in Clarity's test mode
    (``settings.electiondetails.istestmode``). Counties rehearse on their live site before the
    night, so a test upload looks exactly like results; this flag is the only thing that tells.
    A missing flag means live; a value that cannot be read is refused rather than guessed,
    because guessing "live" would announce rehearsal numbers as results."""
    doc = load_json(data, feed, "electionsettings.json")
    try:
        if not isinstance(doc, dict):
            raise _Malformed("expected an object at the top level")
        settings = doc.get("settings") or {}
        details = settings.get("electiondetails") if isinstance(settings, dict) else None
        if details is None:
            return False
        if not isinstance(details, dict):
            raise _Malformed("settings.electiondetails is not an object")
        return _truth(details.get("istestmode"), "istestmode")
    except _Malformed as exc:
        raise FeedError(f"malformed electionsettings.json: {exc}", feed=feed) from None


def _truth(value: Any, what: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
        return value.strip().lower() in _TRUE_WORDS
    raise _Malformed(f"{what} {str(value)[:20]!r} is not true or false")


# -- summary + detail --------------------------------------------------------------------------------


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


# -- choices and small readers ------------------------------------------------------------------------


def parse_choice(text: str, party_field: str | None = None) -> tuple[str, str | None, bool]:
    """'Donald J. Trump (I) (Rep)' → ('Donald J. Trump', 'Rep', True). The party field wins
    when it says something ('REP' in Arkansas); 'NP' (GA) or nothing means "look in the text"."""
    return split_markers(text, party_field)


def _candidate(cid: str, text: str, party_field: str | None) -> Candidate:
    name, party, incumbent = parse_choice(text, party_field)
    return Candidate(cid, name or text.strip(), party, incumbent, pseudo=is_pseudo_name(name))


def _unique_names(candidates: Iterable[Candidate]) -> None:
    seen = set()
    for cand in candidates:
        mark = (name_key(cand.name), cand.incumbent)
        if mark in seen:
            raise _Malformed(f"choice {cand.name!r} appears twice")
        seen.add(mark)


def _race_type(text: str | None) -> tuple[str, bool]:
    """Clarity has no race-type field: the election's name says "Primary" or not."""
    words = (text or "General").lower()
    if "primary" in words or "caucus" in words:
        return ("Primary Runoff" if "runoff" in words else "Primary"), False
    return ("General Runoff" if "runoff" in words else "General"), True


def _key(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Malformed(f"{what} is missing or not an id")
    text = str(value).strip()
    if not text or len(text) > 60:
        raise _Malformed(f"{what} {text[:20]!r} is not an id")
    return text


def _list_of(value: Any, kind: type, what: str) -> list[Any]:
    if not isinstance(value, list) or any(type(item) is not kind for item in value):
        raise _Malformed(f"{what} is not a list of {kind.__name__}")
    return value


def _whole(text: str | None, what: str) -> int:
    if text is None:
        raise _Malformed(f"{what} is missing")
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 15:
        raise _Malformed(f"{what} {value[:20]!r} is not a whole number ≥ 0")
    return int(value)


def _optional_count(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is int:
        if value < 0:
            raise _Malformed(f"{what} is negative")
        return value
    if isinstance(value, str):
        return _whole(value, what)
    raise _Malformed(f"{what} is not a whole number")


def _seats(value: Any) -> int:
    if value is None:
        return 1
    if type(value) is not int or value < 1:
        raise _Malformed(f"vote-for {str(value)[:20]!r} is not a whole number ≥ 1")
    return value


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _timestamp(text: str | None) -> datetime | None:
    """Clarity prints local time with a zone abbreviation; unknown zones give no timestamp."""
    if not text:
        return None
    *clock, zone = text.split()
    offset = _ZONES.get(zone.upper())
    if offset is None or len(clock) != 3:
        return None
    try:
        moment = datetime.strptime(" ".join(clock), "%m/%d/%Y %I:%M:%S %p")
    except ValueError:
        return None
    try:
        return moment.replace(tzinfo=timezone(timedelta(hours=offset))).astimezone(UTC)
    except OverflowError:  # year 9999 late in the evening, west of Greenwich
        return None


def _us_date(text: str | None) -> date | None:
    try:
        return datetime.strptime(text, "%m/%d/%Y").date() if text else None
    except ValueError:
        return None


# -- polling ---------------------------------------------------------------------------------------------


def site_of(url: str) -> tuple[Site, str | None]:
    """``…/AL/12345/`` is a state site, ``…/KY/Greenup/12345/`` a county site: the segment before
    the election id tells which, and gives the state postal code."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    for i in range(len(segments) - 1, 0, -1):
        if segments[i].isdigit():
            before = segments[i - 1]
            if len(before) == 2 and before.isalpha():
                return "state", before.upper()
            if i >= 2 and len(segments[i - 2]) == 2 and segments[i - 2].isalpha():
                return "county", segments[i - 2].upper()
            return "county", None
    return "state", None


def county_of(url: str) -> str | None:
    """``…/GA/Gwinnett/105430/`` → 'Gwinnett': the county a county site's URL names."""
    segments = [unquote(s) for s in urlsplit(url).path.split("/") if s]
    for i in range(len(segments) - 1, 1, -1):
        if (
            segments[i].isdigit()
            and len(segments[i - 2]) == 2
            and segments[i - 2].isalpha()
            and not segments[i - 1].isdigit()
        ):
            return segments[i - 1].replace("_", " ").strip() or None
    return None


@register
class ClarityFeed(FeedSource):
    """Polls ``current_ver.txt``; fetches summary and detail only for a new version.

    Options: ``state`` (postal code; a county site needs it unless the URL shows it),
    ``site`` ("state" or "county", else told by the URL), ``detail`` (default true: county or
    precinct rows from detailxml.zip), ``race_type`` (e.g. "Primary", when the election's name
    does not say it), ``detail_max_bytes`` (default 64 MB), ``settings`` (default true: read
    ``electionsettings.json`` for Clarity's test-mode flag, so a rehearsal upload says TEST).
    """

    kind = "clarity"
    default_names = "title"  # Clarity sites often write in capitals ("U.S. SENATOR", "TRUMP")

    def __init__(self, spec: FeedSpec, http: FeedHttp, recorder: Recorder | None = None):
        super().__init__(spec, http, recorder)
        self._base = spec.url.rstrip("/") + "/"
        guessed_site, guessed_state = site_of(spec.url)
        site = spec.options.get("site", guessed_site)
        if site not in ("state", "county"):
            raise FeedConfigError(f'options.site is {site!r}; use "state" or "county"', feed=spec.name)
        self.site: Site = site
        state = spec.options.get("state")
        found = lookup_state(str(state)) if state else None
        if state and found is None:
            raise FeedConfigError(f"options.state {str(state)[:20]!r} is not a US state", feed=spec.name)
        self.state: str | None = found.postal if found else guessed_state
        #: a county site's county: the config's, else the URL's (else detail.xml's Region)
        self.county: str | None = spec.county or (county_of(spec.url) if site == "county" else None)
        self.detail = bool(spec.options.get("detail", True))
        self.settings = bool(spec.options.get("settings", True))
        self.max_detail_bytes = int(spec.options.get("detail_max_bytes", MAX_DETAIL_BYTES))
        self._version: str | None = None

    def cursor(self) -> Mapping[str, str]:
        return self.url_cursor("version", self._version)

    def restore(self, cursor: Mapping[str, str]) -> None:
        self._version = self.restored_cursor(cursor, "version") or self._version

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        version_url = self._base + "current_ver.txt"
        fetched = self.fetch_conditionally(version_url, previous is not None and self._version is not None)
        if fetched.not_modified:
            return None
        try:
            refuse_error_page(fetched, self.spec.name, "current_ver.txt")
            version = _version(fetched.body)
        except FeedError as exc:
            self.http.forget(version_url)
            raise exc.located(self.spec.name, version_url) from None
        if version == self._version and previous is not None:
            return None
        try:
            snapshot = self._read(version)
        except FeedError:
            self.http.forget(version_url)  # so the next poll asks for this version again
            raise
        self._version = version
        # One contest that cannot be read costs that contest (its last good version stays).
        self.report_left_out(version, self._left_out)
        if self._left_out:
            races = with_last_good(snapshot.races.values(), self._left_out, previous, snapshot.test)
            snapshot = replace(snapshot, races={race.key: race for race in races})
        return snapshot

    def _read(self, version: str) -> Snapshot:
        self._left_out: list[LeftOut] = []  # contests that cannot be read, filled by the parsers
        detail = self._read_detail(version) if self.detail else None
        state = self.state or (detail.races[0].state if detail and detail.races else None)
        if state is None:
            raise FeedConfigError(
                "set options.state: the URL does not show the state", feed=self.spec.name, url=self.spec.url
            )
        races = tuple(admissible(self._read_summary(version, state, detail), self._left_out))
        test = self._read_test_mode(version) if self.settings else False
        if test:  # every race carries it too: alert cards and answers are built per race
            races = tuple(replace(race, test=True) for race in races)
        meta = {"election": detail.election_name, "region": detail.region} if detail else {}
        return Snapshot.of(
            self.spec.name,
            (detail.timestamp if detail else None) or datetime.now(UTC),
            races,
            election_date=detail.election_date if detail else None,
            test=test,
            version=version,
            meta={k: v for k, v in meta.items() if v},
        )

    def _read_test_mode(self, version: str) -> bool:
        """Test mode from the version's settings; a site that publishes none (404 at both
        places) is live. Any other failure fails the poll: the flag decides what we announce."""
        for path in SETTINGS_PATHS:
            url = f"{self._base}{version}/{path}"
            try:
                fetched = self.fetch(url, conditional=False)
            except FeedError as exc:
                if exc.status == 404:
                    continue
                raise exc.located(self.spec.name, url) from None
            try:
                refuse_error_page(fetched, self.spec.name, "electionsettings.json")
                return parse_test_mode(fetched.body, self.spec.name)
            except FeedError as exc:
                raise exc.located(self.spec.name, url) from None
        return False

    def _read_detail(self, version: str) -> ClarityDetail:
        url = f"{self._base}{version}/reports/detailxml.zip"
        fetched = self.fetch(url, conditional=False)  # versioned files never change
        try:
            xml = read_detail_zip(fetched.body, self.max_detail_bytes)
            race_type = self.spec.options.get("race_type")
            return parse_detail_xml(
                xml,
                self.spec.name,
                self.state,
                race_type=race_type,
                max_bytes=self.max_detail_bytes,
                names=self.names,
                county=self.county,
                left_out=self._left_out,
            )
        except FeedError as exc:
            raise exc.located(self.spec.name, url) from None

    def _read_summary(self, version: str, state: str, detail: ClarityDetail | None) -> tuple[Race, ...]:
        url = f"{self._base}{version}/json/en/summary.json"
        fetched = self.fetch(url, conditional=False)
        try:
            refuse_error_page(fetched, self.spec.name, "summary.json")
            race_type = self.spec.options.get("race_type") or (detail.election_name if detail else None)
            site = detail.site if detail else self.site
            county = self.county or (detail.region if detail and site == "county" else None)
            summary = parse_summary(
                fetched.body,
                self.spec.name,
                state,
                site=site,
                race_type=race_type,
                names=self.names,
                county=county,
                left_out=self._left_out,
            )
            return combine(summary, detail.races if detail else (), self._left_out)
        except FeedError as exc:
            raise exc.located(self.spec.name, url) from None


def _version(body: bytes) -> str:
    text = body.decode("ascii", "replace").strip()
    if not (text.isdigit() and len(text) <= 20):
        raise FeedError(f"current_ver.txt holds {text[:40]!r}, not a version number")
    return text


__all__ = [
    "ClarityDetail",
    "ClarityFeed",
    "combine",
    "parse_choice",
    "parse_detail_xml",
    "parse_summary",
    "parse_test_mode",
    "read_detail_zip",
    "site_of",
]
