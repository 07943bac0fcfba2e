"""Faults during the Alabama replay: a burst of 429s with Retry-After, seeded random 500s and a
short outage (3 s here instead of the issue's 10 s, to keep the suite fast).

Pacing is scaled down for speed: the worker paces 0.05 s per channel and FakeSlack enforces 20
posts/s per channel (it answers 429 when a channel goes faster) — the same ratio as Slack's
~1/s against a 1 s pacing. Every alert must arrive exactly once, in order per channel, with no
429 other than the injected ones.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter, defaultdict

from tests.delivery.harness import alert_keys, build, unsent
from tests.fakes.slack_api import FakeSlack

CHANNELS = {"C1": "messages", "C2": "cards"}
PACING = 0.05


def test_replay_under_429s_500s_and_an_outage_delivers_every_alert_once_in_order(tmp_path, caplog):
    caplog.set_level(logging.WARNING, "electionbot.delivery")
    rng = random.Random(2017)
    injected_429 = 6
    injected_500 = 0
    with FakeSlack(rate_limit_per_channel_per_second=1 / PACING) as slack:
        poller, worker, store = build(f"sqlite:///{tmp_path / 'bot.db'}", slack.base_url, CHANNELS, min_interval=PACING, backoff_base=0.2)
        started = time.monotonic()
        polls = 0
        while True:
            polls += 1
            if polls == 3:
                slack.fail_next("chat.postMessage", 429, retry_after=1, times=injected_429)
            if polls == 30:
                slack.outage(3.0)
            if rng.random() < 0.25:
                slack.fail_next("chat.postMessage", 500)
                injected_500 += 1
            result = poller.poll()
            worker.deliver_due()
            if result.status == "unchanged":
                break
        deadline = time.monotonic() + 30
        while unsent(store) and time.monotonic() < deadline:
            worker.deliver_due()
            time.sleep(0.02)
        elapsed = time.monotonic() - started

        assert unsent(store) == 0, store.backlog()
        expected = {c: [] for c in CHANNELS}
        with store.session() as s:
            from sqlalchemy import select

            from bot.store import OutboxRow

            for row in s.scalars(select(OutboxRow).order_by(OutboxRow.id)):
                expected[row.channel].append(row.alert_key)
        assert len(expected["C1"]) == len(expected["C2"]) == 40
        for channel in CHANNELS:
            delivered = alert_keys(slack.posts(channel))
            assert Counter(delivered) == Counter(expected[channel]), channel  # exactly once
            assert delivered == expected[channel], channel  # in order per channel

        # pacing: no 429 but the injected ones, and successful posts ≥ PACING apart per channel
        posts = slack.calls_to("chat.postMessage")
        assert sum(1 for c in posts if c.status == 429) == injected_429
        at = defaultdict(list)
        for c in posts:
            if c.ok:
                at[c.params["channel"]].append(c.at)
        for channel, times in at.items():
            gaps = [b - a for a, b in zip(times, times[1:])]
            assert min(gaps) >= PACING * 0.95, (channel, min(gaps))

        stats = dict(worker.stats)
        print(
            f"\nfaults: {elapsed:.1f} s, {len(posts)} postMessage calls ({sum(c.ok for c in posts)} ok), "
            f"{injected_429} x 429, {injected_500} x 500 injected, 3 s outage; "
            f"{len(slack.calls_to('chat.update'))} card updates; {len(slack.calls_to('conversations.history')) + len(slack.calls_to('conversations.replies'))} history checks; worker {stats}"
        )
        assert stats.get("reconciled", 0) == 0 or stats["reconciled"] >= 0
        store.close()


def test_permanent_error_is_logged_once_and_does_not_block_other_channels(tmp_path, caplog):
    caplog.set_level(logging.ERROR, "electionbot.delivery")
    with FakeSlack(rate_limit_per_channel_per_second=1 / PACING) as slack:
        slack.missing_channels.add("CGONE")
        poller, worker, store = build(f"sqlite:///{tmp_path / 'bot.db'}", slack.base_url, {"CGONE": "messages", "C1": "messages"}, min_interval=PACING)
        for _ in range(12):
            poller.poll()
            worker.deliver_due()
        while unsent(store):
            worker.deliver_due()
        lines = [r.getMessage() for r in caplog.records if "CGONE" in r.getMessage()]
        assert len(lines) == 1 and "channel_not_found" in lines[0] and "check the channel name" in lines[0]
        assert len(alert_keys(slack.posts("C1"))) == store.backlog().get("failed")
        assert unsent(store) == 0
        store.close()
