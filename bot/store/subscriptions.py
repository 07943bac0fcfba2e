"""Channel subscriptions (``/results subscribe alabama quiet``): stored per channel in the
``subscriptions`` table of ``bot.store.database``, and turned into alert targets for the pollers.

Each subscription carries its chat platform ("slack", "discord"): a Slack channel id and a Discord
channel id are different namespaces, so the same (channel, state) may exist once per platform, and
``subscribed_targets(..., platform=...)`` hands each platform's sink only its own channels.

Levels: ``quiet`` (leads and calls), ``cards`` (race news without county batches or feed
notices; the config file calls it ``races``), ``all`` (everything).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.events import Severity
from bot.core.targets import SUBSCRIPTION_LEVELS, Target
from bot.store.database import Store
from bot.store.moments import utcnow
from bot.store.tables import CardRow, SubscriptionRow


@dataclass(frozen=True, slots=True)
class Subscription:
    channel: str
    scope: str  # a state postal code ("AL")
    level: str  # quiet | cards | all
    platform: str = "slack"


def _where(platform: str, channel: str, scope: str | None = None) -> list[Any]:
    where = [SubscriptionRow.platform == platform, SubscriptionRow.channel == channel]
    return where + ([SubscriptionRow.scope == scope] if scope is not None else [])


def subscribe(
    store: Store, channel: str, scope: str, level: str = "all", *, platform: str = "slack", team_id: str | None = None
) -> bool:
    """Add or change a channel's subscription; True when it is new (False: level updated).
    ``team_id``: the Slack workspace whose command it was (its bot token posts here under OAuth)."""
    if level not in SUBSCRIPTION_LEVELS:
        raise ValueError(f"unknown level {level!r}; known: {', '.join(SUBSCRIPTION_LEVELS)}")
    for _ in range(2):  # a concurrent insert of the same (channel, scope) loses the race once, then updates
        try:
            with store.session() as s, s.begin():
                row = s.scalar(select(SubscriptionRow).where(*_where(platform, channel, scope)))
                if row is not None:
                    row.level = level
                    row.team_id = team_id or row.team_id
                    return False
                s.add(
                    SubscriptionRow(
                        platform=platform, channel=channel, scope=scope, level=level, created_at=utcnow(), team_id=team_id
                    )
                )
                return True
        except IntegrityError:
            continue
    return False


def unsubscribe(store: Store, channel: str, scope: str, *, platform: str = "slack") -> bool:
    """Remove a channel's subscription; True when there was one."""
    with store.session() as s, s.begin():
        result = s.execute(delete(SubscriptionRow).where(*_where(platform, channel, scope)))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult; SQLAlchemy types it as Result


def for_channel(store: Store, channel: str, *, platform: str = "slack") -> list[Subscription]:
    with store.session() as s:
        rows = s.scalars(select(SubscriptionRow).where(*_where(platform, channel)).order_by(SubscriptionRow.scope)).all()
        return [Subscription(r.channel, r.scope, r.level, r.platform) for r in rows]


def all_subscriptions(store: Store, platform: str | None = None) -> list[Subscription]:
    """Every subscription, or one platform's."""
    query = select(SubscriptionRow).order_by(SubscriptionRow.platform, SubscriptionRow.channel, SubscriptionRow.scope)
    if platform is not None:
        query = query.where(SubscriptionRow.platform == platform)
    with store.session() as s:
        return [Subscription(r.channel, r.scope, r.level, r.platform) for r in s.scalars(query).all()]


def subscribed_targets(
    store: Store, configured: Sequence[Target], feed: str | None = None, *, platform: str, enabled: bool = True
) -> Callable[[], Sequence[Target]]:
    """The ``targets`` callable of a ``Poller``: the configured targets plus, when the chat
    platform is on, the channels subscribed on ``platform`` (each subscription stores its
    platform), each scoped to its subscribed states (``Target.states``), so a
    channel subscribed to Alabama hears Alabama's races and not the rest of a national feed.

    Subscriptions to states this feed does not report are left out (a feed with no stored
    snapshot yet, the night's first poll, matches every one). A channel that is both configured
    and subscribed is one target: every state at its configured level, its subscribed states at
    the more inclusive of the two, so no alert is sent to it twice.
    """
    fixed = tuple(configured)
    if not enabled:
        return lambda: fixed

    def targets() -> Sequence[Target]:
        subs = all_subscriptions(store, platform)
        if not subs:
            return fixed
        states = _feed_states(store, feed)
        scoped: dict[str, dict[str, Severity]] = {}
        for sub in subs:
            if states is not None and sub.scope not in states:
                continue
            scoped.setdefault(sub.channel, {})[sub.scope] = SUBSCRIPTION_LEVELS.get(sub.level, Severity.FEED)
        out = []
        for target in fixed:
            extra = scoped.pop(target.channel, None) if target.platform == platform else None
            out.append(replace(target, states=tuple(sorted(extra.items()))) if extra else target)
        out += [Target(platform, channel, None, tuple(sorted(levels.items()))) for channel, levels in scoped.items()]
        return tuple(out)

    return targets


def channel_teams(store: Store, platform: str = "slack") -> dict[str, str]:
    """Each subscribed channel's workspace (channels subscribed before OAuth, or on a
    single-workspace install, have none): which bot token posts there."""
    query = select(SubscriptionRow.channel, SubscriptionRow.team_id).where(
        SubscriptionRow.platform == platform, SubscriptionRow.team_id.is_not(None)
    )
    with store.session() as s:
        return {channel: team for channel, team in s.execute(query).all() if team}


def team_of(store: Store, channel: str, platform: str = "slack") -> str | None:
    """The workspace whose bot token posts in ``channel`` (one indexed seek, at each post)."""
    query = (
        select(SubscriptionRow.team_id)
        .where(*_where(platform, channel), SubscriptionRow.team_id.is_not(None))
        .order_by(SubscriptionRow.id.desc())
        .limit(1)
    )
    with store.session() as s:
        return s.scalar(query)


@dataclass(frozen=True, slots=True)
class TeamRemoved:
    channels: list[str]
    skipped: int  # queued alerts that will not be posted
    cards_frozen: int  # live cards no longer edited


def remove_team(store: Store, team_id: str, platform: str = "slack") -> TeamRemoved:
    """A workspace uninstalled the app or revoked its bot token: its subscriptions are deleted,
    its channels' queued alerts skipped and their live cards frozen (no token could post or edit
    them any more; a frozen card is not edited or re-posted)."""
    with store.session() as s, s.begin():
        where = [SubscriptionRow.platform == platform, SubscriptionRow.team_id == team_id]
        channels = sorted(set(s.scalars(select(SubscriptionRow.channel).where(*where)).all()))
        s.execute(delete(SubscriptionRow).where(*where))
        frozen = s.execute(
            update(CardRow)
            .where(CardRow.platform == platform, CardRow.channel.in_(channels), CardRow.status != "frozen")
            .values(status="frozen")
        )
    skipped = store.skip_pending(platform, channels, f"the workspace {team_id} uninstalled the app")
    return TeamRemoved(channels, skipped, int(frozen.rowcount))  # type: ignore[attr-defined]  # an UPDATE's CursorResult


def _feed_states(store: Store, feed: str | None) -> set[str] | None:
    if feed is None:
        return None
    stored = store.load(feed)
    if stored is None:
        return None
    return {race.state for race in stored.snapshot.races.values()}


def describe(subs: Iterable[Subscription]) -> list[tuple[str, str]]:
    return [(s.scope, s.level) for s in subs]
