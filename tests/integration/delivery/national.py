"""A national-shaped night built in the test: hundreds of races across states, through the real
poller (rules, grouping, store) and the real worker and Slack sink against FakeSlack, on a
VirtualClock. Small enough to run in a second; shaped like the real thing (many states, House
districts, calls, first votes, a few races in the recount zone)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app.poller import Poller, with_targets
from bot.core.follow import FollowBook
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot
from bot.core.targets import Target
from bot.delivery.cards import CardRefresher
from bot.delivery.grouping import Grouping
from bot.delivery.slack import SlackSink, make_client
from bot.delivery.worker import DeliveryWorker
from bot.feeds.source import FeedSource, FeedSpec
from bot.store.database import Store
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import rules, unsent

FEED = "national"
T0 = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
#: states with a recount statute in config/recount_rules.toml first (AL, FL, …) do not matter:
#: the recount races below are placed in Alabama, whose line is 1/2 of 1 % (Ala. Code § 17-16-20).
STATES = (
    "AL",
    "AK",
    "AZ",
    "CA",
    "CO",
    "FL",
    "GA",
    "IA",
    "KS",
    "MI",
    "MN",
    "NC",
    "NY",
    "OH",
    "PA",
    "TX",
    "VA",
    "WA",
    "WI",
    "WY",
)
CANDIDATES = (Candidate("a", "Ann Able", "Dem"), Candidate("b", "Bob Baker", "GOP"))


def race(
    state: str,
    n: int,
    votes: Mapping[str, int],
    *,
    reporting: int = 10,
    winners: tuple[str, ...] = (),
    office: str = "U.S. House",
) -> Race:
    unit = ReportingUnit(state, Level.STATE, state, votes, precincts_reporting=reporting, precincts_total=100)
    seat = f"District {n}" if office == "U.S. House" else None
    return Race(
        state=state,
        race_id=str(n),
        office=office,
        seat=seat,
        candidates=CANDIDATES,
        units=(unit,),
        winners=winners,
        call_status=CallStatus.CALLED if winners else CallStatus.NONE,
    )


def first_votes(state: str, n: int, **kw: Any) -> Race:
    """Early votes: first votes only (a 200-vote lead is under the 1,000-vote floor, held 2 polls)."""
    return race(state, n, {"a": 600, "b": 400}, **kw)


def called(state: str, n: int, **kw: Any) -> Race:
    return race(state, n, {"a": 6000, "b": 4000}, reporting=100, winners=("a",), **kw)


def recount_zone(state: str, n: int) -> Race:
    """All in and 100 votes apart out of 100,100: inside Alabama's 1/200 line."""
    return race(state, n, {"a": 50_100, "b": 50_000}, reporting=100)


def national_poll(routine: int = 400, calls: int = 30, recounts: int = 3) -> list[Race]:
    """``routine`` races with first votes, ``calls`` called races and ``recounts`` Alabama races in
    the recount zone, spread over ``STATES`` (race ids unique per state)."""
    races = [first_votes(STATES[i % len(STATES)], 1000 + i) for i in range(routine)]
    races += [called(STATES[i % len(STATES)], 5000 + i) for i in range(calls)]
    races += [recount_zone("AL", 9000 + i) for i in range(recounts)]
    return races


class Night(FeedSource):
    """Serves the next snapshot after the stored one (a restarted process resumes the night)."""

    kind = "scenario"

    def __init__(self, snapshots: Sequence[Snapshot]):
        super().__init__(FeedSpec(FEED, "json", "memory://national"), None)  # type: ignore[arg-type]
        self.snapshots = list(snapshots)

    def poll(self, previous: Snapshot | None) -> Snapshot | None:
        for snap in self.snapshots:
            if previous is None or snap.generated_at > previous.generated_at:
                return snap
        return None


def snapshots(*polls: Iterable[Race], step: timedelta = timedelta(seconds=30)) -> list[Snapshot]:
    """Each poll's races on top of the previous poll's (a race not in a poll keeps its numbers)."""
    out: list[Snapshot] = []
    current: dict[str, Race] = {}
    for i, races in enumerate(polls):
        current.update({r.key: r for r in races})
        out.append(Snapshot.of(FEED, T0 + i * step, current.values()))
    return out


@dataclass
class Bot:
    poller: Poller
    worker: DeliveryWorker
    store: Store
    grouping: Grouping
    clock: VirtualClock
    channels: list[str] = field(default_factory=list)

    def poll(self) -> str:
        return self.poller.poll().status

    def drain(self, max_rounds: int = 2000) -> None:
        for _ in range(max_rounds):
            self.worker.deliver_due()
            if not unsent(self.store):
                return
            self.clock.sleep(1.0)
        raise AssertionError(f"still unsent: {self.store.backlog()}")


def build(
    db_url: str,
    slack_url: str,
    clock: VirtualClock,
    night: Sequence[Snapshot],
    channels: Mapping[str, str],
    *,
    book: FollowBook | None = None,
    threshold: int = 5,
    per_minute: int = 10,
    targets: Sequence[Target] | None = None,
) -> Bot:
    store = Store(db_url)
    r = rules()
    grouping = Grouping(
        book or FollowBook(), threshold, stored_races=lambda feed: len(s.snapshot.races) if (s := store.load(feed)) else 0
    )
    sink = SlackSink(make_client("xoxb-test", slack_url, timeout=5), 1.0, 0.0)
    worker = DeliveryWorker(
        store,
        {"slack": sink},
        clock=clock.now,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        styles=dict(channels),
        cards=CardRefresher(store, r, 15.0),
        budget_seconds=30.0,
        messages_per_minute=per_minute,
        follows=grouping.card_for,
    )
    poller = Poller(
        source=Night(night),
        store=store,
        rules=r,
        targets=with_targets(targets or [Target("slack", c) for c in channels]),
        clock=clock.now,
        grouping=grouping,
    )
    return Bot(poller, worker, store, grouping, clock, list(channels))


def meta(post: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    m = post.get("metadata") or {}
    return m.get("event_type"), m.get("event_payload") or {}
