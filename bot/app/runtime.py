"""Assembly: settings + secrets → store, pollers, sinks, delivery worker, scheduler, web app.

Every entry point (``demo``, ``serve``, ``poll``, the Procfile's web process, the tests) builds
the bot here, so what a test exercises is what production runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TextIO, cast

from apscheduler.schedulers.base import BaseScheduler

from bot.app.pictures import PictureDesk, default_figures, pictures_on
from bot.app.poller import Poller, RaceFilter
from bot.app.scheduler import build_scheduler
from bot.app.settings import alert_level, feed_spec, follow_book, rule_settings
from bot.codec.errors import FeedConfigError
from bot.core.events import Alert
from bot.core.rules import RuleSettings
from bot.core.targets import Target
from bot.delivery.cards import CardRefresher
from bot.delivery.console import ConsoleSink
from bot.delivery.grouping import Grouping
from bot.delivery.sink import Sink, UploadSink
from bot.delivery.worker import DeliveryWorker
from bot.feeds.http import FeedHttp, HttpSettings
from bot.feeds.kinds import make_source
from bot.feeds.source import Recorder
from bot.store.database import Store, utcnow
from bot.store.lease import Claims, PollerLease, claims_for
from bot.store.subscriptions import for_channel, subscribed_targets
from config.settings import ConfigError, Secrets, Settings

if TYPE_CHECKING:
    from bot.app.metrics import Metrics
    from bot.delivery.discord import DiscordSink

log = logging.getLogger("electionbot")


@dataclass
class Runtime:
    settings: Settings
    secrets: Secrets
    store: Store
    rules: RuleSettings
    pollers: list[Poller]
    worker: DeliveryWorker
    sinks: dict[str, Sink] = field(default_factory=dict)
    #: the poller's lease and this worker's channel claims (bot/store/lease.py, docs/operations.md)
    lease: PollerLease | None = None
    claims: Claims | None = None
    #: what this process polled, delivered and answered, plus the store's view (GET /metrics)
    metrics: Metrics | None = None
    #: the pictures (issue 17): which go with a call, drawn once per version (bot/app/pictures.py)
    pictures: PictureDesk | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        secrets: Secrets,
        *,
        console: TextIO | None = None,
        clock: Callable[[], datetime] = utcnow,
        recorder: Recorder | None = None,
        http_settings: HttpSettings | None = None,
        min_interval: float = 1.0,
        database_url: str | None = None,
        metrics: bool = True,
    ) -> Runtime:
        """``metrics``: count polls and deliveries for ``/metrics``; off where nothing serves them
        (a replay, ``poll`` without ``METRICS_PORT``), and Prometheus's client, with the http.server
        and urllib.request it imports, is not loaded (40-70 ms of a replay's start, issue 13)."""
        store = Store(database_url or settings.database_url())
        store.history_days = settings.store.history_days  # the night's chart: bot/store/history.py
        rules = rule_settings(settings)
        # Exactly one process polls: the lease holder, retried by the others every (shortest) interval.
        lease = PollerLease(store, interval=min((f.interval_seconds for f in settings.feeds), default=60.0), clock=clock)
        claims = claims_for(store, lease)
        sinks: dict[str, Sink] = {}
        targets: list[Target] = []
        if console is not None:
            sinks["console"] = ConsoleSink(console)
            targets.append(Target("console", "console", alert_level(settings)))
        slack_on = secrets.slack_enabled or secrets.slack_oauth_enabled  # OAuth: each workspace's own token
        if slack_on:
            # Slack's libraries load only for a process that posts there (Bolt alone is a fifth of a
            # second of a replay's start, issue 13).
            from bot.app.slack_oauth import team_clients
            from bot.delivery.slack import SlackSink, make_client

            sinks["slack"] = SlackSink(
                make_client(secrets.slack_bot_token or "", secrets.slack_api_url),
                min_interval,
                update_interval=60.0 / settings.alerts.card_updates_per_minute,
                client_for=team_clients(store, secrets),
            )
            targets += [Target("slack", channel, alert_level(settings)) for channel in settings.alerts.channels]
        if secrets.discord_enabled:
            discord = discord_sink(settings, secrets, min_interval)
            if discord is not None:
                sinks["discord"] = discord
                targets += [
                    Target("discord", channel, alert_level(settings)) for channel in discord_channels(settings, secrets)
                ]
        alerts = settings.alerts
        grouping = Grouping(
            follow_book(alerts),
            alerts.digest_after_races,
            stored_races=lambda feed: len(stored.snapshot.races) if (stored := store.load(feed)) is not None else 0,
            subscribed=lambda channel, platform: [sub.scope for sub in for_channel(store, channel, platform=platform)],
        )
        desk = PictureDesk(
            store,
            default_figures(store, rules) if pictures_on(alerts.pictures) else {},
            platforms=[name for name, sink in sinks.items() if isinstance(sink, UploadSink)],
            public_url=secrets.public_url,
            signing_key=secrets.link_signing_key,
        )
        worker = DeliveryWorker(
            store,
            sinks,
            draw=desk.draw if desk.enabled else None,
            clock=clock,
            styles=dict(alerts.styles),
            default_style=alerts.style,
            cards=CardRefresher(store, rules, alerts.card_update_seconds),
            summarize_after=timedelta(minutes=alerts.summarize_after_minutes) if alerts.summarize_after_minutes else None,
            messages_per_minute=alerts.messages_per_minute,
            channel_messages_per_minute=dict(alerts.channel_messages_per_minute),
            unexpected_tries=alerts.unexpected_tries,
            follows=grouping.card_for,
            claims=claims,
        )
        counters = _metrics(store) if metrics else None
        if counters is not None:
            worker.on_delivery = counters.delivery
        fixed = tuple(targets)
        pollers: list[Poller] = []
        for feed in settings.feeds:
            spec = feed_spec(feed)
            try:
                source = make_source(spec, FeedHttp(spec.name, http_settings), recorder)
            except FeedConfigError as exc:
                raise ConfigError(f"feeds.{len(pollers)} ({spec.name}): {exc.reason}") from None
            pollers.append(
                Poller(
                    source=source,
                    store=store,
                    rules=rules,
                    targets=platform_targets(
                        store,
                        fixed,
                        spec.name,
                        slack=slack_on,
                        discord="discord" in sinks and bool(secrets.discord_bot_token),
                    ),
                    races=RaceFilter(tuple(settings.races.follow)),
                    clock=clock,
                    on_queued=worker.deliver_due,
                    grouping=grouping,
                    metrics=counters,
                    pictures=_picture_orders(desk) if desk.enabled else None,
                )
            )
        return cls(
            settings,
            secrets,
            store,
            rules,
            pollers,
            worker,
            sinks,
            metrics=counters,
            lease=lease,
            claims=claims,
            pictures=desk,
        )

    def scheduler(self, *, blocking: bool = False, deliver: bool = True, polls_on_demand: bool = False) -> BaseScheduler:
        intervals = {f.name: f.interval_seconds for f in self.settings.feeds}
        return build_scheduler(
            self.pollers,
            self.worker if deliver else None,
            intervals,
            blocking=blocking,
            polls_on_demand=polls_on_demand,
            gate=self.may_poll,
        )

    def may_poll(self) -> bool:
        """Before each poll: not stopping, and this process holds the poller's lease."""
        return not self._stopping and (self.lease is None or self.lease.ensure())

    def stop(self, timeout: float = 20.0) -> bool:
        """SIGTERM and SIGINT: stop polling, let the poll and the post under way finish (within
        ``timeout`` seconds together), release the lease and the channel claims. True when all
        finished in time; what is still queued is sent once by the next process to start."""
        self._stopping = True
        deadline = time.monotonic() + timeout
        finished = self.worker.stop(timeout)
        for poller in self.pollers:
            finished = poller.wait_idle(deadline - time.monotonic()) and finished
        if self.lease is not None:
            self.lease.release()
        if self.claims is not None:
            self.claims.release_all()
        return finished

    _stopping: bool = field(default=False, init=False, repr=False)

    def close(self) -> None:
        if self.lease is not None:
            self.lease.release()
        if self.claims is not None:
            self.claims.release_all()
        for poller in self.pollers:
            poller.source.http.close()
        self.store.close()


def _metrics(store: Store) -> Metrics:
    from bot.app.metrics import Metrics  # with prometheus_client: only for a process whose /metrics is served

    return Metrics(store)


def platform_targets(
    store: Store, fixed: tuple[Target, ...], feed: str, *, slack: bool, discord: bool
) -> Callable[[], Sequence[Target]]:
    """A poller's targets: the configured ones plus each platform's subscribed channels (a
    Discord subscription needs the bot token: a webhook cannot subscribe)."""
    slack_targets = subscribed_targets(store, fixed, feed, platform="slack", enabled=slack)
    return lambda: subscribed_targets(store, tuple(slack_targets()), feed, platform="discord", enabled=discord)()


def _picture_orders(desk: PictureDesk) -> Callable[[Alert, Target], Sequence[Alert]]:
    """The desk's orders as the poller queues them: the outbox carries a ``PictureOrder`` where it
    carries alerts (keyed, serialised by ``to_dict``, read back by its kind in ``bot.store.outbox``),
    and its rows are typed as alerts; the cast says so until the outbox has a type for what it queues."""
    return cast(Callable[[Alert, Target], Sequence[Alert]], desk.orders)


def discord_channels(settings: Settings, secrets: Secrets) -> list[str]:
    """Discord's channels: the configured ids (posted with the bot token) and one per webhook
    (``webhook:<fingerprint>``: the URL is a secret and never leaves the sink)."""
    from bot.delivery.discord import DiscordSink  # with requests: only for a process that posts to Discord

    ids = list(settings.alerts.discord_channels) if secrets.discord_bot_token else []
    return ids + DiscordSink("", None, secrets.discord_webhook_urls).webhook_channels


def discord_sink(settings: Settings, secrets: Secrets, min_interval: float) -> DiscordSink | None:
    """The Discord sink when there is somewhere to post; a channel list without a bot token, or a
    token without channels or webhooks, is said once in the log."""
    if settings.alerts.discord_channels and not secrets.discord_bot_token:
        log.warning("[alerts] discord_channels is set but DISCORD_BOT_TOKEN is not: those channels get no alerts")
    if not discord_channels(settings, secrets):
        log.info("Discord: no [alerts] discord_channels and no DISCORD_WEBHOOK_URLS; nothing to post to")
        return None
    from bot.delivery.discord import DiscordSink

    return DiscordSink(
        secrets.discord_api_url,
        secrets.discord_bot_token,
        secrets.discord_webhook_urls,
        min_interval=min_interval,
    )
