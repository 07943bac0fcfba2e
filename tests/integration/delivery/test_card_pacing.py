"""Card edits (chat.update) are paced apart from alerts (chat.postMessage).

Slack counts them apart: posts about one per second per channel, chat.update (Tier 3) about 50
a minute per workspace. So an edit must not spend a channel's post budget, a 429 on an edit
holds only that channel's edits, edits are spaced workspace-wide, and an alert ready to go
always goes before its channel's card is edited. On a VirtualClock, with FakeSlack.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from sqlalchemy import select

from bot.store.database import OutboxRow
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import build, run_ticks, unsent

EPS = 1e-6


def _build(tmp_path, slack: FakeSlack, clock: VirtualClock, channels: dict[str, str], **kw):
    options = dict(
        min_interval=1.0, card_throttle=0.0, update_interval=1.2, backoff_base=1.0, max_backoff=30.0, budget_seconds=60.0
    )
    options.update(kw)
    return build(
        db_url(tmp_path / "bot.db"),
        slack.base_url,
        channels,
        clock=clock.now,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        **options,
    )


def _created(store) -> dict[tuple[str, str], float]:
    """When each alert row was queued, on the test's clock (seconds since its start)."""
    with store.session() as s:
        rows = s.scalars(select(OutboxRow)).all()
        return {(r.channel, r.alert_key): r.created_at for r in rows}


def _late_posts(
    store, slack: FakeSlack, clock: VirtualClock, channel: str, window: tuple[float, float] | None = None
) -> list:
    """Alerts that went later than max(queued, previous post in the channel + 1 s)."""
    created = _created(store)
    posts = [c for c in slack.calls_to("chat.postMessage") if c.ok and c.params["channel"] == channel]
    late = []
    for prev, post in pairwise(posts):
        key = (post.params.get("metadata") or {}).get("event_payload", {}).get("alert_key")
        if key is None or (window and not window[0] <= post.at <= window[1]):
            continue
        queued = (
            created[(channel, key)].replace(tzinfo=clock.start.tzinfo) - clock.start
        ).total_seconds() + clock.monotonic_start
        due = max(queued, prev.at + 1.0)
        if post.at > due + EPS:
            late.append((key, round(post.at - due, 3)))
    return late


def test_an_edit_never_delays_an_alert(tmp_path):
    """Every alert goes at max(queued, previous post in its channel + 1 s): never later, whatever
    the card edits in between did. (Half-second polls, edits whenever the numbers move.)"""
    clock = VirtualClock()
    with FakeSlack(rate_limit_per_channel_per_second=1.0, clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock, {"C2": "cards"})
        run_ticks(poller, worker, store, clock, tick=0.5)
        assert len([c for c in slack.calls_to("chat.update") if c.ok]) >= 10
        late = _late_posts(store, slack, clock, "C2")
        assert not late, f"alerts delayed beyond pacing by card edits: {late}"
        store.close()


def test_a_429_on_an_edit_holds_only_that_channels_edits(tmp_path):
    clock = VirtualClock()
    hold = 30
    with FakeSlack(rate_limit_per_channel_per_second=1.0, clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock, {"C2": "cards", "C3": "cards"})
        run_ticks(poller, worker, store, clock, polls=10, drain=False)
        slack.fail_next("chat.update", 429, retry_after=hold, channel="C2")
        run_ticks(poller, worker, store, clock)

        (limited,) = [c for c in slack.calls_to("chat.update") if c.status == 429]
        t0 = limited.at
        window = (t0, t0 + hold)
        c2_posts = [
            c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "C2" and window[0] < c.at < window[1]
        ]
        c2_edits = [c for c in slack.calls_to("chat.update") if c.params["channel"] == "C2" and window[0] < c.at < window[1]]
        c3_edits = [c for c in slack.calls_to("chat.update") if c.params["channel"] == "C3" and window[0] < c.at < window[1]]
        assert c2_posts and all(c.ok for c in c2_posts), "the channel's alerts kept going during the edit hold"
        assert not _late_posts(store, slack, clock, "C2", window), "and at their normal pace"
        assert not c2_edits, "no edit of that channel's card before Retry-After"
        assert c3_edits, "the other channel's card kept being edited"
        assert any(c.params["channel"] == "C2" and c.ok and c.at >= window[1] for c in slack.calls_to("chat.update"))
        assert unsent(store) == 0
        assert worker.stats["update_rate_limited"] == 1 and worker.stats.get("rate_limited", 0) == 0
        store.close()


def test_edits_are_spaced_workspace_wide_and_throttled_per_card(tmp_path):
    clock = VirtualClock()
    channels = {f"C{i}": "cards" for i in range(2, 7)}  # five cards for one race
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock, channels, card_throttle=15.0)
        run_ticks(poller, worker, store, clock)
        updates = [c for c in slack.calls_to("chat.update")]
        assert len({c.params["channel"] for c in updates}) == 5
        gaps = [b.at - a.at for a, b in pairwise(updates)]
        assert min(gaps) >= 1.2 - EPS  # ≤ 50 a minute for the whole workspace
        for channel in channels:
            times = [c.at for c in updates if c.params["channel"] == channel]
            assert all(b - a >= 15.0 - EPS for a, b in pairwise(times)), channel
        print(f"\nedits: {len(updates)} chat.update calls for 5 cards over {clock.elapsed:.0f} s, min gap {min(gaps):.2f} s")
        store.close()


def test_alerts_ready_to_go_come_before_their_cards_edit(tmp_path):
    """A backlog in one channel (the feed moved on while delivery was down): its alerts go first,
    its card is edited only once they are out; a channel without a backlog is edited meanwhile."""
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock, {"C2": "cards", "C3": "quiet"}, budget_seconds=4.0)
        run_ticks(poller, worker, store, clock, polls=8)  # cards exist, nothing queued
        for _ in range(20):  # a backlog builds up: 20 polls, no delivery
            poller.poll()
            clock.sleep(1.0)
        backlog = unsent(store)
        assert backlog > 5
        edits_before = len(slack.calls_to("chat.update"))
        worker.deliver_due()  # a 4 s budget: a few alerts out, most still waiting
        assert unsent(store) > 0
        c2_edits = [c for c in slack.calls_to("chat.update")[edits_before:] if c.params["channel"] == "C2"]
        assert not c2_edits, "C2's card was edited while its alerts were waiting"
        while unsent(store):
            clock.sleep(1.0)
            worker.deliver_due()
        clock.sleep(1.0)
        worker.deliver_due()
        last_post = max(c.at for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "C2")
        c2_edits = [c for c in slack.calls_to("chat.update")[edits_before:] if c.params["channel"] == "C2"]
        assert c2_edits and min(c.at for c in c2_edits) >= last_post
        store.close()


def test_summary_cutoff_is_configurable(tmp_path):
    """Alerts older than ``summarize_after`` go as one catch-up message; younger ones one by one."""
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _build(tmp_path, slack, clock, {"C1": "messages"}, summarize_after=timedelta(seconds=30))
        for _ in range(12):
            poller.poll()
            clock.sleep(5.0)  # the oldest alerts are now about a minute old
        queued = unsent(store)
        run_ticks(poller, worker, store, clock)
        summaries = [p for p in slack.posts("C1") if p["metadata"]["event_type"] == "electionbot_summary"]
        assert len(summaries) == 1
        held = len(summaries[0]["metadata"]["event_payload"]["alert_keys"])
        assert 2 <= held < queued
        store.close()
