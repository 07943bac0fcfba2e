"""The office vocabulary every adapter shares: what the source calls a contest → what it is.

Feeds name the same office a dozen ways ("U.S. SENATOR", "UNITED STATES SENATOR", "US Senate
(Perdue)", "US SENATE - SPECIAL", "Senado de los EE.UU."), and a desk asks for it in one word
(``/results georgia senate``). :func:`classify` reads a contest name once into an :class:`Office`:
its kind (one of :data:`KINDS`, or ``None`` for an office the vocabulary does not know), whether it
is a special election, its district, the party of a primary written into the name ("PRESIDENT -
REP") and the label to show. Known offices get one label whatever the source wrote ("U.S.
Senate", "U.S. Senate (special)"); unknown ones keep their own name, in display case when the
feed writes in capitals. Bilingual names keep their first language.

Pure: strings in, strings out. The labels of known offices are fixed points of :func:`classify`
(``classify(label).label == label``), so a stored snapshot read back, or a feed that already
writes "U.S. Senate" (AP, the Alabama scenario), is shown exactly as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.core.names import first_language, fold_accents, title_case_office

#: The kinds the ``/results`` grammar names, and the rest the vocabulary tells apart.
PRESIDENT, SENATE, HOUSE, GOVERNOR = "president", "senate", "house", "governor"
LT_GOVERNOR, STATE_SENATE, STATE_HOUSE = "lt_governor", "state_senate", "state_house"
STRAIGHT_PARTY, MEASURE = "straight_party", "measure"
KINDS = (PRESIDENT, SENATE, HOUSE, GOVERNOR, LT_GOVERNOR, STATE_SENATE, STATE_HOUSE, STRAIGHT_PARTY, MEASURE)

#: How a known office is shown. AP's own ``officeName`` values, so AP feeds read unchanged.
LABELS = {
    PRESIDENT: "President",
    SENATE: "U.S. Senate",
    HOUSE: "U.S. House",
    GOVERNOR: "Governor",
    LT_GOVERNOR: "Lieutenant Governor",
    STATE_SENATE: "State Senate",
    STATE_HOUSE: "State House",
    STRAIGHT_PARTY: "Straight Party",
}
#: The grammar's words for a kind, as a sentence names it ("No Senate race for …").
NAMES = {PRESIDENT: "President", SENATE: "Senate", HOUSE: "House", GOVERNOR: "Governor", MEASURE: "ballot measure"}

#: AP ``officeID`` codes (../shared/docs/feeds.md §1.3): authoritative when the feed gives one.
AP_OFFICE_IDS = {"P": PRESIDENT, "S": SENATE, "H": HOUSE, "G": GOVERNOR, "I": MEASURE, "Y": STATE_HOUSE, "Z": STATE_SENATE}
OFFICE_IDS = {kind: code for code, kind in AP_OFFICE_IDS.items()}

#: Parties as contest names write them in primaries ("PRESIDENT - REP", "(DEM)"), in the
#: bot's spelling (``bot.core.parties.normalize_party``: 'Dem', 'GOP').
PARTY_WORDS = {
    "rep": "GOP",
    "republican": "GOP",
    "republicans": "GOP",
    "gop": "GOP",
    "dem": "Dem",
    "democrat": "Dem",
    "democratic": "Dem",
    "democrats": "Dem",
    "lib": "Lib",
    "libertarian": "Lib",
    "grn": "Grn",
    "green": "Grn",
    "con": "Con",
    "constitution": "Con",
    "wf": "WF",
    "wfp": "WF",
}
#: The adjective a label uses: "Republican primary for President".
PARTY_ADJECTIVES = {
    "GOP": "Republican",
    "Dem": "Democratic",
    "Lib": "Libertarian",
    "Grn": "Green",
    "Con": "Constitution",
    "WF": "Working Families",
    "Ind": "Independent",
}
#: Words that may sit beside a party in a contest name's tail ("- Special Democratic Primary").
_TAIL_WORDS = frozenset({"primary", "party", "special", "election", "nomination", "caucus", "runoff"})

_DISTRICT = re.compile(r"\b(?:district|dist\.?|cd)\s*(?:no\.?\s*|#\s*)?(\d{1,3}[a-z]?)\b", re.IGNORECASE)
_ORDINAL_DISTRICT = re.compile(
    r"\b(\d{1,3})(?:st|nd|rd|th)\s+(?:congressional\s+|delegate\s+|senatorial\s+|representative\s+)?district\b",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\(([^()]*)\)")
_MEASURE = re.compile(
    r"\b(amendments?|question|questions|proposition|prop|referendum|referenda|initiative|measure|ballot issue|issue|proposal|bond|levy|charter)\b"
)


@dataclass(frozen=True, slots=True)
class Office:
    """One contest name, read. ``label`` is what every card, alert and answer shows."""

    kind: str | None
    label: str
    special: bool = False
    district: str | None = None  # "District 2", for the race's seat
    party: str | None = None  # a primary's party written into the name ("PRESIDENT - REP")


def display_office(text: str, title: bool = False) -> str:
    """The source's own name made presentable: first language, spaces squeezed, display case
    when ``title`` (a feed that writes in capitals)."""
    name = " ".join(first_language(text).split())
    return title_case_office(name) if title else name


@lru_cache(maxsize=4096)
def classify(name: str, office_id: str | None = None, title: bool = False) -> Office:
    """A contest name (and AP's ``officeID`` when there is one) → its :class:`Office`.

    ``title`` gives an unknown office display case ("COUNTY COMMISSIONER" → "County
    Commissioner"); known offices always get their fixed label.
    """
    own = " ".join(first_language(name).split())
    own, party, tail_special = _strip_party(own)
    key = _key(own)
    special = tail_special or bool(re.search(r"\bspecial\b", key))
    district = _district(own)
    kind = AP_OFFICE_IDS.get((office_id or "").strip().upper()) or _kind(key, district is not None)
    if kind is None or kind == MEASURE:
        return Office(kind, display_office(own, title) or name.strip(), special, None, party)
    label = _label(kind, key)
    return Office(kind, label + (" (special)" if special else ""), special, district, party)


def matches(kind: str, name: str, office_id: str | None = None) -> bool:
    """Whether a race named ``name`` is an office of ``kind`` (a word of the grammar)."""
    return classify(name, office_id).kind == kind


def party_adjective(party: str | None) -> str | None:
    """'GOP' / 'Rep' / 'republican' → 'Republican'; an unknown party as written."""
    if not party or not party.strip():
        return None
    code = PARTY_WORDS.get(party.strip().lower().rstrip("."), party.strip())
    return PARTY_ADJECTIVES.get(code, code)


def party_code(party: str | None) -> str | None:
    """A party as the bot spells it ('Dem', 'GOP'), for comparing a primary with a query."""
    if not party or not party.strip():
        return None
    return PARTY_WORDS.get(party.strip().lower().rstrip("."), party.strip())


def race_office(office: str, seat: str | None = None, primary_party: str | None = None) -> str:
    """'U.S. House, District 2'; a primary says whose: 'Republican primary for President'."""
    label = office + (f", {seat}" if seat else "")
    adjective = party_adjective(primary_party)
    return f"{adjective} primary for {label}" if adjective else label


# -- reading the name ------------------------------------------------------------------------------


def _key(text: str) -> str:
    """Lower case, accents and punctuation gone, every spelling of "U.S." as ``us``."""
    low = fold_accents(text)
    low = re.sub(r"\bu\.\s*s\.?(?=\s|$|[^a-z])", "us ", low)
    low = re.sub(r"\bunited states( of america)?\b", "us", low)
    low = low.replace("&", " and ")
    low = re.sub(r"[^a-z0-9#]+", " ", low)
    return " ".join(low.split())


def _strip_party(text: str) -> tuple[str, str | None, bool]:
    """'PRESIDENT - REP' → ('PRESIDENT', 'GOP'); '(DEM) PRESIDENT', 'State Senate District 39 -
    Special Democratic Primary' likewise. Only a part made of party and primary words goes;
    'District Attorney - Cobb' keeps its circuit."""
    party: str | None = None
    special = False
    parts = [p for p in re.split(r"\s+[-–—:]\s+|\s*[-–—]\s*$", text) if p is not None]
    kept: list[str] = []
    for index, part in enumerate(parts):
        words = re.findall(r"[a-z]+", fold_accents(part))
        found = [PARTY_WORDS[w] for w in words if w in PARTY_WORDS]
        if (
            index > 0
            and words
            and found
            and all(w in PARTY_WORDS or w in _TAIL_WORDS for w in words)
            and len(set(found)) == 1
        ):
            party = found[0]
            special = special or "special" in words
            continue
        kept.append(part)
    out = " - ".join(p.strip() for p in kept if p.strip())
    # Parenthesized: "PRESIDENT (DEM)", "(REP) US SENATE"
    for match in _PAREN.finditer(out):
        words = re.findall(r"[a-z]+", fold_accents(match.group(1)))
        found = [PARTY_WORDS[w] for w in words if w in PARTY_WORDS]
        if words and found and all(w in PARTY_WORDS or w in _TAIL_WORDS for w in words) and party in (None, found[0]):
            party = found[0]
            out = (out[: match.start()] + out[match.end() :]).strip()
            break
    out = " ".join(out.split())
    return (out or text), party, special


def _district(text: str) -> str | None:
    found = _DISTRICT.search(text) or _ORDINAL_DISTRICT.search(text)
    return f"District {found.group(1).upper()}" if found else None


def _kind(key: str, has_district: bool) -> str | None:
    """The kind a folded name says; ``None`` when it says none the vocabulary knows."""
    words = key.split()
    if not words:
        return None
    if "straight" in words and ("party" in words or "ticket" in words):
        return STRAIGHT_PARTY
    if re.search(r"\b(lieutenant|lt) governor\b", key) and not key.startswith("governor"):
        return LT_GOVERNOR
    if re.search(r"^(us )?governor\b", key) or key in ("gov", "governor"):
        return GOVERNOR
    if _is_president(key):
        return PRESIDENT
    federal = bool(re.search(r"\bus\b", key)) or "congress" in key or "congressional" in key
    state = bool(re.search(r"\b(state|general assembly|assembly|delegates|legislature|legislative)\b", key))
    if re.search(r"\bsenat(e|or|orial)\b", key) and not re.search(r"\b(president|pro tem)\b", key):
        if federal and not state:
            return SENATE
        if state or has_district:
            return STATE_SENATE
        return SENATE
    if re.search(r"\b(house|representatives?|congress|congressional|delegates?|assembly|assemblyman|assemblymember)\b", key):
        if federal and not state:
            return HOUSE
        if state or has_district:
            return STATE_HOUSE
        if re.search(r"\b(house|representatives?)\b", key) and len(words) <= 3:
            return HOUSE
        return None
    if _MEASURE.search(key):
        return MEASURE
    return None


def _is_president(key: str) -> bool:
    if re.search(r"\b(presidential electors?|electors for president|president and vice president)\b", key):
        return True
    rest = re.sub(r"^us ", "", key)
    if rest in ("president", "presidential", "president us", "president of the us", "for president"):
        return True
    return (
        rest.startswith("president of the us")
        or rest.startswith("president vice president")
        or (
            rest.startswith("president ")
            and not rest.startswith("president of")
            and not re.search(r"\b(board|council|commission|club|pro tem|judge|court)\b", rest)
        )
    )


def _label(kind: str, key: str) -> str:
    if kind == STATE_HOUSE:
        if "delegates" in key:
            return "House of Delegates"
        if "assembly" in key and "general assembly" not in key:
            return "State Assembly"
    return LABELS[kind]


__all__ = [
    "AP_OFFICE_IDS",
    "KINDS",
    "LABELS",
    "NAMES",
    "OFFICE_IDS",
    "Office",
    "classify",
    "display_office",
    "matches",
    "party_adjective",
    "party_code",
    "race_office",
]
