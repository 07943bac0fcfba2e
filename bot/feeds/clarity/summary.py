"""``json/en/summary.json`` → races holding only their state row (the site's totals)."""

from __future__ import annotations

from typing import Any

from bot.codec.errors import FeedError, LeftOut
from bot.core.model import Level, Race, ReportingUnit
from bot.core.states import state_name
from bot.feeds.clarity.choices import candidate_of, unique_names
from bot.feeds.clarity.contests import each_contest
from bot.feeds.clarity.site import Site
from bot.feeds.clarity.values import Malformed, list_of, optional_count, race_type_of, read_id, seats_of
from bot.feeds.common import load_json
from bot.feeds.naming import named


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
            raise Malformed("expected a list of contests at the top level")
        kind, general = race_type_of(race_type)
        races = each_contest(
            doc,
            lambda raw: _summary_race(raw, state.upper(), site, kind, general),
            _summary_key,
            state,
            left_out,
            "summary.json",
        )
        return tuple(named(race, names, county) for race in races)
    except Malformed as exc:
        raise FeedError(f"malformed summary.json: {exc}", feed=feed) from None


def _summary_race(raw: Any, state: str, site: Site, race_type: str, general: bool) -> Race:
    if not isinstance(raw, dict):
        raise Malformed("a contest is not an object")
    key = read_id(raw.get("K"), "K")
    try:
        names = list_of(raw.get("CH"), str, "CH")
        votes = list_of(raw.get("V"), int, "V")
        parties = list_of(raw.get("P"), str, "P") if raw.get("P") is not None else [""] * len(names)
        if not (len(names) == len(votes) == len(parties)):
            raise Malformed("CH, V and P differ in length")
        if any(v < 0 for v in votes):
            raise Malformed("negative votes")
        candidates = tuple(
            candidate_of(str(i), text, party) for i, (text, party) in enumerate(zip(names, parties, strict=True), start=1)
        )
        unique_names(candidates)
        reporting = total = None
        if site == "county":
            total = optional_count(raw.get("TP"), "TP")
            reporting = optional_count(raw.get("PR"), "PR")
            if total is None or reporting is None:
                reporting = total = None
        title = raw.get("C")
        if not isinstance(title, str) or not title.strip():
            raise Malformed("no contest title (C)")
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
            seats=seats_of(raw.get("VF")),
        )
    except Malformed as exc:
        raise Malformed(f"contest {key}: {exc}") from None


def _summary_key(raw: Any) -> Any:
    return raw.get("K") if isinstance(raw, dict) else None
