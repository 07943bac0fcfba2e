"""Fetching feed bytes politely: one session, timeouts always, conditional GET, bounded bodies.

Every adapter fetches through :class:`FeedHttp` so that timeouts, retries, the size limit,
ETag/Last-Modified caching and ``file://`` URLs behave the same for AP, Clarity, CSV and the
project's own JSON. Retries on connection errors and 5xx use urllib3's ``Retry`` (backoff with
jitter) rather than a hand-written loop.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from bot import __version__
from bot.codec.errors import FeedConfigError, FeedError, redact_url

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # a national AP reply at level=ru is tens of MB raw
USER_AGENT = f"electionbot/{__version__} (+results bot; polite polling)"


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    #: the feed that asked, so one recorder can archive every feed of a session.
    feed: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True, slots=True)
class HttpSettings:
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5
    backoff_jitter: float = 0.5
    max_bytes: int = DEFAULT_MAX_BYTES


class FeedHttp:
    """One ``requests.Session`` per feed with a validator cache for conditional GETs. The session
    (and ``requests`` itself, a tenth of a second to import here) is made at the first HTTP request:
    a feed read from files (``replay --via disk``) never needs it."""

    def __init__(self, feed: str, settings: HttpSettings | None = None, session: requests.Session | None = None):
        self.feed = feed
        self.settings = settings or HttpSettings()
        self._session = session
        self._configured = False
        self._validators: dict[str, dict[str, str]] = {}
        #: per local URL, the file last read there: (inode, mtime in ns, size)
        self._file_versions: dict[str, tuple[int, int, int]] = {}
        #: body bytes read and seconds spent in :meth:`get`, over this client's life
        self.bytes_read = 0
        self.fetch_seconds = 0.0

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
        if not self._configured:
            _configure(self._session, self.settings)
            self._configured = True
        return self._session

    def get(self, url: str, *, headers: Mapping[str, str] | None = None, conditional: bool = True) -> Fetched:
        """:meth:`_get`, counting the bytes read and the seconds spent fetching: the poller's
        one line per poll reports them, and its parse time is the poll less the fetches."""
        started = time.perf_counter()
        try:
            fetched = self._get(url, headers=headers, conditional=conditional)
        finally:
            self.fetch_seconds += time.perf_counter() - started
        self.bytes_read += len(fetched.body)
        return fetched

    def _get(self, url: str, *, headers: Mapping[str, str] | None, conditional: bool) -> Fetched:
        """GET a URL or a local path. A 304 (or an unchanged file) comes back as ``not_modified``.

        Raises :class:`FeedError` for anything that is not a usable body: network failure after
        retries, an HTTP error status, or a body over the size limit.
        """
        if is_local(url):
            return self._read_file(url, conditional)
        import requests

        send = dict(headers or {})
        if conditional:
            send.update(self._validators.get(url, {}))
        try:
            with self.session.get(
                url,
                headers=send,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                stream=True,
                allow_redirects=True,
            ) as resp:
                if resp.status_code == 304:
                    return Fetched(url, 304, b"", _lower(resp.headers), self.feed)
                if resp.status_code == 401:
                    raise FeedConfigError(
                        "the feed refused our credentials (HTTP 401): check the API key", feed=self.feed, url=url, status=401
                    )
                if resp.status_code >= 400:
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
                    snippet = _snippet(resp)
                    raise FeedError(
                        f"HTTP {resp.status_code}{': ' + snippet if snippet else ''}",
                        feed=self.feed,
                        url=url,
                        retry_after=retry_after,
                        status=resp.status_code,
                    )
                body = self._read_limited(resp, url)
                validators = {}
                if etag := resp.headers.get("ETag"):
                    validators["If-None-Match"] = etag
                if modified := resp.headers.get("Last-Modified"):
                    validators["If-Modified-Since"] = modified
                if conditional and validators:
                    self._validators[url] = validators
                return Fetched(url, resp.status_code, body, _lower(resp.headers), self.feed)
        except FeedError:
            raise
        except requests.exceptions.Timeout as exc:
            raise FeedError(f"timed out ({type(exc).__name__})", feed=self.feed, url=url) from exc
        except requests.exceptions.RetryError as exc:
            raise FeedError("server errors persisted after retries", feed=self.feed, url=url) from exc
        except requests.exceptions.RequestException as exc:
            if _is_timeout(exc):
                raise FeedError(f"timed out after {self.settings.read_timeout:g} s", feed=self.feed, url=url) from exc
            raise FeedError(f"could not connect ({type(exc).__name__})", feed=self.feed, url=url) from exc

    def forget(self, url: str) -> None:
        """Drop the validators of a URL whose body turned out unusable, so the next poll refetches."""
        self._validators.pop(url, None)
        self._file_versions.pop(url, None)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def _read_limited(self, resp: requests.Response, url: str) -> bytes:
        import requests

        limit = self.settings.max_bytes
        declared = resp.headers.get("Content-Length")
        if (
            declared
            and declared.isdigit()
            and int(declared) > limit
            and "gzip" not in resp.headers.get("Content-Encoding", "")
        ):
            raise FeedError(f"body of {int(declared):,} bytes is over the {limit:,}-byte limit", feed=self.feed, url=url)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise FeedError(f"body is over the {limit:,}-byte limit", feed=self.feed, url=url)
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise FeedError(
                f"connection broke while reading the body ({type(exc).__name__})", feed=self.feed, url=url
            ) from exc
        return b"".join(chunks)

    def _read_file(self, url: str, conditional: bool) -> Fetched:
        path = local_path(url)
        try:
            stat = path.stat()
            # Another file put in its place (a replay's next saved reply, linked there) is a new
            # version even when the two were written within one tick of the file system's clock.
            version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if conditional and self._file_versions.get(url) == version:
                return Fetched(url, 304, b"", feed=self.feed)
            if stat.st_size > self.settings.max_bytes:
                raise FeedError(f"file of {stat.st_size:,} bytes is over the limit", feed=self.feed, url=url)
            body = path.read_bytes()
        except FileNotFoundError as exc:
            # A missing file is what a 404 is to a site: adapters treat optional files alike.
            raise FeedError(f"cannot read file ({exc.strerror or exc})", feed=self.feed, url=url, status=404) from exc
        except OSError as exc:
            raise FeedError(f"cannot read file ({exc.strerror or exc})", feed=self.feed, url=url) from exc
        if conditional:
            self._file_versions[url] = version
        return Fetched(url, 200, body, feed=self.feed)


def _configure(session: requests.Session, settings: HttpSettings) -> None:
    """Retries on connection errors and 5xx (urllib3's ``Retry``, backoff with jitter), our
    User-Agent, compressed bodies."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        backoff_factor=settings.backoff,
        backoff_jitter=settings.backoff_jitter,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})


