"""One ``<Contest>`` of ``detail.xml`` → a race with its county (state site) or precinct (county
site) rows, and the turnout figures the document keeps beside the contests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from xml.etree.ElementTree import Element

from bot.codec.errors import LeftOut
from bot.core.model import Candidate, Level, Race, ReportingUnit, sum_units
from bot.core.states import state_name
from bot.feeds.clarity.choices import candidate_of, unique_names
from bot.feeds.clarity.site import Site
from bot.feeds.clarity.values import Malformed, optional_count, read_id, seats_of, whole_number

#: ``Precinct@percentReporting`` = 4 is the only code every sample shows on counted precincts.
COMPLETE = "4"


def detail_race(
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
        cid = read_id(choice.get("key"), "Choice@key")
        if cid in totals:
            raise Malformed(f"choice key {cid} repeats")
        text = choice.get("text")
        if not text or not text.strip():
            raise Malformed(f"choice {cid} has no text")
        candidates.append(candidate_of(cid, text, choice.get("party")))
        by_type = 0
        for vote_type in choice.findall("VoteType"):
            by_type += whole_number(vote_type.get("votes", "0"), "VoteType@votes")
            for row in vote_type:
                if row.tag not in ("County", "Precinct"):
                    continue
                name = row.get("name")
                if not name:
                    raise Malformed(f"a <{row.tag[:20]}> row without a name")
                level = Level.PRECINCT if row.tag == "Precinct" else Level.COUNTY
                unit_level.setdefault(name, level)
                votes = by_unit.setdefault(name, {})
                try:
                    votes[cid] = votes.get(cid, 0) + whole_number(row.get("votes"), f"{row.tag}@votes")
                except Malformed as exc:
                    if left_out is None:
                        raise
                    bad_units.setdefault(name, str(exc))
        given = choice.get("totalVotes")
        totals[cid] = whole_number(given, "Choice@totalVotes") if given is not None else by_type
    unique_names(candidates)
    for name in bad_units:
        del by_unit[name]
    local_precincts = precincts_by_county(contest.find("ParticipatingCounties")) or county_precincts
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
    reported = optional_count(contest.get("precinctsReported"), "precinctsReported")
    # County sites name the total "precinctsReporting"; state sites "precinctsParticipating".
    participating = optional_count(
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
        raise Malformed("no contest text")
    race = Race(
        state=state,
        race_id=key,
        office=title.strip(),
        candidates=tuple(candidates),
        units=(state_row, *units),
        race_type=race_type,
        general=general,
        seats=seats_of(optional_count(contest.get("voteFor"), "voteFor")),
    )
    if left_out is not None:  # said only once the contest itself is read
        left_out += [LeftOut("unit", f"{name[:40]} of race {race.key}", reason) for name, reason in bad_units.items()]
    return race


def registered_voters(turnout: Element | None) -> int | None:
    """The site's registered voters (``totalVoters``; empty or 0 when the site hides them). A
    ceiling for the expected vote of every contest on the site (``bot.core.margins``), never a share's
    denominator; an unreadable figure is no figure."""
    text = (turnout.get("totalVoters") or "").strip() if turnout is not None else ""
    return int(text) if text.isdigit() and int(text) > 0 else None


def with_registered_voters(race: Race, registered: int) -> Race:
    top = race.state_unit
    if top is None:
        return race
    return replace(race, units=tuple(replace(u, registered_voters=registered) if u is top else u for u in race.units))


def precinct_statuses(root: Element) -> dict[str, str]:
    return {
        p.get("name", ""): (p.get("percentReporting") or "").strip()
        for p in root.iterfind("VoterTurnout/Precincts/Precinct")
    }


def precincts_by_county(parent: Element | None) -> dict[str, tuple[int, int]]:
    if parent is None:
        return {}
    found = {}
    for county in parent.findall("County"):
        reported = optional_count(county.get("precinctsReported"), "County@precinctsReported")
        total = optional_count(county.get("precinctsParticipating"), "County@precinctsParticipating")
        if county.get("name") and reported is not None and total is not None:
            found[county.get("name", "")] = (reported, total)
    return found
