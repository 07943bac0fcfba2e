"""``detail.xml`` under defusedxml (no DTD, no entity) → its header and its contests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from bot.codec.errors import FeedError, LeftOut
from bot.core.model import Race
from bot.core.states import lookup as lookup_state
from bot.feeds.clarity.archive import MAX_DETAIL_BYTES
from bot.feeds.clarity.contests import each_contest
from bot.feeds.clarity.detail_contest import (
    detail_race,
    precinct_statuses,
    precincts_by_county,
    registered_voters,
    with_registered_voters,
)
from bot.feeds.clarity.site import Site
from bot.feeds.clarity.values import Malformed, race_type_of, read_id, text_of, timestamp_of, us_date
from bot.feeds.naming import named


@dataclass(frozen=True, slots=True)
class ClarityDetail:
    """``detail.xml`` parsed: the races with their county or precinct rows, and the header."""

    region: str | None
    site: Site
    timestamp: datetime | None
    election_name: str | None
    election_date: date | None
    races: tuple[Race, ...] = field(default=())


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
    except Malformed as exc:
        raise FeedError(f"malformed detail.xml: {exc}", feed=feed) from None


def _detail(root: Element, state: str | None, race_type: str | None, left_out: list[LeftOut] | None = None) -> ClarityDetail:
    if root.tag != "ElectionResult":
        raise Malformed(f"root element is <{root.tag[:40]}>, not <ElectionResult>")
    region = text_of(root.find("Region"))
    election_name = text_of(root.find("ElectionName"))
    site: Site = "county" if root.find("VoterTurnout") is not None else "state"
    if state is None:
        found = lookup_state(region) if site == "state" and region and len(region) == 2 else None
        if found is None:
            raise Malformed(f"cannot tell the state from Region {str(region)[:40]!r}: set options.state")
        state = found.postal
    state = state.upper()
    kind, general = race_type_of(race_type or election_name)
    precinct_status = precinct_statuses(root) if site == "county" else {}
    county_precincts = precincts_by_county(root.find("ElectionVoterTurnout/Counties"))

    def read(contest: Element) -> Race:
        return detail_race(
            contest,
            read_id(contest.get("key"), "Contest@key"),
            state,
            site,
            region,
            kind,
            general,
            precinct_status,
            county_precincts,
            left_out,
        )

    races = each_contest(root.findall("Contest"), read, lambda contest: contest.get("key"), state, left_out, "detail.xml")
    if registered := registered_voters(root.find("VoterTurnout" if site == "county" else "ElectionVoterTurnout")):
        races = [with_registered_voters(race, registered) for race in races]
    return ClarityDetail(
        region,
        site,
        timestamp_of(text_of(root.find("Timestamp"))),
        election_name,
        us_date(text_of(root.find("ElectionDate"))),
        tuple(races),
    )
