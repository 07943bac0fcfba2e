"""Where alerts go, as plain data: the poller routes by it, the store keeps subscriptions as it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.events import Severity

#: A channel's alert level: the least severe event it hears. The one definition; the config file
#: names the middle level "races", a /results subscription stores it as "cards" (what the channel sees).
LEVELS: dict[str, Severity] = {"all": Severity.FEED, "races": Severity.MILESTONE, "quiet": Severity.LEAD}
#: The same levels under the words ``/results subscribe`` stores.
SUBSCRIPTION_LEVELS: dict[str, Severity] = {("cards" if word == "races" else word): level for word, level in LEVELS.items()}


@dataclass(frozen=True, slots=True)
class Target:
    """Where alerts go: a platform ("console", "slack", "discord"), a channel and its level.

    ``level`` applies to every state; ``None`` means the channel hears only the states in
    ``states`` (its ``/results subscribe`` scopes, each with its own level). A channel both
    configured and subscribed hears a subscribed state at the more inclusive of the two levels.
    """

    platform: str
    channel: str
    level: Severity | None = Severity.FEED
    states: tuple[tuple[str, Severity], ...] = ()

    def level_for(self, state: str | None) -> Severity | None:
        """The least severe event this channel hears about ``state`` (``None``: nothing).
        A feed notice (no state) reaches the channel at its most inclusive level."""
        scoped = dict(self.states)
        levels = [self.level, *scoped.values()] if state is None else [self.level, scoped.get(state)]
        known = [lvl for lvl in levels if lvl is not None]
        return min(known) if known else None
