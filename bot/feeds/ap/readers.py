"""The small typed readers of AP's values: each returns the value in our terms or raises
:class:`Malformed` saying what is wrong with it, so the parsers read as a list of fields."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

log = logging.getLogger("bot.feeds.ap")


class Malformed(Exception):
    """A shape problem inside the reply; becomes a located :class:`FeedError` at the edge."""


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def ident(value: Any, field: str) -> str:
    if type(value) is str and value and len(value) <= 120:
        return value
    if type(value) is int and value >= 0:  # AP sends digits as strings; a number is the same id
        return str(value)
    raise Malformed(f"{field} {str(value)[:30]!r} is not an id")


def optional_ident(value: Any, field: str) -> str | None:
    return None if value is None or value == "" else ident(value, field)


def optional_text(value: Any, field: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise Malformed(f"{field} is {kind_of(value)}, not text")


def boolean(value: Any, field: str) -> bool:
    if value is None:
        return False
    if type(value) is bool:
        return value
    raise Malformed(f"{field} is {kind_of(value)}, not true/false")


def flipped(value: Any) -> bool | None:
    """AP's v3 ``flippedSeat`` (a boolean). It only adds context to a call, so a value of another
    type is read as "not said" (and logged) rather than refusing every race of the poll."""
    if value is None or type(value) is bool:
        return value
    log.debug("flippedSeat %s ignored: not true/false", str(value)[:20])
    return None


def whole_number(value: Any, field: str) -> int | None:
    if value is None or (type(value) is int and value >= 0):
        return value
    raise Malformed(f"{field} {str(value)[:20]!r} is not a whole number ≥ 0")


def seat_count(value: Any) -> int:
    if value is None:
        return 1
    if type(value) is int and value >= 1:
        return value
    raise Malformed(f"numWinners {str(value)[:20]!r} is not a whole number ≥ 1")


def percent(value: Any, field: str) -> float | None:
    """``eevp`` is 0–100 as AP publishes it (AP's own example shows 84), not a fraction."""
    if value is None:
        return None
    if type(value) in (int, float) and 0 <= value <= 100:
        return float(value)
    raise Malformed(f"{field} {str(value)[:20]!r} is not a percentage 0–100")


def fips_code(value: Any) -> str | None:
    """The 2015 CO sample has 67 four-digit codes ("8001"): FIPS are left-padded to five digits."""
    if value == "":
        return None
    if type(value) is str and 0 < len(value) <= 5 and value.isascii() and value.isdigit():
        return value.zfill(5)
    raise Malformed(f"fipsCode {str(value)[:20]!r} is not up to five digits")


def instant(value: Any, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise Malformed(f"{field} is {kind_of(value)}, not a time")
    try:
        return _parse_moment(value)
    except (ValueError, OverflowError):
        raise Malformed(f"{field} {value[:40]!r} is not a usable ISO-8601 time") from None


@lru_cache(maxsize=4096)
def _parse_moment(text: str) -> datetime:
    """AP times are UTC with or without milliseconds; thousands of units share a handful of
    values, hence the cache."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def election_day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise Malformed(f"electionDate is {kind_of(value)}, not a date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Malformed(f"electionDate {value[:20]!r} is not YYYY-MM-DD") from None
