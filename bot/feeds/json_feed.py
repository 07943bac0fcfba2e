"""``kind = "json"``: the project's own format over HTTP or from a file."""

from __future__ import annotations

from dataclasses import replace

from bot.codec import native
from bot.codec.errors import FeedError
from bot.core.model import Snapshot
from bot.feeds.naming import named
from bot.feeds.source import FeedSource, register, with_last_good


@register
class JsonFeed(FeedSource):
    kind = "json"

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        fetched = self.fetch(self.spec.url)
        if fetched.not_modified:
            return None
        try:
            reading = native.read(fetched.body, self.spec.name)
        except FeedError as exc:
            # A bad body must not be cached as "seen": the next poll fetches it again.
            self.http.forget(self.spec.url)
            raise exc.located(self.spec.name, self.spec.url) from None
        # A race that cannot be read costs that race (its last good version stays), not the feed.
        self.report_left_out(fetched.body, reading.left_out)
        snapshot = self._named(reading.snapshot)
        if not reading.left_out:
            return snapshot
        return replace(snapshot, races=with_last_good(dict(snapshot.races), reading.left_out, previous, snapshot.test))

    def _named(self, snapshot: Snapshot) -> Snapshot:
        """Our own format is written as it should be shown ("as-is"); a producer that writes in
        capitals, or covers one county, says so in the feed's ``names`` and ``county`` settings."""
        if self.spec.names is None and self.spec.county is None:
            return snapshot
        races = (named(race, self.names, self.spec.county) for race in snapshot.races.values())
        return replace(snapshot, races={race.key: race for race in races})
