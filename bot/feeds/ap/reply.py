"""Bytes of one AP reply → :class:`ApReply` (pure: no network, no clock)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from bot.codec.errors import FeedError, LeftOut
from bot.codec.races import unique_races
from bot.core.model import Race
from bot.feeds.ap.flags import says_test
from bot.feeds.ap.races import race_in_context
from bot.feeds.ap.readers import Malformed, election_day, instant, kind_of, optional_text
from bot.feeds.common import load_json
from bot.feeds.gc_pause import gc_paused
from bot.feeds.source import admissible


class _NotResults(Malformed):
    """A well-formed AP document of another kind (landing list, trendtable report…)."""


@dataclass(frozen=True, slots=True)
class ApReply:
    """One AP reply, parsed. ``races`` holds only the changed races on a ``nextrequest`` reply."""

    races: tuple[Race, ...]
    nextrequest: str | None
    is_truncated: bool
    timestamp: datetime | None
    election_date: date | None
    test: bool
    #: races, units and roster entries that could not be read (the rest of the reply is used)
    left_out: tuple[LeftOut, ...] = ()


def parse_ap(data: bytes, feed: str) -> ApReply:
    """Bytes of an AP elections reply → :class:`ApReply`, or :class:`FeedError`.

    AP's other documents (the ``/v2/elections`` landing list, ``trendtable``, ``delSum`` and
    ``delSuper`` reports) are refused with a message saying which document it is: a feed URL
    pointing at one of them is a configuration mistake, not an empty election.
    """
    with gc_paused():  # a national reply is millions of acyclic objects (bot/feeds/gc_pause.py)
        return _parse_ap(data, feed)


def _parse_ap(data: bytes, feed: str) -> ApReply:
    doc = load_json(data, feed, "the AP reply")
    try:
        return _reply(doc)
    except _NotResults as exc:
        raise FeedError(str(exc), feed=feed) from None
    except Malformed as exc:
        raise FeedError(f"malformed AP reply: {exc}", feed=feed) from None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:  # a shape no check foresaw
        raise FeedError(f"malformed AP reply ({type(exc).__name__}: {exc})", feed=feed) from None


def _reply(doc: Any) -> ApReply:
    if not isinstance(doc, dict):
        raise Malformed(f"expected a JSON object at the top level, got {kind_of(doc)}")
    if "races" not in doc:
        raise _NotResults(_not_a_results_reply(doc))
    raw_races = doc["races"]
    if not isinstance(raw_races, list):
        raise Malformed(f"'races' is {kind_of(raw_races)}, not a list")
    found: list[Race] = []
    left_out: list[LeftOut] = []
    for index, raw in enumerate(raw_races):
        race = race_in_context(raw, index, left_out)
        if race is not None:
            found.append(race)
    races = {race.key: race for race in unique_races(found, left_out)}
    # Test data never passes for live: a reply is test data when any race says so (one left out
    # too), and then a race that does not say (AP leaves the flag off some uncontested races) is
    # test data as well.
    test = any(race.test for race in races.values()) or any(says_test(raw) for raw in raw_races)
    kept = admissible((replace(race, test=True) if test and not race.test else race for race in races.values()), left_out)
    nextrequest = optional_text(doc.get("nextrequest"), "nextrequest")
    truncated = doc.get("isTruncated", False)
    if truncated is None:
        truncated = False
    if not isinstance(truncated, bool):
        raise Malformed(f"isTruncated is {kind_of(truncated)}, not true/false")
    return ApReply(
        races=tuple(kept),
        nextrequest=nextrequest or None,
        is_truncated=truncated,
        timestamp=instant(doc.get("timestamp"), "timestamp"),
        election_date=election_day(doc.get("electionDate")),
        test=test,
        left_out=tuple(left_out),
    )


def _not_a_results_reply(doc: dict[str, Any]) -> str:
    if "elections" in doc:
        return "this is AP's landing document (a list of election dates), not a results reply: point the feed at /v2/elections/YYYY-MM-DD"
    for report in ("trendtable", "delSum", "delSuper"):
        if report in doc:
            return f"this is an AP {report} report, not an elections results reply"
    keys = ", ".join(sorted(str(k) for k in doc)[:8]) or "none"
    return f"no 'races' list (top-level keys: {keys[:200]})"