def is_local(url: str) -> bool:
    scheme = urlparse(url).scheme.lower()
    return scheme == "file" or scheme == "" or (len(scheme) == 1 and os.name == "nt")


def local_path(url: str) -> Path:
    """The file behind a local URL. A ``file:`` URL's query names the file ``name?query``, the
    way ``wget --mirror`` saves such URLs, so a site mirrored to disk (``python -m bot replay
    --via disk``) answers the very URLs its adapter asks for, AP's ``nextrequest`` included."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return Path(url)
    path = unquote(parsed.path)
    return Path(f"{path}?{parsed.query}" if parsed.query else path)


def _is_timeout(exc: BaseException) -> bool:
    """urllib3's retry layer wraps a read timeout in MaxRetryError inside a ConnectionError."""
    import requests

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, (requests.exceptions.Timeout, TimeoutError)) or "Timeout" in type(seen).__name__:
            return True
        seen = getattr(seen, "reason", None) or (
            seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        )
    return False


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _snippet(resp: requests.Response) -> str:
    import requests

    try:
        text = next(resp.iter_content(chunk_size=200), b"").decode("utf-8", "replace")
    except requests.exceptions.RequestException:
        return ""
    return " ".join(text.split())[:120]


__all__ = ["FeedHttp", "Fetched", "HttpSettings", "is_local", "local_path", "redact_url"]
