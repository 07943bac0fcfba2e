"""The Alabama night to Slack and Discord at once, through 429 bursts, a 10 s Discord outage and
SIGKILLs: the same alert keys on both, each exactly once per channel, cards edited in place on
both, and no Discord message that could ping.

The bot runs as a subprocess (this module, ``python -m tests.e2e.test_discord_night``) with the
real poller, store, worker, SlackSink and DiscordSink; FakeSlack and FakeDiscord run in the test
process over loopback HTTP. As in test_crash.py, half the kills are timed at random (seeded) and
half are the worst case: the bot kills itself right after a post and before marking it sent, so
the restart must find the post (Slack's metadata, Discord's footer ref or its nonce) and not
post it again. The outage is real time (10 s): the worker probes at least every second.

A clean run first (same code, no faults) gives what each channel must hold.

With pictures on (``test_each_picture_reaches_discord_once_across_sigkills``) the call also
brings the chart and the swing map, real figures, as multipart messages: into the Discord
channel's card thread and through the webhook. The kills then hit the picture's two windows:
right after its marker is committed and before the POST (the restart looks, finds nothing and
posts it), and right after the POST and before the "sent" mark (the restart finds it by its ref).

    python -m tests.e2e.test_discord_night DB SLACK DISCORD WEBHOOK [KILL_AFTER | pictures[:uploaded:N | :shared:N]]
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.app.poller import Poller, with_targets
from bot.core.targets import Target
from bot.delivery.cards import CardRefresher
from bot.delivery.discord import DiscordSink, fingerprint
from bot.delivery.slack import SlackSink, make_client
from bot.delivery.worker import DeliveryWorker
from bot.rehearsal.scenarios import load_scenario
from bot.render.discord import card_ref, ref, refs_in
from bot.store.database import Store
from tests.e2e.picture_crash import arm_pictures, run_bot
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscord
from tests.fakes.slack_api import FakeSlack, wait_for
from tests.integration.delivery.discord_night import assert_no_call_could_ping, discord_messages
from tests.integration.delivery.harness import ScenarioSource, alert_keys, card_posts, rules, unsent

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SLACK_CHANNEL = "C2"
DISCORD_CHANNEL = "1000000000000000001"
WEBHOOK_CHANNEL = "2000000000000000002"
POSTS = "POST /channels/{channel_id}/messages"
OUTAGE = 10.0


# --- the bot process -------------------------------------------------------------------------


def run(
    db_url: str,
    slack_url: str,
    discord_url: str,
    webhook_url: str,
    kill_after: int | None = None,
    pictures: str | None = None,
) -> dict[str, int]:
    """Replay the night into both platforms until everything is delivered (or 40 s pass).
    ``pictures`` (``-``, ``uploaded:N``, ``shared:N``): the call's pictures to Discord too, and
    a SIGKILL in the Nth picture's window."""
    store = Store(db_url)
    r = rules()
    discord = DiscordSink(discord_url, BOT_TOKEN, [webhook_url], min_interval=0.01, update_interval=0.0, timeout=5)
    hook = fingerprint(webhook_url)
    styles = {SLACK_CHANNEL: "cards", DISCORD_CHANNEL: "cards", hook: "messages"}
    worker = DeliveryWorker(
        store,
        {"slack": SlackSink(make_client("xoxb-test", slack_url, timeout=5), 0.01, 0.0), "discord": discord},
        styles=styles,
        min_interval=0.01,
        backoff_base=0.05,
        max_backoff=1.0,
        cards=CardRefresher(store, r, 0.0),
        budget_seconds=2.0,
    )
    targets = [Target("slack", SLACK_CHANNEL), Target("discord", DISCORD_CHANNEL), Target("discord", hook)]
    poller = Poller(source=ScenarioSource(load_scenario()), store=store, rules=r, targets=with_targets(targets))
    posted = 0

    def maybe_die(_row: object) -> None:
        nonlocal posted
        posted += 1
        if kill_after is not None and posted >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    worker.on_posted = maybe_die
    if pictures is not None:
        arm_pictures(store, poller, worker, pictures, platforms=("discord",))  # pictures to Discord only
    worker.deliver_due()  # first: what a killed predecessor left (reconciled before re-posting)
    while True:
        result = poller.poll()
        worker.deliver_due()
        if result.status == "unchanged":
            break
    deadline = time.monotonic() + 40
    while unsent(store) and time.monotonic() < deadline:
        worker.deliver_due()
        time.sleep(0.02)
    for _ in range(3):  # the cards' last numbers
        worker.deliver_due()
    stats = dict(worker.stats)
    store.close()
    return stats


