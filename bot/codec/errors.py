"""The one error type of the feed edge: it says which feed, which URL and what was wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECRET_PARAMS = re.compile(r"(?i)([?&](?:api_?key|apikey|key|token|access_token)=)[^&#]*")


def redact_url(url: str) -> str:
    """Keys in query strings (older AP clients passed ``apiKey=``) never reach a log line."""
    return _SECRET_PARAMS.sub(r"\1REDACTED", url)


class FeedError(Exception):
    """A feed could not be read or made no sense. The last good snapshot stays in place."""

    def __init__(
        self,
        reason: str,
        *,
        feed: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
    ):
        self.reason = reason
        self.feed = feed
        self.url = redact_url(url) if url else None
        self.retry_after = retry_after
        #: the HTTP status that caused the error, if any: callers branch on it (AP's quota 403,
        #: Clarity's missing optional file 404) instead of parsing the reason text.
        self.status = status
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.feed:
            where.append(f"feed {self.feed!r}")
        if self.url:
            where.append(self.url)
        return f"{' at '.join(where)}: {self.reason}" if where else self.reason

    def located(self, feed: str, url: str | None = None) -> FeedError:
        """The same error with its feed and URL filled in by the layer that knows them.

        The type is kept so that a located :class:`FeedConfigError` still reads as a
        configuration problem to the poller, and the status so a caller can still branch on it.
        """
        return type(self)(
            self.reason, feed=self.feed or feed, url=self.url or url, retry_after=self.retry_after, status=self.status
        )


class FeedConfigError(FeedError):
    """The feed refused us for a reason polling again will not fix (401: wrong API key)."""


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A race (or unit, candidate, report) a reply held but no one could read: left out, the rest
    of the reply used. ``race_key`` (state + race id, when known) lets the feed keep that race's
    last good version; ``ident`` is what the log line names."""

    what: str  # "race", "unit", "candidate", "report"
    ident: str
    reason: str
    race_key: str | None = None

    def describe(self) -> str:
        return f"{self.what} {self.ident} left out: {self.reason}"
