"""The poll: ``current_ver.txt`` first, and the versioned files only for a new version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from bot.codec.errors import FeedConfigError, FeedError, LeftOut
from bot.core.model import Race, Snapshot
from bot.core.states import lookup as lookup_state
from bot.feeds.clarity.archive import MAX_DETAIL_BYTES, read_detail_zip
from bot.feeds.clarity.detail import ClarityDetail, parse_detail_xml
from bot.feeds.clarity.election_settings import SETTINGS_PATHS, parse_test_mode
from bot.feeds.clarity.site import Site, county_of, site_of
from bot.feeds.clarity.summary import parse_summary
from bot.feeds.clarity.totals import combine
from bot.feeds.common import refuse_error_page
from bot.feeds.http import FeedHttp
from bot.feeds.source import FeedSource, FeedSpec, Recorder, admissible, register, with_last_good


@register
class ClarityFeed(FeedSource):
    """Polls ``current_ver.txt``; fetches summary and detail only for a new version.

    Options: ``state`` (postal code; a county site needs it unless the URL shows it),
    ``site`` ("state" or "county", else told by the URL), ``detail`` (default true: county or
    precinct rows from detailxml.zip), ``race_type`` (e.g. "Primary", when the election's name
    does not say it), ``detail_max_bytes`` (default 64 MB), ``settings`` (default true: read
    ``electionsettings.json`` for Clarity's test-mode flag, so a rehearsal upload says TEST).
    """

    kind = "clarity"
    default_names = "title"  # Clarity sites often write in capitals ("U.S. SENATOR", "TRUMP")

    def __init__(self, spec: FeedSpec, http: FeedHttp, recorder: Recorder | None = None):
        super().__init__(spec, http, recorder)
        self._base = spec.url.rstrip("/") + "/"
        guessed_site, guessed_state = site_of(spec.url)
        site = spec.options.get("site", guessed_site)
        if site not in ("state", "county"):
            raise FeedConfigError(f'options.site is {site!r}; use "state" or "county"', feed=spec.name)
        self.site: Site = site
        state = spec.options.get("state")
        found = lookup_state(str(state)) if state else None
        if state and found is None:
            raise FeedConfigError(f"options.state {str(state)[:20]!r} is not a US state", feed=spec.name)
        self.state: str | None = found.postal if found else guessed_state
        #: a county site's county: the config's, else the URL's (else detail.xml's Region)
        self.county: str | None = spec.county or (county_of(spec.url) if site == "county" else None)
        self.detail = bool(spec.options.get("detail", True))
        self.settings = bool(spec.options.get("settings", True))
        self.max_detail_bytes = int(spec.options.get("detail_max_bytes", MAX_DETAIL_BYTES))
        self._version: str | None = None

    def cursor(self) -> Mapping[str, str]:
        return self.url_cursor("version", self._version)

    def restore(self, cursor: Mapping[str, str]) -> None:
        self._version = self.restored_cursor(cursor, "version") or self._version

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        version_url = self._base + "current_ver.txt"
        fetched = self.fetch_conditionally(version_url, previous is not None and self._version is not None)
        if fetched.not_modified:
            return None
        try:
            refuse_error_page(fetched, self.spec.name, "current_ver.txt")
            version = _version(fetched.body)
        except FeedError as exc:
            self.http.forget(version_url)
            raise exc.located(self.spec.name, version_url) from None
        if version == self._version and previous is not None:
            return None
        try:
            snapshot = self._read(version)
        except FeedError:
            self.http.forget(version_url)  # so the next poll asks for this version again
            raise
        self._version = version
        # One contest that cannot be read costs that contest (its last good version stays).
        self.report_left_out(version, self._left_out)
        if self._left_out:
            snapshot = replace(snapshot, races=with_last_good(dict(snapshot.races), self._left_out, previous, snapshot.test))
        return snapshot

    def _read(self, version: str) -> Snapshot:
        self._left_out: list[LeftOut] = []  # contests that cannot be read, filled by the parsers
        detail = self._read_detail(version) if self.detail else None
        state = self.state or (detail.races[0].state if detail and detail.races else None)
        if state is None:
            raise FeedConfigError(
                "set options.state: the URL does not show the state", feed=self.spec.name, url=self.spec.url
            )
        races = tuple(admissible(self._read_summary(version, state, detail), self._left_out))
        test = self._read_test_mode(version) if self.settings else False
        if test:  # every race carries it too: alert cards and answers are built per race
            races = tuple(replace(race, test=True) for race in races)
        meta = {"election": detail.election_name, "region": detail.region} if detail else {}
        return Snapshot.of(
            self.spec.name,
            (detail.timestamp if detail else None) or datetime.now(UTC),
            races,
            election_date=detail.election_date if detail else None,
            test=test,
            version=version,
            meta={k: v for k, v in meta.items() if v},
        )

    def _read_test_mode(self, version: str) -> bool:
        """Test mode from the version's settings; a site that publishes none (404 at both
        places) is live. Any other failure fails the poll: the flag decides what we announce."""
        for path in SETTINGS_PATHS:
            url = f"{self._base}{version}/{path}"
            try:
                fetched = self.fetch(url, conditional=False)
            except FeedError as exc:
                if exc.status == 404:
                    continue
                raise exc.located(self.spec.name, url) from None
            try:
                refuse_error_page(fetched, self.spec.name, "electionsettings.json")
                return parse_test_mode(fetched.body, self.spec.name)
            except FeedError as exc:
                raise exc.located(self.spec.name, url) from None
        return False

    def _read_detail(self, version: str) -> ClarityDetail:
        url = f"{self._base}{version}/reports/detailxml.zip"
        fetched = self.fetch(url, conditional=False)  # versioned files never change
        try:
            xml = read_detail_zip(fetched.body, self.max_detail_bytes)
            race_type = self.spec.options.get("race_type")
            return parse_detail_xml(
                xml,
                self.spec.name,
                self.state,
                race_type=race_type,
                max_bytes=self.max_detail_bytes,
                names=self.names,
                county=self.county,
                left_out=self._left_out,
            )
        except FeedError as exc:
            raise exc.located(self.spec.name, url) from None

    def _read_summary(self, version: str, state: str, detail: ClarityDetail | None) -> tuple[Race, ...]:
        url = f"{self._base}{version}/json/en/summary.json"
        fetched = self.fetch(url, conditional=False)
        try:
            refuse_error_page(fetched, self.spec.name, "summary.json")
            race_type = self.spec.options.get("race_type") or (detail.election_name if detail else None)
            site = detail.site if detail else self.site
            county = self.county or (detail.region if detail and site == "county" else None)
            summary = parse_summary(
                fetched.body,
                self.spec.name,
                state,
                site=site,
                race_type=race_type,
                names=self.names,
                county=county,
                left_out=self._left_out,
            )
            return combine(summary, detail.races if detail else (), self._left_out)
        except FeedError as exc:
            raise exc.located(self.spec.name, url) from None


def _version(body: bytes) -> str:
    text = body.decode("ascii", "replace").strip()
    if not (text.isdigit() and len(text) <= 20):
        raise FeedError(f"current_ver.txt holds {text[:40]!r}, not a version number")
    return text
