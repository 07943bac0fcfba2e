"""Channel subscriptions (``/results subscribe alabama quiet``): stored per channel in the
``subscriptions`` table of ``bot.store``, and turned into Slack alert targets for the pollers.

Levels: ``quiet`` (leads and calls), ``cards`` (race news without county batches or feed
notices; the config file calls it ``races``), ``all`` (everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.events import Severity
from bot.poller import Target
from bot.store import Store, SubscriptionRow, utcnow

LEVELS: dict[str, Severity] = {"all": Severity.FEED, "cards": Severity.MILESTONE, "quiet": Severity.LEAD}


@dataclass(frozen=True, slots=True)
class Subscription:
    channel: str
    scope: str  # a state postal code ("AL")
    level: str  # quiet | cards | all


def subscribe(store: Store, channel: str, scope: str, level: str = "all") -> bool:
    """Add or change a channel's subscription; True when it is new (False: level updated)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; known: {', '.join(LEVELS)}")
    for _ in range(2):  # a concurrent insert of the same (channel, scope) loses the race once, then updates
        try:
            with store.session() as s, s.begin():
                row = s.scalar(select(SubscriptionRow).where(SubscriptionRow.channel == channel, SubscriptionRow.scope == scope))
                if row is not None:
                    row.level = level
                    return False
                s.add(SubscriptionRow(channel=channel, scope=scope, level=level, created_at=utcnow()))
                return True
        except IntegrityError:
            continue
    return False


def unsubscribe(store: Store, channel: str, scope: str) -> bool:
    """Remove a channel's subscription; True when there was one."""
    with store.session() as s, s.begin():
        result = s.execute(delete(SubscriptionRow).where(SubscriptionRow.channel == channel, SubscriptionRow.scope == scope))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def for_channel(store: Store, channel: str) -> list[Subscription]:
    with store.session() as s:
        rows = s.scalars(select(SubscriptionRow).where(SubscriptionRow.channel == channel).order_by(SubscriptionRow.scope)).all()
        return [Subscription(r.channel, r.scope, r.level) for r in rows]


def all_subscriptions(store: Store) -> list[Subscription]:
    with store.session() as s:
        rows = s.scalars(select(SubscriptionRow).order_by(SubscriptionRow.channel, SubscriptionRow.scope)).all()
        return [Subscription(r.channel, r.scope, r.level) for r in rows]


def slack_targets(
    store: Store, configured: Sequence[Target], feed: str | None = None, *, enabled: bool = True
) -> Callable[[], Sequence[Target]]:
    """The ``targets`` callable of a ``Poller``: the configured targets plus, when Slack is on,
    one Slack target per subscribed channel whose state this feed reports.

    ``Target`` carries no state filter, so a subscription is matched to feeds, not to races: a
    feed that reports several states sends a subscribed channel all of them. A feed with no
    stored snapshot yet (the night's first poll) matches every subscription. A channel that is
    both configured and subscribed hears the more inclusive of the two levels, once.
    """
    fixed = tuple(configured)
    if not enabled:
        return lambda: fixed

    def targets() -> Sequence[Target]:
        subs = all_subscriptions(store)
        if not subs:
            return fixed
        states = _feed_states(store, feed)
        merged: dict[tuple[str, str], Target] = {(t.platform, t.channel): t for t in fixed}
        for sub in subs:
            if states is not None and sub.scope not in states:
                continue
            level = LEVELS.get(sub.level, Severity.FEED)
            key = ("slack", sub.channel)
            old = merged.get(key)
            if old is None or level < old.level:
                merged[key] = Target("slack", sub.channel, level)
        return tuple(merged.values())

    return targets


def _feed_states(store: Store, feed: str | None) -> set[str] | None:
    if feed is None:
        return None
    stored = store.load(feed)
    if stored is None:
        return None
    return {race.state for race in stored.snapshot.races.values()}


def describe(subs: Iterable[Subscription]) -> list[tuple[str, str]]:
    return [(s.scope, s.level) for s in subs]