# --- what the channels hold --------------------------------------------------------------------


def _slack_keys(slack: FakeSlack) -> Counter[str]:
    return Counter(alert_keys(slack.posts(SLACK_CHANNEL)))


def _discord_refs(discord: FakeDiscord, channel: str) -> Counter[str]:
    return Counter(marker for m in discord_messages(discord, channel) for marker in refs_in(m))


def _cards(discord: FakeDiscord, channel: str, race_keys: set[str]) -> list[dict[str, Any]]:
    return [m for m in discord.messages(channel) if any(card_ref(k) in refs_in(m) for k in race_keys)]


def _race_keys(keys: Counter[str]) -> set[str]:
    return {key.split("/")[1] for key in keys if key.split("/")[1] != "-"}


def test_the_night_to_slack_and_discord_through_429s_an_outage_and_sigkills(tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeDiscord() as discord:
        webhook = discord.add_webhook(WEBHOOK_CHANNEL)
        run(f"sqlite:///{tmp_path / 'clean.db'}", slack.base_url, discord.base_url, webhook)
        expected = _slack_keys(slack)
        races = _race_keys(expected)
        expected_discord = {ref(k) for k in expected} | {card_ref(k) for k in races}
        assert _discord_refs(discord, DISCORD_CHANNEL) == Counter(expected_discord)
    assert sum(expected.values()) > 30 and set(expected.values()) == {1} and races

    rng = random.Random(1512)
    db = f"sqlite:///{tmp_path / 'crashy.db'}"
    kills = 0
    with FakeSlack(latency=0.005) as slack, FakeDiscord(latency=0.005, bucket_limit=5, bucket_window=1.0) as discord:
        webhook = discord.add_webhook(WEBHOOK_CHANNEL)
        cmd = [sys.executable, "-m", "tests.e2e.test_discord_night", db, slack.base_url, discord.base_url, webhook]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for attempt in range(8):
            if attempt == 1:  # a burst of 429s on the channel, and the global limit once
                discord.fail_next(POSTS, retry_after=0.4, times=3, channel=DISCORD_CHANNEL)
                discord.fail_next("*", retry_after=0.25, is_global=True)
            if attempt == 3:
                # the outage starts once this process is calling Discord (a loaded machine may take
                # seconds to start it), and it is killed only after it met the outage
                proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE)
                before = len(discord.calls)
                wait_for(lambda p=proc, n=before: len(discord.calls) > n or p.poll() is not None, timeout=60)
                discord.outage(OUTAGE)
                wait_for(lambda p=proc: any(c.status == 503 for c in discord.calls) or p.poll() is not None, timeout=60)
                time.sleep(rng.uniform(0.4, 1.2))
                if proc.poll() is None:
                    proc.kill()  # SIGKILL, during the outage
                proc.wait(timeout=90)
            elif attempt % 2 == 0:
                proc = subprocess.Popen(cmd + [str(rng.randint(3, 15))], cwd=ROOT, env=env, stdout=subprocess.PIPE)
                proc.wait(timeout=90)
            else:
                proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE)
                time.sleep(rng.uniform(0.4, 1.2))  # early enough that work remains to be killed
                if proc.poll() is None:
                    proc.kill()  # SIGKILL
                proc.wait(timeout=90)
            if proc.returncode == -9:
                kills += 1
        final = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0 and "DONE" in final.stdout, final.stderr[-3000:]

        got_slack = _slack_keys(slack)
        got_discord = _discord_refs(discord, DISCORD_CHANNEL)
        got_webhook = _discord_refs(discord, WEBHOOK_CHANNEL)
        outage_calls = [c for c in discord.calls if c.status == 503]
        limited = [c for c in discord.calls if c.status == 429]
        discord_cards = _cards(discord, DISCORD_CHANNEL, races)
        slack_cards = card_posts(slack.posts(SLACK_CHANNEL))
        slack_edits = [c for c in slack.calls_to("chat.update") if c.ok]
        message_calls = assert_no_call_could_ping(discord)
        history = len([c for c in discord.calls if c.route == "GET /channels/{channel_id}/messages"])

    print(
        f"\ndiscord night: {kills} SIGKILLs, {sum(got_slack.values())} alerts on Slack, "
        f"{sum(got_discord.values())} refs in the Discord channel, {sum(got_webhook.values())} through the webhook, "
        f"{len(limited)} 429s, {len(outage_calls)} calls in the outage, {history} history reads, {message_calls} message calls"
    )
    assert kills >= 5
    assert outage_calls and len(limited) >= 4
    # the same alert keys on both platforms, each exactly once per channel
    assert got_slack == expected
    assert got_discord == Counter(expected_discord)
    assert got_webhook == Counter({ref(k) for k in expected})
    # one card per race in each channel with cards, edited in place
    assert len(slack_cards) == len(races) and slack_edits
    assert len(discord_cards) == len(races) and all(m["edited_timestamp"] for m in discord_cards)


