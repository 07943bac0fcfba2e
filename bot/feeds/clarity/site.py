"""What a Clarity URL tells: a state site or a county site, its state, a county site's county."""

from __future__ import annotations

from typing import Literal
from urllib.parse import unquote, urlsplit

Site = Literal["state", "county"]


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
