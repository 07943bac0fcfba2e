"""Where live race cards get their numbers: the stored snapshot, not only the alerts.

Alerts exist only when an event fires, but a card should move with every count. The worker asks
``facts_for`` after each delivery round (the poller calls ``deliver_due`` after each commit, the
scheduler every second); the facts come from ``store.load(feed)`` (parsed once per change) and
``bot.core.rules.race_facts``, the same function the alerts and /results use.
"""

from __future__ import annotations

from bot.core.events import RaceFacts
from bot.core.rules import RuleSettings, race_facts
from bot.store.database import Store


class CardRefresher:
    def __init__(self, store: Store, rules: RuleSettings, throttle: float = 15.0):
        self.store = store
        self.rules = rules
        #: at most one edit per card per this many seconds.
        self.throttle = throttle

    def facts_for(self, feed: str, race_key: str) -> RaceFacts | None:
        stored = self.store.load(feed)
        if stored is None:
            return None
        race = stored.snapshot.races.get(race_key)
        if race is None:
            return None
        return race_facts(race, self.rules, stored.snapshot.generated_at)
