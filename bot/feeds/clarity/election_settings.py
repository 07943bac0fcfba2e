"""``electionsettings.json`` → Clarity's test-mode flag."""

from __future__ import annotations

from typing import Any

from bot.codec.errors import FeedError
from bot.feeds.clarity.values import Malformed
from bot.feeds.common import load_json

#: Where a version folder keeps its settings: newer sites under ``json/en/``, older ones in ``json/``.
SETTINGS_PATHS = ("json/en/electionsettings.json", "json/electionsettings.json")
_TRUE_WORDS = frozenset({"true", "1", "yes", "y"})
_FALSE_WORDS = frozenset({"false", "0", "no", "n", ""})


def parse_test_mode(data: bytes, feed: str) -> bool:
    """``electionsettings.json`` → whether the site is in Clarity's test mode
    (``settings.electiondetails.istestmode``). Counties rehearse on their live site before the
    night, so a test upload looks exactly like results; this flag is the only thing that tells.
    A missing flag means live; a value that cannot be read is refused rather than guessed,
    because guessing "live" would announce rehearsal numbers as results."""
    doc = load_json(data, feed, "electionsettings.json")
    try:
        if not isinstance(doc, dict):
            raise Malformed("expected an object at the top level")
        settings = doc.get("settings") or {}
        details = settings.get("electiondetails") if isinstance(settings, dict) else None
        if details is None:
            return False
        if not isinstance(details, dict):
            raise Malformed("settings.electiondetails is not an object")
        return _truth(details.get("istestmode"), "istestmode")
    except Malformed as exc:
        raise FeedError(f"malformed electionsettings.json: {exc}", feed=feed) from None


def _truth(value: Any, what: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
        return value.strip().lower() in _TRUE_WORDS
    raise Malformed(f"{what} {str(value)[:20]!r} is not true or false")
