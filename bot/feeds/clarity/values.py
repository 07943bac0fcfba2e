"""Clarity's small values read strictly: ids, counts, the vote-for, element text, its local
timestamps and dates, and the race type its election name implies. Each refusal is a
:class:`Malformed` naming the field, which the file's reader turns into a ``FeedError``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from xml.etree.ElementTree import Element

# Zone abbreviations Clarity prints after its local timestamps ("11/20/2020 3:37:06 PM EST").
_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "AST": -4,
}


class Malformed(Exception):
    """A shape problem; becomes a :class:`FeedError` naming the file at the edge."""


def race_type_of(text: str | None) -> tuple[str, bool]:
    """Clarity has no race-type field: the election's name says "Primary" or not."""
    words = (text or "General").lower()
    if "primary" in words or "caucus" in words:
        return ("Primary Runoff" if "runoff" in words else "Primary"), False
    return ("General Runoff" if "runoff" in words else "General"), True


def read_id(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Malformed(f"{what} is missing or not an id")
    text = str(value).strip()
    if not text or len(text) > 60:
        raise Malformed(f"{what} {text[:20]!r} is not an id")
    return text


def list_of(value: Any, kind: type, what: str) -> list[Any]:
    if not isinstance(value, list) or any(type(item) is not kind for item in value):
        raise Malformed(f"{what} is not a list of {kind.__name__}")
    return value


def whole_number(text: str | None, what: str) -> int:
    if text is None:
        raise Malformed(f"{what} is missing")
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 15:
        raise Malformed(f"{what} {value[:20]!r} is not a whole number ≥ 0")
    return int(value)


def optional_count(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is int:
        if value < 0:
            raise Malformed(f"{what} is negative")
        return value
    if isinstance(value, str):
        return whole_number(value, what)
    raise Malformed(f"{what} is not a whole number")


def seats_of(value: Any) -> int:
    if value is None:
        return 1
    if type(value) is not int or value < 1:
        raise Malformed(f"vote-for {str(value)[:20]!r} is not a whole number ≥ 1")
    return value


def text_of(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def timestamp_of(text: str | None) -> datetime | None:
    """Clarity prints local time with a zone abbreviation; unknown zones give no timestamp."""
    if not text:
        return None
    *clock, zone = text.split()
    offset = _ZONES.get(zone.upper())
    if offset is None or len(clock) != 3:
        return None
    try:
        moment = datetime.strptime(" ".join(clock), "%m/%d/%Y %I:%M:%S %p")
    except ValueError:
        return None
    try:
        return moment.replace(tzinfo=timezone(timedelta(hours=offset))).astimezone(UTC)
    except OverflowError:  # year 9999 late in the evening, west of Greenwich
        return None


def us_date(text: str | None) -> date | None:
    try:
        return datetime.strptime(text, "%m/%d/%Y").date() if text else None
    except ValueError:
        return None
