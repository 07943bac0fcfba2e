"""AP's balance-of-power ``trendtable`` report (numbers as strings) read into the model's ``TrendTable``,
and which reports a feed reads (``options.trendtables``) and keeps across a restart.

The parser belongs to the AP edge: the core (``bot.core.balance``) only says what a table means.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from bot.codec.errors import FeedConfigError
from bot.core.balance import trendtable_chamber
from bot.core.model import TrendParty, TrendTable
from bot.core.parties import normalize_party
from bot.feeds.ap.urls import with_json_format
from bot.feeds.source import FeedSpec


class TrendtableError(ValueError):
    """An AP trendtable document that is not one."""


def _int(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise TrendtableError(f"trendtable: {where} is not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace("−", "-")
        try:
            return int(text)
        except ValueError:
            pass
    raise TrendtableError(f"trendtable: {where} is not a number: {value!r}")


def _seat_count(value: object, where: str) -> int:
    """Seats are never negative (only net changes are): a report saying so is broken, and the
    store would refuse it later anyway."""
    n = _int(value, where)
    if n < 0:
        raise TrendtableError(f"trendtable: {where} is negative: {value!r}")
    return n


def _pairs(trend: object, where: str) -> dict[str, object]:
    """AP's ``[{"Won": "23"}, {"Leading": "0"}, …]`` as one dict."""
    if not isinstance(trend, list):
        raise TrendtableError(f"trendtable: {where} should be a list of one-key objects")
    out: dict[str, object] = {}
    for item in trend:
        if not isinstance(item, Mapping):
            raise TrendtableError(f"trendtable: {where} has a non-object entry {item!r}")
        out.update(item)
    return out


#: The store's format (``bot.codec.native``) holds reports to these lengths: a report the
#: parser accepts must be one the store can read back.
MAX_PARTY_TITLE, MAX_OFFICE, MAX_OFFICE_CODE = 60, 300, 10


def parse_trendtable(data: bytes | str) -> TrendTable:
    """AP's ``trendtable`` (balance of power) report. Raises ``TrendtableError`` on anything
    malformed: not JSON, no ``trendtable`` object, no parties, a missing or non-numeric
    Won/Leading/Holdovers, a party listed twice."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise TrendtableError(f"trendtable: not JSON: {exc}") from exc
    table = doc.get("trendtable") if isinstance(doc, Mapping) else None
    if not isinstance(table, Mapping):
        raise TrendtableError("trendtable: no 'trendtable' object at the top level")
    raw_parties = table.get("party")
    if not isinstance(raw_parties, list) or not raw_parties:
        raise TrendtableError("trendtable: 'party' should be a non-empty list")
    parties = []
    seen = set()
    for i, raw in enumerate(raw_parties):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("title"), str) or not raw["title"].strip():
            raise TrendtableError(f"trendtable: party[{i}] has no title")
        if len(raw["title"]) > MAX_PARTY_TITLE:
            raise TrendtableError(f"trendtable: party[{i}] title is over {MAX_PARTY_TITLE} characters")
        name = normalize_party(raw["title"]) or raw["title"]
        if name in seen:
            raise TrendtableError(f"trendtable: party {name!r} listed twice")
        seen.add(name)
        trend = _pairs(raw.get("trend"), f"party {name} trend")
        for needed in ("Won", "Leading", "Holdovers"):
            if needed not in trend:
                raise TrendtableError(f"trendtable: party {name} has no {needed!r}")
        net_raw = raw.get("NetChange")
        net = (
            _pairs(net_raw.get("trend") if isinstance(net_raw, Mapping) else [], f"party {name} NetChange")
            if net_raw is not None
            else {}
        )
        parties.append(
            TrendParty(
                party=name,
                won=_seat_count(trend["Won"], f"{name} Won"),
                leading=_seat_count(trend["Leading"], f"{name} Leading"),
                holdovers=_seat_count(trend["Holdovers"], f"{name} Holdovers"),
                winning_trend=_seat_count(trend["Winning Trend"], f"{name} Winning Trend")
                if "Winning Trend" in trend
                else None,
                current=_seat_count(trend["Current"], f"{name} Current") if "Current" in trend else None,
                net_winners=_int(net.get("Winners", "0"), f"{name} net Winners"),
                net_leaders=_int(net.get("Leaders", "0"), f"{name} net Leaders"),
            )
        )
    code = table.get("OfficeTypeCode")
    office = str(table.get("office") or "")
    if len(office) > MAX_OFFICE or (isinstance(code, str) and len(code) > MAX_OFFICE_CODE):
        raise TrendtableError("trendtable: office or OfficeTypeCode is implausibly long")
    return TrendTable(
        office=office,
        office_type=(code.strip() or None) if isinstance(code, str) else None,
        test=str(table.get("Test", "0")).strip().lower() in {"1", "true"},
        timestamp=_report_time(table.get("timestamp")),
        parties=tuple(parties),
    )


def _report_time(stamp: object) -> datetime | None:
    """AP's report time. A time without a zone is UTC, as every AP time is: read as local time
    it would move with the server's zone once stored."""
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TrendtableError(f"trendtable: timestamp {stamp!r} is not ISO 8601") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


#: AP's OfficeTypeCode → the chamber key ``/results balance`` and config/seats.toml use.


def report_urls(spec: FeedSpec) -> tuple[str, ...]:
    """``options.trendtables``: one URL or path, or a list of them. A malformed option stops the
    feed at start; it is a typo, and polling would not fix it."""
    raw = spec.options.get("trendtables") or ()
    urls = [raw] if isinstance(raw, str) else raw
    if not isinstance(urls, list | tuple) or not all(isinstance(u, str) and u.strip() for u in urls):
        raise FeedConfigError(
            "options.trendtables should be a list of AP trendtable report URLs or file paths", feed=spec.name
        )
    return tuple(dict.fromkeys(with_json_format(u.strip()) for u in urls))


def carried_over(stored: tuple[TrendTable, ...], read: tuple[TrendTable, ...]) -> tuple[TrendTable, ...]:
    """The stored tables of chambers no report has been read for yet in this process (a restart
    while AP's report endpoint is failing): the last good table outlives a restart as it
    outlives a bad poll."""
    have = {_chamber_key(t) for t in read}
    return tuple(t for t in stored if _chamber_key(t) not in have)


def _chamber_key(table: TrendTable) -> str:
    return trendtable_chamber(table) or table.office
