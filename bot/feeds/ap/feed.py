"""The AP request sequence: the ``nextrequest`` cursor, the delta merge, ``isTruncated``
follow-ups, the API key header and the quota 403, and the ``trendtable`` reports read after the
races on every poll."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from bot.codec.errors import FeedConfigError, FeedError, LeftOut, redact_url
from bot.core.model import Race, Snapshot, TrendTable
from bot.feeds.ap.reply import ApReply, parse_ap
from bot.feeds.ap.trendtable import carried_over, parse_trendtable, report_urls
from bot.feeds.ap.urls import is_mirror, with_json_format
from bot.feeds.common import refuse_error_page
from bot.feeds.http import FeedHttp, Fetched, is_local
from bot.feeds.naming import named
from bot.feeds.source import FeedSource, FeedSpec, Recorder, register, with_last_good

log = logging.getLogger("bot.feeds.ap")

#: AP follows ``isTruncated`` with another request at once; a bound keeps a confused server
#: from holding the poll forever (what is left is fetched on the next poll).
MAX_TRUNCATED_FOLLOWS = 20
DEFAULT_QUOTA_WAIT_SECONDS = 7.0
DEFAULT_KEY_ENV = "AP_API_KEY"


@register
class ApFeed(FeedSource):
    """Polls as AP asks: one full request, then always the newest ``nextrequest``.

    Options: ``api_key_env`` (the environment variable holding the key, default ``AP_API_KEY``;
    the key travels in the ``x-api-key`` header only), ``quota_wait_seconds`` (default 7:
    AP's advice for a per-minute quota 403 is to wait 5–10 s and retry) and ``trendtables``
    (URLs or paths of AP ``trendtable`` reports, read with every poll into ``Snapshot.balance``).
    """

    kind = "ap"

    def __init__(self, spec: FeedSpec, http: FeedHttp, recorder: Recorder | None = None):
        super().__init__(spec, http, recorder)
        self._full_url = with_json_format(spec.url)
        self._local = is_local(spec.url) and not is_mirror(spec.url)  # a saved reply: always a full reply
        self._next: str | None = None
        self.sleep: Callable[[float], None] = time.sleep
        self._reports = report_urls(spec)
        self._tables: dict[str, TrendTable] = {}  # by report URL: the last good table read
        self._report_problems: dict[str, str] = {}  # by report URL: the read problem last logged
        self._mixed: set[str] = set()  # report URLs left out for their test flag (logged once)

    def cursor(self) -> Mapping[str, str]:
        return self.url_cursor("nextrequest", self._next)

    def restore(self, cursor: Mapping[str, str]) -> None:
        self._next = self.restored_cursor(cursor, "nextrequest") or self._next

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        return self._with_balance(self._poll_races(previous), previous)

    def _poll_races(self, previous: Snapshot | None) -> Snapshot | None:
        if self._next is not None and previous is not None:
            try:
                return self._sequence(self._next, previous)
            except _LiveTestSwitch:
                # AP zeroes test data before the live night: nothing of the old chain carries over.
                log.warning("feed %r: test/live flag changed; starting again with a full request", self.spec.name)
        try:
            return self._sequence(None, previous)
        except _LiveTestSwitch:
            raise FeedError(
                "the replies mix test and live races (test data is never mixed with live data)",
                feed=self.spec.name,
                url=self.spec.url,
            ) from None

    def _sequence(self, cursor: str | None, previous: Snapshot | None) -> Snapshot | None:
        """One full request (``cursor`` None) or one delta, plus the ``isTruncated`` follow-ups,
        merged into one snapshot. The cursor moves only when the whole sequence worked."""
        delta = cursor is not None
        url = cursor or self._full_url
        races: dict[str, Race] = dict(previous.races) if delta and previous is not None else {}
        changed = not delta
        # Test and live data never mix: a delta must match the snapshot it extends, and the
        # replies of one sequence must match each other.
        test = previous.test if delta and previous is not None else None
        last: ApReply | None = None
        left_out: list[LeftOut] = []
        for _ in range(MAX_TRUNCATED_FOLLOWS):
            reply = self._request(url, have_previous=previous is not None)
            if reply is None:  # 304: the same reply as last time
                break
            if reply.races:
                if test is not None and reply.test != test:
                    raise _LiveTestSwitch
                test = reply.test
            for race in reply.races:
                races[race.key] = race  # present = replaced whole; absent = unchanged
            left_out += reply.left_out
            changed = changed or bool(reply.races)
            last = reply
            if not reply.nextrequest or self._local:
                break
            url = self._follow(reply.nextrequest)
            if not reply.is_truncated:
                break
            delta = True  # what follows a truncated reply is more of it
        else:
            log.warning(
                "feed %r: still truncated after %d follow-ups; the rest comes next poll",
                self.spec.name,
                MAX_TRUNCATED_FOLLOWS,
            )
        if last is None:
            return None
        next_url = url if last.nextrequest and not self._local else None
        if not changed:
            self._next = next_url
            return None
        # ``races`` is keyed by ``Race.key`` already: the constructor takes it as it is
        snapshot = Snapshot(
            feed=self.spec.name,
            generated_at=last.timestamp or datetime.now(UTC),
            races=with_last_good(races, left_out, previous, bool(test)),
            election_date=last.election_date or (previous.election_date if previous else None),
            test=bool(test),
            version=next_url,
        )
        self._next = next_url
        return snapshot

    def _request(self, url: str, have_previous: bool) -> ApReply | None:
        fetched = self._fetch_within_quota(url, have_previous)
        if fetched.not_modified:
            return None
        try:
            refuse_error_page(fetched, self.spec.name, "AP JSON")
            reply = parse_ap(fetched.body, self.spec.name)
        except FeedError as exc:
            self.http.forget(url)  # a bad body must not be cached as seen
            raise exc.located(self.spec.name, url) from None
        self.report_left_out(fetched.body, reply.left_out)
        # AP tells a special election by its raceType ("Special General"), not by the office's name
        return replace(
            reply, races=tuple(named(race, self.names, special="special" in race.race_type.lower()) for race in reply.races)
        )

    def _fetch_within_quota(self, url: str, have_previous: bool) -> Fetched:
        """A per-minute quota 403 is waited out once (AP: wait 5–10 s, then retry)."""
        wait = float(self.spec.options.get("quota_wait_seconds", DEFAULT_QUOTA_WAIT_SECONDS))
        try:
            return self._fetch_with_key(url, have_previous)
        except FeedError as exc:
            if exc.status != 403:
                raise
        log.info("feed %r: AP quota exceeded (403); retrying in %g s", self.spec.name, wait)
        self.sleep(wait)
        try:
            return self._fetch_with_key(url, have_previous)
        except FeedError as exc:
            if exc.status != 403:
                raise
            raise FeedError(
                f"AP quota still exceeded after waiting {wait:g} s",
                feed=self.spec.name,
                url=url,
                retry_after=wait,
                status=403,
            ) from None

    def _fetch_with_key(self, url: str, have_previous: bool) -> Fetched:
        """The key travels in the ``x-api-key`` header only, never in a URL or a log line."""
        env = str(self.spec.options.get("api_key_env") or DEFAULT_KEY_ENV)
        key = os.environ.get(env)
        headers = {"Accept": "application/json", **({"x-api-key": key} if key else {})}
        try:
            return self.fetch_conditionally(url, have_previous, headers=headers)
        except FeedConfigError:
            state = "it is set" if key else "it is not set"
            raise FeedConfigError(
                f"AP refused the API key (HTTP 401): check ${env} ({state})", feed=self.spec.name, url=url, status=401
            ) from None

    def _follow(self, nextrequest: str) -> str:
        """AP's ``nextrequest`` is followed verbatim (path and query, never rebuilt) on the
        configured origin: the API key goes only where the config says, and v2 replies name
        ``http://`` even when asked over https."""
        parts = urlsplit(nextrequest)
        if not parts.path:
            raise FeedError(f"nextrequest {nextrequest[:80]!r} has no path", feed=self.spec.name, url=self.spec.url)
        base = urlsplit(self._full_url)
        if is_mirror(self._full_url):
            # The mirror's root is where the configured path begins: nextrequest names the same
            # endpoint (its path) with another query.
            if not base.path.endswith(parts.path):
                raise FeedError(
                    f"nextrequest path {parts.path[:60]!r} is not under the mirrored API",
                    feed=self.spec.name,
                    url=self.spec.url,
                )
            root = base.path[: len(base.path) - len(parts.path)]
            return urlunsplit((base.scheme, base.netloc, root + parts.path, parts.query, ""))
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    # -- trendtable reports -----------------------------------------------------------------

    def _with_balance(self, snapshot: Snapshot | None, previous: Snapshot | None) -> Snapshot | None:
        """The reports ride on the snapshot. A report that changed while the races did not still
        makes a new snapshot (the previous races, their instant kept), or the store would never
        hold it and ``/results balance`` would not see it."""
        base = snapshot or previous
        if not self._reports or base is None:
            return snapshot
        balance = self._balance(base, previous)
        if snapshot is None and previous is not None and balance == previous.balance:
            return None
        return replace(base, balance=balance)

    def _balance(self, snapshot: Snapshot, previous: Snapshot | None) -> tuple[TrendTable, ...]:
        for url in self._reports:
            self._read_report(url)
        tables = [(url, self._tables[url]) for url in self._reports if url in self._tables]
        kept = tuple(table for url, table in tables if self._same_data(url, table, snapshot))
        if len(tables) < len(self._reports) and previous is not None:
            kept += tuple(t for t in carried_over(previous.balance, kept) if t.test == snapshot.test)
        return kept

    def _read_report(self, url: str) -> None:
        """One report, conditionally. A 304 keeps the table read before; a report that cannot be
        fetched or read keeps it too, with one log line: the balance of power is context, and
        must never cost the night a poll of its races."""
        try:
            fetched = self._fetch_with_key(url, have_previous=url in self._tables)
            if fetched.not_modified:
                return
            refuse_error_page(fetched, self.spec.name, "an AP trendtable report")
            table = parse_trendtable(fetched.body)
        except FeedError as exc:
            self._report_failed(url, exc.reason)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # TrendtableError, or a shape no check foresaw
            self._report_failed(url, str(exc))
        else:
            self._tables[url] = table
            self._report_problems.pop(url, None)

    def _report_failed(self, url: str, reason: str) -> None:
        """Logged once, not on every poll while the same problem lasts (a good read clears it)."""
        self.http.forget(url)  # a bad body must not be cached as seen
        kept = "keeping the last good table" if url in self._tables else "no table from it yet"
        message = f"trendtable report {redact_url(url)} not read ({reason}); {kept}"
        if self._report_problems.get(url) != message:
            self._report_problems[url] = message
            log.warning("feed %r: %s", self.spec.name, message)

    def _same_data(self, url: str, table: TrendTable, snapshot: Snapshot) -> bool:
        """Test and live data never mix: a test report is left out of a live snapshot (said once
        while it lasts, however often the report is fetched again)."""
        if table.test == snapshot.test:
            self._mixed.discard(url)
            return True
        if url not in self._mixed:
            self._mixed.add(url)
            flags = ("test", "live") if table.test else ("live", "test")
            log.warning(
                "feed %r: trendtable report %s is %s data and the races are %s; left out",
                self.spec.name,
                redact_url(url),
                *flags,
            )
        return False


class _LiveTestSwitch(Exception):
    """The feed switched between test and live data: a delta cannot be merged across that."""
