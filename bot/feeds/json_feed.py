"""``kind = "json"``: the project's own format over HTTP or from a file."""

from __future__ import annotations

from bot.feeds import native
from bot.feeds.errors import FeedError
from bot.feeds.source import FeedSource, register
from bot.model import Snapshot


@register
class JsonFeed(FeedSource):
    kind = "json"

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        fetched = self.fetch(self.spec.url)
        if fetched.not_modified:
            return None
        try:
            return native.parse(fetched.body, self.spec.name)
        except FeedError as exc:
            # A bad body must not be cached as "seen": the next poll fetches it again.
            self.http.forget(self.spec.url)
            raise exc.located(self.spec.name, self.spec.url) from None
