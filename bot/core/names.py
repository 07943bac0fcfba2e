"""How a desk shortens a candidate's name, shared by alerts, answers and the balance of power."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_PARTICLES = frozenset(
    {"de", "la", "del", "della", "van", "von", "der", "den", "da", "di", "du", "le", "st.", "st", "ten", "ter"}
)


def surname(name: str) -> str:
    """'Doug Jones' → 'Jones'; 'Robert F. Kennedy Jr.' and 'Kennedy, Jr.' → 'Kennedy'; 'Chris Van
    Hollen' → 'Van Hollen'. A single word (a pseudo-candidate such as 'Write-ins') is kept whole."""
    words = name.split()
    if len(words) < 2:
        return name
    parts = [p.rstrip(",") for p in words]
    while len(parts) > 1 and parts[-1].lower() in _SUFFIXES:
        parts.pop()
    # a particle belongs to the surname: 'Chris Van Hollen' → 'Van Hollen', 'Rocky De La Fuente'
    # → 'De La Fuente' (never the first word: 'Van Morrison' is a given name)
    start = len(parts) - 1
    while start > 1 and parts[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(parts[start:])


# -- display case ---------------------------------------------------------------------------------
#
# Clarity sites and county CSVs write in capitals ("DONALD J. TRUMP", "Mitch McCONNELL",
# "U.S. SENATOR"). A feed's ``names = "title"`` gives them the case a desk prints. Only words
# written wholly in capitals change, so "DeKalb", "McBath" or "de la Cruz" as the source spelled
# them stay; and only the patterns that are safe are mended: Mc ("MCCONNELL" → "McConnell") and a
# one-letter prefix before an apostrophe ("O'ROURKE" → "O'Rourke"). "MACDONALD" becomes
# "Macdonald": Mac is as often a plain syllable (Mack, Macon, Machado) as a prefix.

NAME_CASES = ("as-is", "title")
_ROMAN = frozenset({"II", "III", "IV", "VI", "VII", "VIII", "IX"})
_LETTERS = re.compile(r"[^\W\d_]+")
_MINOR = frozenset({"of", "the", "and", "for", "to", "at", "in", "on", "by", "a", "an", "or", "de", "la", "los", "del"})
#: Capitals that are abbreviations in office names, with the spelling a desk uses.
_OFFICE_ABBREVIATIONS = {
    "US": "U.S.",
    "U.S.": "U.S.",
    "USA": "USA",
    "DA": "DA",
    "PSC": "PSC",
    "BOE": "BOE",
    "ISD": "ISD",
    "PUD": "PUD",
    "TSPLOST": "TSPLOST",
    "SPLOST": "SPLOST",
}


def _shouting(word: str) -> bool:
    letters = "".join(_LETTERS.findall(word))
    return len(letters) >= 2 and letters.isupper()


def _case_run(run: str, after_digit: bool, after_apostrophe_of: str | None) -> str:
    if after_digit:  # "1ST" → "1st"
        return run.lower()
    if after_apostrophe_of is not None and len(after_apostrophe_of) > 1:  # "DON'T"-like: the tail stays lower
        return run.lower()
    cased = run[:1].upper() + run[1:].lower()
    if len(cased) > 2 and cased.startswith("Mc"):
        cased = "Mc" + cased[2].upper() + cased[3:]
    return cased


def _case_word(word: str) -> str:
    """One word written in capitals, in display case, its letter runs cased one by one
    ("STANTON-KING" → "Stanton-King", "''BUDDY''" → "''Buddy''", "O'ROURKE" → "O'Rourke")."""
    bare = word.strip(".,()'\"")
    if bare in _ROMAN:
        return word
    out: list[str] = []
    last = 0
    previous_run: str | None = None
    for match in _LETTERS.finditer(word):
        between = word[last : match.start()]
        out.append(between)
        after_digit = bool(between) and between[-1].isdigit() or (not between and last > 0 and word[last - 1].isdigit())
        apostrophe = previous_run if between in ("'", "’") else None
        out.append(_case_run(match.group(), after_digit, apostrophe))
        previous_run = match.group()
        last = match.end()
    out.append(word[last:])
    return "".join(out)


@lru_cache(maxsize=65536)
def title_case_name(name: str) -> str:
    """'DONALD J. TRUMP' → 'Donald J. Trump'; 'Mitch McCONNELL' → 'Mitch McConnell';
    'LESTER G. JACKSON, III' → 'Lester G. Jackson, III'; 'Raphael Warnock' unchanged."""
    words = name.split(" ")
    return " ".join(_case_word(w) if _shouting(w) or _mc_shouting(w) else w for w in words)


def _mc_shouting(word: str) -> bool:
    """'McCONNELL', written with the prefix in display case and the rest in capitals."""
    return len(word) > 3 and word.startswith("Mc") and word[2:].isalpha() and word[2:].isupper()


def title_case_office(text: str) -> str:
    """'COUNTY COMMISSIONER DISTRICT 3' → 'County Commissioner District 3'; 'CLERK OF THE
    SUPERIOR COURT' → 'Clerk of the Superior Court'. A name with any lower-case letter is
    already in display case and is kept as written ("US House District 1")."""
    if any(ch.islower() for ch in text):
        return text
    words = text.split(" ")
    out = []
    for index, word in enumerate(words):
        if word in _OFFICE_ABBREVIATIONS:
            out.append(_OFFICE_ABBREVIATIONS[word])
        elif index > 0 and word.lower() in _MINOR:
            out.append(word.lower())
        else:
            out.append(_case_word(word))
    return " ".join(out)


# -- markers inside a name --------------------------------------------------------------------------

#: "(I) (Rep)" is two; more than this at the end of a name is not markers.
_MAX_MARKERS = 4
#: What a party field says when it says nothing (Georgia writes "NP" on every choice).
NO_PARTY = frozenset({"", "np", "nonpartisan", "non-partisan", "none", "n/a", "na"})
_INCUMBENT_MARKS = frozenset({"i", "inc", "inc.", "incumbent"})


def split_markers(text: str, party_field: str | None = None) -> tuple[str, str | None, bool]:
    """'Donald J. Trump (I) (Rep)' → ('Donald J. Trump', 'Rep', True).

    Parenthesized groups at the end of a choice are markers: '(I)' is incumbency, anything else
    the party. The party field wins when it says something ('REP' in Arkansas); 'NP' (Georgia)
    or nothing means "look in the text". A name that is only a group keeps its text."""
    name = text.strip()
    groups: list[str] = []
    # scanned from the end, at most a few groups: a regex search per group is quadratic on a
    # hostile 10,000-character choice
    while name.endswith(")") and len(groups) < _MAX_MARKERS:
        start = name.rfind("(")
        inner = name[start + 1 : -1]
        before = name[:start].rstrip() if start > 0 else ""
        if not before or not 1 <= len(inner) <= 24 or ")" in inner:
            break
        groups.insert(0, inner.strip())
        name = before
    incumbent = any(g.lower() in _INCUMBENT_MARKS for g in groups)
    parties = [g for g in groups if g.lower() not in _INCUMBENT_MARKS]
    party = (party_field or "").strip()
    if party.lower() in NO_PARTY:
        party = "/".join(parties)
    return name, (party or None), incumbent


def display_name(text: str, case: str = "as-is") -> str:
    """A candidate's name as shown: the first language of a bilingual choice ("Yes/Sí"), spaces
    squeezed, and display case when the feed's ``names`` option is "title"."""
    name = " ".join(first_language(text).split())
    return title_case_name(name) if case == "title" else name


#: Words that mark the second half of a bilingual name as Spanish (Gwinnett County, Georgia,
#: prints "President of the United States/Presidentede los Estados Unidos"). Folded, lower case.
_SECOND_LANGUAGE = frozenset(
    {
        "de",
        "del",
        "los",
        "las",
        "el",
        "estados",
        "unidos",
        "eeuu",
        "ee",
        "uu",
        "senado",
        "especial",
        "presidente",
        "presidentede",
        "gobernador",
        "vicegobernador",
        "distrito",
        "camara",
        "representante",
        "representantes",
        "enmienda",
        "pregunta",
        "juez",
        "comisionado",
        "comisionados",
        "condado",
        "si",
        "eleccion",
        "constitucional",
        "referendum",
        "fiscal",
        "estatal",
        "escuelas",
        "junta",
        "tribunal",
        "alguacil",
        "partido",
        "preferencia",
        "publico",
        "publicos",
    }
)


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def first_language(text: str) -> str:
    """'President of the United States/Presidentede los Estados Unidos' → the English half.
    A slash splits only when the second half reads as Spanish (or repeats the first), so
    'President/Vice President' and 'Board of Education At-Large/Post 7' keep both halves."""
    if "/" not in text:
        return text.strip()
    first, _, second = text.partition("/")
    first, second = first.strip(), second.strip()
    if not first or not any(ch.isalpha() for ch in first):
        return text.strip()
    words = set(re.findall(r"[a-z]+", fold_accents(second)))
    if fold_accents(first) == fold_accents(second) or words & _SECOND_LANGUAGE:
        return first
    return text.strip()
