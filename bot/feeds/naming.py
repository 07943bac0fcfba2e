"""Every adapter's races named one way: the office vocabulary, candidates' display names, the
party of a primary and the county a county feed covers.

Adapters build a race from the feed's own words and hand it here once (``named``), so Clarity,
CSV and AP agree on what "U.S. SENATOR", "PRESIDENT - REP" or "DONALD J. TRUMP (I) (REP)" are.
Pure: a race in, a race out.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.model import Level, Race
from bot.core.names import NAME_CASES, display_name, title_case_name
from bot.core.offices import classify, party_code


def named(
    race: Race, names: str = "as-is", county: str | None = None, office_id: str | None = None, special: bool = False
) -> Race:
    """``race`` with its office read through the vocabulary (label, district as the seat when
    the feed gives none, a primary's party written into the name), candidates' names in the
    feed's case (places too), and, for a county feed, the county on the race and on its total row.
    ``special``: the feed says so elsewhere than in the name (AP's raceType "Special General"),
    so a known office is labelled "(special)" as a Clarity name saying "- Special" would be."""
    if names not in NAME_CASES:
        raise ValueError(f"names is {names!r}; use one of {', '.join(NAME_CASES)}")
    title = names == "title"
    office = classify(race.office, office_id or race.office_id, title)
    party = race.party or office.party
    label = office.label + (" (special)" if special and office.kind not in (None, "measure") and not office.special else "")
    changes: dict[str, object] = {"office": label}
    if race.seat is None and office.district is not None:
        changes["seat"] = office.district
    if party is not None and office.party is not None and race.general:
        # a contest named for one party's voters ("PRESIDENT - REP") is that party's primary,
        # whatever the election's name says (Georgia's 2020 general held a special primary)
        changes["race_type"] = "Primary"
        changes["general"] = False
    if party is not None and not (changes.get("general", race.general)):
        changes["party"] = party_code(party)
    # A national reply names 15,000 candidates and 7,000 races the way the bot writes them
    # already: what is unchanged is kept as the very object, not rebuilt (dataclasses.replace
    # was most of this function's 80 ms a national poll).
    candidates = tuple(
        c if (shown := display_name(c.name, names) or c.name) == c.name else replace(c, name=shown) for c in race.candidates
    )
    if candidates != race.candidates:
        changes["candidates"] = candidates
    units = race.units
    if title:  # "GWINNETT", "PRECINCT 001 - DULUTH": places written in capitals too
        units = tuple(
            u if u.level is Level.STATE or (shown := title_case_name(u.name)) == u.name else replace(u, name=shown)
            for u in units
        )
    if county:
        changes["county"] = county
        units = tuple(replace(u, name=county) if u.level is Level.STATE else u for u in units)
    if units != race.units:
        changes["units"] = units
    if all(getattr(race, field) == value for field, value in changes.items()):
        return race
    return replace(race, **changes)  # type: ignore[arg-type]  # changes holds only Race fields, each of its own type


__all__ = ["named"]
