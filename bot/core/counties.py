"""County (and town) names as people type them: 'jefferson', 'St. Clair County', 'saint clair',
'De Kalb', 'DEKALB', 'Doña Ana' / 'dona ana' all find the feed's reporting unit. Pure."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import us

from bot.core.model import Level, ReportingUnit

#: Words that say "this is a county" and are not part of the name.
_KIND_WORDS = frozenset({"county", "cnty", "co", "parish", "borough", "census", "area", "municipality"})
#: Abbreviations expanded before comparing.
_EXPAND = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "point"}

PLACE_LEVELS = (Level.COUNTY, Level.TOWN)


def key(name: str) -> str:
    """The comparison key of a place name: folded, abbreviations expanded, kind words and spaces dropped."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", plain)
    kept = [_EXPAND.get(w, w) for w in words if w not in _KIND_WORDS]
    return "".join(kept or words)


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    unit: ReportingUnit | None
    suggestion: ReportingUnit | None = None


def match(query: str, units: Iterable[ReportingUnit]) -> PlaceMatch:
    """The county or town ``query`` names; else the closest name as a suggestion (or nothing)."""
    places = [u for u in units if u.level in PLACE_LEVELS]
    want = key(query)
    if not want:
        return PlaceMatch(None)
    by_key: dict[str, ReportingUnit] = {}
    for unit in places:
        # Counties win over towns of the same name (Jefferson County vs the town of Jefferson).
        k = key(unit.name)
        if k not in by_key or (unit.level is Level.COUNTY and by_key[k].level is not Level.COUNTY):
            by_key[k] = unit
    if want in by_key:
        return PlaceMatch(by_key[want])
    starts = [k for k in by_key if k.startswith(want)]
    if len(want) >= 4 and len(starts) == 1:
        return PlaceMatch(by_key[starts[0]])
    close = difflib.get_close_matches(want, list(by_key), n=1, cutoff=0.75)
    return PlaceMatch(None, by_key[close[0]] if close else None)


def display_name(unit: ReportingUnit, state: str) -> str:
    """'Jefferson County', 'Orleans Parish', 'St. Clair County'; towns as the feed names them."""
    name = unit.name
    if unit.level is not Level.COUNTY:
        return name
    if re.search(r"\b(county|parish|borough|city|census area|municipality)$", name, re.IGNORECASE):
        return name
    kind = {"LA": "Parish", "AK": "Borough"}.get(state, "County")
    return f"{name} {kind}"


def county_place(county: str, state: str) -> str:
    """'Gwinnett', 'GA' → 'Gwinnett County, Ga.': how a county feed's races are labelled, so a
    desk never reads one county's result as its state's (AP style abbreviates the state)."""
    name = " ".join(county.split())
    if not re.search(r"\b(county|parish|borough|city|census area|municipality)$", name, re.IGNORECASE):
        name = f"{name} {_COUNTY_WORD.get(state.upper(), 'County')}"
    found = us.states.lookup(state.upper()) if len(state) == 2 else None
    short = getattr(found, "ap_abbr", None) or state
    return f"{name}, {short}"


_COUNTY_WORD = {"LA": "Parish", "AK": "Borough"}


def names(units: Sequence[ReportingUnit], limit: int = 5) -> list[str]:
    return [u.name for u in units if u.level in PLACE_LEVELS][:limit]