def _pictures(discord: FakeDiscord) -> Counter[tuple[str, str]]:
    """(channel, file name) of every picture that landed, a card thread's under its channel."""
    parents = {tid: t["parent_id"] for tid, t in discord.threads().items()}
    return Counter((parents.get(u.channel, u.channel), u.filename) for u in discord.uploads())


def _alert_refs(discord: FakeDiscord, channel: str) -> Counter[str]:
    """The refs of the channel's messages that carry no picture (a picture's ref is of its bytes,
    which depend on when it was drawn)."""
    return Counter(m for msg in discord_messages(discord, channel) if not msg.get("attachments") for m in refs_in(msg))


def test_each_picture_reaches_discord_once_across_sigkills(tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeDiscord() as discord:
        webhook = discord.add_webhook(WEBHOOK_CHANNEL)
        run(f"sqlite:///{tmp_path / 'clean.db'}", slack.base_url, discord.base_url, webhook, pictures="-")
        expected_pictures = _pictures(discord)
        expected_refs = {ch: _alert_refs(discord, ch) for ch in (DISCORD_CHANNEL, WEBHOOK_CHANNEL)}
        expected_alerts = _slack_keys(slack)
    names = ["al-u-s-senate-2017-chart.png", "al-u-s-senate-2017-swing-map.png"]
    assert sorted(expected_pictures) == sorted((ch, n) for ch in (DISCORD_CHANNEL, WEBHOOK_CHANNEL) for n in names)
    assert set(expected_pictures.values()) == {1} and sum(expected_alerts.values()) > 30

    rng = random.Random(1217)
    db = f"sqlite:///{tmp_path / 'crashy.db'}"
    kills = 0
    with FakeSlack(latency=0.002) as slack, FakeDiscord(latency=0.002) as discord:
        webhook = discord.add_webhook(WEBHOOK_CHANNEL)
        cmd = [sys.executable, "-m", "tests.e2e.test_discord_night", db, slack.base_url, discord.base_url, webhook]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for step in ["uploaded:1", "shared:1", "uploaded:2", "shared:2", "random"]:
            random_kill = rng if step == "random" else None
            kills += run_bot("tests.e2e.test_discord_night", cmd[3:] + ["pictures:" + step], random_kill)
        final = subprocess.run(cmd + ["pictures"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert final.returncode == 0 and "DONE" in final.stdout, final.stderr[-3000:]
        got = _pictures(discord)
        refs = {ch: _alert_refs(discord, ch) for ch in (DISCORD_CHANNEL, WEBHOOK_CHANNEL)}
        alerts = _slack_keys(slack)
        posts = [c for c in discord.message_calls() if c.files]
        assert_no_call_could_ping(discord)

    print(f"\ndiscord pictures: {kills} SIGKILLs, {sum(got.values())} pictures landed, {len(posts)} picture posts made")
    assert kills >= 4
    assert got == expected_pictures  # each picture exactly once in each channel
    assert len(posts) == sum(got.values())  # the "shared" kills were found by their ref, not posted again
    assert refs == expected_refs and alerts == expected_alerts  # every alert as in the uncrashed run
    assert all(c.files[0].data.startswith(b"\x89PNG") for c in posts)


if __name__ == "__main__":
    extra = sys.argv[5] if len(sys.argv) > 5 else None
    if extra is not None and extra.startswith("pictures"):
        stats = run(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], pictures=extra.partition(":")[2] or "-")
    else:
        stats = run(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(extra) if extra else None)
    print("DONE", stats, flush=True)
