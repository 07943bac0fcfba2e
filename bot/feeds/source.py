"""The adapter seam: every feed kind is a ``FeedSource`` that turns polls into snapshots.

A source owns its fetch sequence (AP follows ``nextrequest`` cursors and merges deltas,
Clarity polls ``current_ver.txt`` before fetching anything) but not the schedule, the store or
the diff: the poller calls :meth:`FeedSource.poll` and gets either a new snapshot, ``None``
(nothing changed, nothing to parse), or a :class:`~bot.feeds.errors.FeedError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.feeds.http import FeedHttp, Fetched
from bot.model import Snapshot


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What the config says about one feed (see config/settings.py)."""

    name: str
    kind: str
    url: str
    interval_seconds: float = 30.0
    options: Mapping[str, Any] = field(default_factory=dict)


#: called with every raw response a source fetched (``python -m bot record`` archives them).
Recorder = Callable[[Fetched], None]


class FeedSource(ABC):
    kind: str = ""

    def __init__(self, spec: FeedSpec, http: FeedHttp, recorder: Recorder | None = None):
        self.spec = spec
        self.http = http
        self.recorder = recorder

    @abstractmethod
    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        """The feed's current snapshot, or ``None`` when it has not changed since the last poll.

        ``previous`` is the last good snapshot (from the store after a restart), which delta
        feeds merge into. Raises ``FeedError``; never returns a half-parsed snapshot.
        """

    def cursor(self) -> Mapping[str, str]:
        """State worth persisting across restarts (an AP ``nextrequest`` URL, a Clarity version)."""
        return {}

    def restore(self, cursor: Mapping[str, str]) -> None:
        """Take back what :meth:`cursor` returned before a restart (stateless feeds keep nothing)."""
        return None  # noqa: B027 - optional hook, not abstract

    def fetch(self, url: str, **kw: Any) -> Fetched:
        fetched = self.http.get(url, **kw)
        if self.recorder is not None and not fetched.not_modified:
            self.recorder(fetched)
        return fetched


_KINDS: dict[str, type[FeedSource]] = {}


def register(cls: type[FeedSource]) -> type[FeedSource]:
    _KINDS[cls.kind] = cls
    return cls


def source_kinds() -> tuple[str, ...]:
    _load_builtin()
    return tuple(sorted(_KINDS))


def make_source(spec: FeedSpec, http: FeedHttp | None = None, recorder: Recorder | None = None) -> FeedSource:
    _load_builtin()
    try:
        cls = _KINDS[spec.kind]
    except KeyError:
        raise ValueError(f"unknown feed kind {spec.kind!r} (known: {', '.join(sorted(_KINDS))})") from None
    return cls(spec, http or FeedHttp(spec.name), recorder)


def _load_builtin() -> None:
    # Importing the adapter modules registers them; kept lazy so the core never imports I/O.
    import bot.feeds.json_feed  # noqa: F401
    for optional in ("bot.feeds.ap", "bot.feeds.clarity", "bot.feeds.csv_feed"):
        try:
            __import__(optional)
        except ModuleNotFoundError as exc:
            if exc.name != optional:
                raise
