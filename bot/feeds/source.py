"""The adapter seam: every feed kind is a ``FeedSource`` that turns polls into snapshots.

A source owns its fetch sequence (AP follows ``nextrequest`` cursors and merges deltas,
Clarity polls ``current_ver.txt`` before fetching anything) but not the schedule, the store or
the diff: the poller calls :meth:`FeedSource.poll` and gets either a new snapshot, ``None``
(nothing changed, nothing to parse), or a :class:`~bot.codec.errors.FeedError`.
"""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.codec.errors import FeedError, LeftOut
from bot.core.invariants import race_problem
from bot.core.model import Race, Snapshot
from bot.feeds.http import FeedHttp, Fetched

log = logging.getLogger("electionbot.feeds")

#: Reply versions whose left-out lines are remembered (a poll reads a few bodies at most).
_REMEMBERED_VERSIONS = 16


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What the config says about one feed (see config/settings.py)."""

    name: str
    kind: str
    url: str
    interval_seconds: float = 30.0
    options: Mapping[str, Any] = field(default_factory=dict)
    #: "title" gives display case to a feed that writes in capitals, "as-is" keeps its names;
    #: ``None``: the kind's default (:attr:`FeedSource.default_names`).
    names: str | None = None
    #: the county a county's own feed covers ('Gwinnett'); ``None``: the feed covers its state.
    county: str | None = None


#: called with every response a source was given, bodies and HTTP errors alike, but not 304s
#: (nothing new to keep); ``python -m bot record`` archives them (see bot/rehearsal/recording.py).
Recorder = Callable[[Fetched], None]


class FeedSource(ABC):
    kind: str = ""
    #: sources that write in capitals (Clarity, county CSVs) default to "title"
    default_names: str = "as-is"

    def __init__(self, spec: FeedSpec, http: FeedHttp, recorder: Recorder | None = None):
        self.spec = spec
        self.http = http
        self.recorder = recorder
        self._left_out_seen: OrderedDict[bytes, set[str]] = OrderedDict()

    @abstractmethod
    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        """The feed's current snapshot, or ``None`` when it has not changed since the last poll.

        ``previous`` is the last good snapshot (from the store after a restart), which delta
        feeds merge into. Raises ``FeedError``; never returns a half-parsed snapshot.
        """

    @property
    def names(self) -> str:
        """How candidate and office names are shown: the feed's ``names`` setting or the kind's default."""
        return self.spec.names or self.default_names

    def cursor(self) -> Mapping[str, str]:
        """State worth persisting across restarts (an AP ``nextrequest`` URL, a Clarity version)."""
        return {}

    def restore(self, cursor: Mapping[str, str]) -> None:
        """Take back what :meth:`cursor` returned before a restart (stateless feeds keep nothing)."""
        return None  # noqa: B027 - optional hook, not abstract

    def fetch(self, url: str, **kw: Any) -> Fetched:
        try:
            fetched = self.http.get(url, **kw)
        except FeedError as exc:
            # An HTTP error is part of the night too (AP's quota 403, a Clarity version folder
            # not there yet): a recording keeps its status so a replay meets it at the same point.
            if self.recorder is not None and exc.status is not None:
                self.recorder(Fetched(url, exc.status, b"", feed=self.spec.name))
            raise
        if self.recorder is not None and not fetched.not_modified:
            self.recorder(fetched)
        return fetched

    def fetch_conditionally(self, url: str, have_previous: bool, **kw: Any) -> Fetched:
        """A conditional GET (ETag / Last-Modified, or a file's mtime), except that a 304 is no use
        without the snapshot it refers to (a first poll, a store that lost it): then fetch anew."""
        fetched = self.fetch(url, **kw)
        if fetched.not_modified and not have_previous:
            self.http.forget(url)
            fetched = self.fetch(url, **kw)
        return fetched

    def report_left_out(self, version: bytes | str, left_out: Iterable[LeftOut]) -> None:
        """One warning per thing left out, once per reply version: the same reply read again (a
        file, a server without ETags) does not say it again; a new version does."""
        items = list(left_out)
        if not items:
            return
        key = hashlib.blake2b(
            version if isinstance(version, bytes) else version.encode("utf-8", "replace"), digest_size=16
        ).digest()
        seen = self._left_out_seen
        said = seen.setdefault(key, set())
        seen.move_to_end(key)
        while len(seen) > _REMEMBERED_VERSIONS:
            seen.popitem(last=False)
        for item in items:
            line = item.describe()
            if line not in said:
                said.add(line)
                log.warning("feed %r: %s", self.spec.name, line)

    def url_cursor(self, key: str, value: str | None) -> Mapping[str, str]:
        """A cursor carries the URL it belongs to: after a config change (test → live, another
        state or site) the feed starts afresh instead of continuing the old chain."""
        return {key: value, "url": self.spec.url} if value else {}

    def restored_cursor(self, cursor: Mapping[str, str], key: str) -> str | None:
        """The value :meth:`url_cursor` saved under ``key``, if it belongs to this feed's URL."""
        value = cursor.get(key)
        return value if isinstance(value, str) and value and cursor.get("url", self.spec.url) == self.spec.url else None


def admissible(races: Iterable[Race], left_out: list[LeftOut], vouched: Container[int] = frozenset()) -> list[Race]:
    """The races that satisfy the model's invariants (what the store will read back); the others
    go to ``left_out`` with the reason. Every adapter runs its races through this. ``vouched``:
    ``id()`` of race objects their reader has shown to pass (AP's typed reader), not checked again."""
    kept = []
    for race in races:
        if id(race) in vouched:
            kept.append(race)
            continue
        problem = race_problem(race)
        if problem is None:
            kept.append(race)
        else:
            left_out.append(LeftOut("race", race.key, problem, race.key))
    return kept


def with_last_good(
    races: dict[str, Race], left_out: Iterable[LeftOut], previous: Snapshot | None, test: bool
) -> dict[str, Race]:
    """A race left out of this reply keeps its last good version (the reply did not withdraw it,
    it garbled it): losing nothing is the rule for a bad race as for a bad reply. Never across
    test and live data. ``races`` is keyed by ``Race.key`` (every adapter holds its races so) and
    the old version is added to it in place, after the others: a national delta merges 7,000
    races, and keying them again (here and in ``Snapshot.of``) was ~10 ms of its 80."""
    if previous is None or previous.test != test:
        return races
    for item in left_out:
        key = item.race_key
        if key is not None and key not in races and (old := previous.races.get(key)) is not None:
            races[key] = old
    return races


REGISTRY: dict[str, type[FeedSource]] = {}


def register(cls: type[FeedSource]) -> type[FeedSource]:
    REGISTRY[cls.kind] = cls
    return cls
