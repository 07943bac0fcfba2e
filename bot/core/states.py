"""US states by name, postal code or FIPS, through the ``us`` package rather than a local table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import us

#: Abbreviations people type that ``us`` does not know (AP-style and old postal forms).
_EXTRA = {
    "ala": "AL",
    "ariz": "AZ",
    "ark": "AR",
    "calif": "CA",
    "cal": "CA",
    "colo": "CO",
    "conn": "CT",
    "del": "DE",
    "fla": "FL",
    "ill": "IL",
    "ind": "IN",
    "kan": "KS",
    "kans": "KS",
    "mass": "MA",
    "mich": "MI",
    "minn": "MN",
    "miss": "MS",
    "mont": "MT",
    "neb": "NE",
    "nebr": "NE",
    "nev": "NV",
    "okla": "OK",
    "ore": "OR",
    "penn": "PA",
    "penna": "PA",
    "tenn": "TN",
    "tex": "TX",
    "wash": "WA",
    "wis": "WI",
    "wisc": "WI",
    "wyo": "WY",
    "dc": "DC",
    "d.c.": "DC",
    "washington dc": "DC",
}


@dataclass(frozen=True, slots=True)
class State:
    postal: str
    name: str
    fips: str
    tz: ZoneInfo


@lru_cache(maxsize=128)
def lookup(text: str) -> State | None:
    """'alabama', 'AL', 'Ala.', '01' → Alabama; anything else → None."""
    key = " ".join(text.strip().lower().split()).rstrip(".")
    if not key or len(key) > 40:
        return None
    if _EXTRA.get(key) == "DC" or key in ("district of columbia", "11"):
        found = us.states.DC  # ``us`` leaves DC out of lookup() unless DC_STATEHOOD is set
        return State(found.abbr, found.name, found.fips, ZoneInfo("America/New_York"))
    found = us.states.lookup(_EXTRA.get(key, key).upper() if key in _EXTRA else key)
    if found is None and len(key) == 2 and key.isalpha():
        found = us.states.lookup(key.upper())
    if found is None:
        return None
    return State(found.abbr, found.name, found.fips, ZoneInfo(found.capital_tz or "America/New_York"))


def state_name(postal: str) -> str:
    state = lookup(postal)
    return state.name if state else postal
