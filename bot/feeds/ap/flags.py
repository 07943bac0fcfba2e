"""What kind of race it is (general or primary, whose primary, test or live data), from AP's
``raceTypeID``/``raceType``/``party`` and the two spellings of the test flag."""

from __future__ import annotations

from typing import Any

from bot.core.offices import party_code
from bot.feeds.ap.readers import boolean, optional_text

#: AP raceTypeIDs of general elections (general, special general, general runoff, special general
#: runoff, nonpartisan and its special): the elections recount statutes such as Ala. Code
#: § 17-16-20 are written for. Party primaries and caucuses (D, R, E, S) are not.
GENERAL_RACE_TYPES = frozenset({"G", "W", "H", "SGR", "L", "T"})
PRIMARY_RACE_TYPES = frozenset({"D", "R", "E", "S"})
_RACE_TYPE_NAMES = {
    "G": "General",
    "W": "Special General",
    "H": "General Runoff",
    "SGR": "Special General Runoff",
    "L": "Nonpartisan",
    "T": "Special Nonpartisan",
    "D": "Primary",
    "R": "Primary",
    "E": "Caucus",
    "S": "Caucus",
}


def race_type(text: str | None, type_id: str | None, party: str | None) -> str:
    label = text or _RACE_TYPE_NAMES.get(type_id or "", "General")
    # MA 2016 has two races for "President" on one date: the party tells them apart.
    if party and party.lower() not in label.lower():
        return f"{party} {label}"
    return label


def primary_party(party: str | None, type_id: str | None, text: str | None) -> str | None:
    """Whose primary or caucus: AP puts the party on the race (``party``: "Dem", "GOP"); a general
    election's race has none worth a label."""
    if not party or not party.strip() or is_general(type_id, text):
        return None
    return party_code(party)


def is_general(type_id: str | None, text: str | None) -> bool:
    if type_id in GENERAL_RACE_TYPES:
        return True
    if type_id in PRIMARY_RACE_TYPES:
        return False
    words = (text or "").lower()
    return not ("primary" in words or "caucus" in words)


def says_test(raw: Any) -> bool:
    """Whether a race, readable or not, says it is test data (either spelling of the flag)."""
    if not isinstance(raw, dict):
        return False
    kind = raw.get("resultsType")
    return raw.get("test") is True or (isinstance(kind, str) and kind.lower() in ("test", "t"))


def is_test(raw: dict[str, Any]) -> bool:
    """v2 marks test data with ``test: true``; v3 with ``resultsType: "test"`` (or "t")."""
    flag = boolean(raw.get("test"), "test")
    results_type = optional_text(raw.get("resultsType"), "resultsType")
    return flag or (results_type or "").lower() in ("test", "t")
