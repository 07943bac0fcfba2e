"""Bytes of one AP reply → :class:`ApReply` (pure: no network, no clock)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from bot.codec.errors import FeedError, LeftOut
from bot.codec.races import unique_races
from bot.core.model import Race
from bot.feeds.ap.flags import says_test
from bot.feeds.ap.races import race_in_context
from bot.feeds.ap.readers import Malformed, election_day, instant, kind_of, optional_text
from bot.feeds.ap.shapes import REFUSED, decode_any, decode_race, decode_reply
from bot.feeds.ap.typed import NotPlain, vouched_race
from bot.feeds.ap.typed import says_test as typed_says_test
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


def _parse_ap(data: bytes, feed: str, typed: bool = True) -> ApReply:
    """``typed=False``: the generic path alone, which the typed one must equal (tests/integration/
    feeds/test_ap_typed.py compares the two)."""
    try:
        read = _read_typed(data) if typed else None
        if read is None:
            read = _read_generic(load_json(data, feed, "the AP reply"))
        return _reply(read)
    except _NotResults as exc:
        raise FeedError(str(exc), feed=feed) from None
    except Malformed as exc:
        raise FeedError(f"malformed AP reply: {exc}", feed=feed) from None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:  # a shape no check foresaw
        raise FeedError(f"malformed AP reply ({type(exc).__name__}: {exc})", feed=feed) from None


#: a race the typed reader does not take goes to the generic one, which says what it makes of it
#: (a shape no check foresaw included: one odd race costs that race, on either path)
_GENERIC_RACE = (NotPlain, *REFUSED, TypeError, ValueError, LookupError, AttributeError, OverflowError)


@dataclass(slots=True)
class _Read:
    """What either reader took from the document, before what the two share (:func:`_reply`)."""

    races: list[Race]
    left_out: list[LeftOut]
    #: some race, read or not, says it is test data
    says_test: bool
    nextrequest: Any
    is_truncated: Any
    timestamp: Any
    election_date: Any
    #: ``id()`` of the races in ``races`` the typed reader vouches for (``vouched_race``): the
    #: invariants' check is not run again on those very objects
    sound: set[int] = field(default_factory=set)


def _read_typed(data: bytes) -> _Read | None:
    """The document through AP's typed shapes (:mod:`.shapes`), a race the shapes refuse or
    :mod:`.typed` finds not plain through the generic reader; ``None`` when the document is one
    the generic path must read whole (not an AP results reply, not UTF-8, or a race msgspec
    cannot decode at all, which ``json.loads`` may still read: NaN, a lone surrogate)."""
    # msgspec skips the fields it does not read without checking their bytes; the generic path
    # refuses a document that is not UTF-8 whole
    if not (data.isascii() or is_utf8(data)):
        return None
    try:
        shape = decode_reply(data)
    except REFUSED:
        return None
    found: list[Race] = []
    left_out: list[LeftOut] = []
    sound: set[int] = set()
    test = False
    plain = plain_text(data)
    for index, raw in enumerate(shape.races):
        try:
            typed = decode_race(raw)
            race, vouched = vouched_race(typed, plain or plain_text(bytes(raw)))
            found.append(race)
            if vouched:
                sound.add(id(race))
        except _GENERIC_RACE:
            try:
                generic = decode_any(raw)
            except REFUSED:
                return None
            test = test or says_test(generic)
            read = race_in_context(generic, index, left_out)
            if read is not None:
                found.append(read)
        else:
            test = test or typed_says_test(typed)
    return _Read(found, left_out, test, shape.nextrequest, shape.isTruncated, shape.timestamp, shape.electionDate, sound)


def plain_text(data: bytes) -> bool:
    """Whether every JSON string in ``data`` decodes to ASCII without NUL: ASCII bytes and no
    ``\\u`` escape (JSON allows no raw control character in a string, and msgspec refuses one).
    A backslash is looked for first: one byte is a ``memchr``, two a slower search."""
    return data.isascii() and (b"\\" not in data or b"\\u" not in data)


def is_utf8(data: bytes, chunk: int = 1 << 20) -> bool:
    """Whether the bytes are UTF-8, read a chunk at a time: decoding a 26 MB reply whole to find
    out would hold a copy of up to four times its size."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), chunk):
            decoder.decode(view[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _read_generic(doc: Any) -> _Read:
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
    test = any(says_test(raw) for raw in raw_races)
    return _Read(
        found,
        left_out,
        test,
        doc.get("nextrequest"),
        doc.get("isTruncated", False),
        doc.get("timestamp"),
        doc.get("electionDate"),
    )


def _reply(read: _Read) -> ApReply:
    left_out = read.left_out
    races = {race.key: race for race in unique_races(read.races, left_out)}
    # Test data never passes for live: a reply is test data when any race says so (one left out
    # too), and then a race that does not say (AP leaves the flag off some uncontested races) is
    # test data as well.
    test = any(race.test for race in races.values()) or read.says_test
    kept = admissible(
        (replace(race, test=True) if test and not race.test else race for race in races.values()), left_out, read.sound
    )
    nextrequest = optional_text(read.nextrequest, "nextrequest")
    truncated = read.is_truncated
    if truncated is None:
        truncated = False
    if not isinstance(truncated, bool):
        raise Malformed(f"isTruncated is {kind_of(truncated)}, not true/false")
    return ApReply(
        races=tuple(kept),
        nextrequest=nextrequest or None,
        is_truncated=truncated,
        timestamp=instant(read.timestamp, "timestamp"),
        election_date=election_day(read.election_date),
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
