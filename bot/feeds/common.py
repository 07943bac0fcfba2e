"""Edge helpers every adapter shares: names compared loosely, JSON read safely, error pages refused.

They started inside the AP adapter; Clarity and CSV need the same answers (is "Write-ins" a
person? is this body an HTML outage page?), and two adapters disagreeing on them would make the
same night read differently depending on who published it.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from bot.codec.errors import FeedError
from bot.feeds.http import Fetched

#: Ballot lines that are not a person who can lead the race. Compared after :func:`name_key`.
PSEUDO_NAMES = frozenset(
    {
        "uncommitted",
        "nopreference",
        "other",
        "others",
        "otherwriteins",
        "writein",
        "writeins",
        "scattering",
        "noneofthesecandidates",
        "noneoftheabove",
        "blank",
        "blankballots",
    }
)


def name_key(text: str) -> str:
    """'Write-ins', 'WRITE IN' and 'write_in' compare equal: letters and digits, lower case."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def is_pseudo_name(name: str) -> bool:
    """Uncommitted, No Preference, Other, Write-ins…: votes that count toward the office total
    but belong to no person who can lead. Yes/No on a ballot measure are *not* pseudo: they are
    the choices."""
    return name_key(name) in PSEUDO_NAMES


def load_json(data: bytes, feed: str, what: str) -> Any:
    """Bytes → JSON value, or a :class:`FeedError` naming the problem (never another exception).

    msgspec first: it builds the same values as the standard library in half its time (a national
    AP reply is 26 MB). Whatever it refuses (NaN, a number past a float's range, a lone surrogate
    escape, a byte-order mark, UTF-16, broken JSON, deep nesting) goes to ``json.loads``, which
    reads it as before or names the problem as before."""
    try:
        return _msgspec_decode(data)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise FeedError(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})", feed=feed) from None
    except json.JSONDecodeError as exc:
        hint = ": it looks like an HTML page" if looks_like_html(data) else ""
        raise FeedError(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}){hint}", feed=feed
        ) from None
    except RecursionError:
        raise FeedError(f"{what} is JSON nested too deeply", feed=feed) from None


_msgspec_decode = msgspec.json.Decoder().decode


def refuse_error_page(fetched: Fetched, feed: str, what: str) -> None:
    """Results hosts answer outages with an HTML page and status 200; that is not data."""
    if "html" in fetched.content_type:
        raise FeedError(
            f"expected {what} but the server sent {fetched.content_type} (an error page?)", feed=feed, url=fetched.url
        )


def looks_like_html(data: bytes) -> bool:
    """An error page saved or served where data was expected (e.g. as a file, or inside a zip's URL)."""
    return data[:64].lstrip().lower().startswith((b"<!doctype html", b"<html"))


__all__ = ["PSEUDO_NAMES", "is_pseudo_name", "load_json", "looks_like_html", "name_key", "refuse_error_page"]
