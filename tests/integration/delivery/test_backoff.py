"""How long the worker waits after a failed post: the boundaries of the backoff.

Issue 12: Slack answered six 429s (Retry-After: 1) and then one 500, and the next try came 64 s
later ("retrying in 64.00 s (attempt 7)"): every 429 had counted as a failure, so the 500 was
backed off as the seventh. The rules pinned here, with values from the rule, not the code:

- a server error (5xx, a lost connection) waits base × 2^(errors in a row before it), with equal
  jitter (between half and all of that step), never more than 15 s, jitter included;
- a 429 waits exactly its Retry-After and does not count as a server error;
- so 6 × 429 then a 500 waits the first server-error backoff (at most base = 1 s), not 64 s.

The worker tests run the real worker, sink, slack_sdk and FakeSlack over loopback on one
VirtualClock, with the jitter's random draw fixed at its top (1.0: the longest waits) so the
waits are exact; delivery rounds come every ``TICK`` seconds, so a retry lands within one tick
of its due time.
"""

from __future__ import annotations

import logging
import re
from itertools import pairwise

import pytest

from bot.delivery.pacing import MAX_BACKOFF, Backoff, backoff
from tests.databases import db_url
from tests.fakes.slack_api import Call, FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import build, run_ticks

TICK = 0.1
EPS = 1e-6
WAIT = re.compile(r"retrying in ([0-9.]+) s \(attempt (\d+)\)")


# --- the rule itself -------------------------------------------------------------------------


def test_the_cap_is_15_seconds():
    assert MAX_BACKOFF == 15.0


def test_server_error_waits_double_from_the_base_and_stop_at_15s():
    top = [backoff(n, 1.0, 15.0, 1.0) for n in range(9)]
    assert top == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0, 15.0, 15.0]  # 16 would be next: capped
    bottom = [backoff(n, 1.0, 15.0, 0.0) for n in range(6)]
    assert bottom == [0.5, 1.0, 2.0, 4.0, 7.5, 7.5]  # equal jitter: never below half the step


def test_cap_boundary_step_at_below_and_above_the_cap():
    base = 15.0 / 8  # the fourth step (2^3 × base) is exactly 15 s
    assert backoff(2, base, 15.0, 1.0) == 7.5  # one step below
    assert backoff(3, base, 15.0, 1.0) == 15.0  # at the cap
    assert backoff(4, base, 15.0, 1.0) == 15.0  # one step above: 30 s capped


@pytest.mark.parametrize("spread", [0.0, 0.5, 0.999999999, 1.0, 1.5, 1e9])
def test_jitter_never_takes_a_wait_past_the_cap(spread):
    waits = [backoff(n, 1.0, 15.0, spread) for n in range(200)]
    assert max(waits) <= 15.0
    assert waits[-1] >= 7.5


def test_backoff_streak_grows_per_key_and_an_answer_resets_it():
    b = Backoff(1.0, 15.0, random=lambda: 1.0)
    assert [b.failed("C1") for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert b.failed("C2") == 1.0  # another channel has its own streak
    b.succeeded("C1")
    assert b.streak("C1") == 0 and b.failed("C1") == 1.0
    real = Backoff(1.0, 15.0)  # the real random draw: always within [half the step, the cap]
    waits = [real.failed("C1") for _ in range(500)]
    assert 0.5 <= waits[0] <= 1.0 and max(waits) <= 15.0 and min(waits[4:]) >= 7.5


# --- the worker, over HTTP, on a controlled clock -------------------------------------------


def _night(tmp_path, clock: VirtualClock, slack: FakeSlack, *, polls: int = 3):
    """One "messages" channel at Slack's pacing, the production cap and base, top jitter."""
    return build(
        db_url(tmp_path / "bot.db"),
        slack.base_url,
        {"C1": "messages"},
        min_interval=1.0,
        backoff_base=1.0,
        max_backoff=None,  # the worker's own cap
        jitter=lambda: 1.0,
        clock=clock.now,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        budget_seconds=5.0,
    )


def _channel_calls(slack: FakeSlack) -> list[Call]:
    """Every call the worker made for C1 (posts and the duplicate checks after an uncertain one)."""
    return [c for c in slack.calls if c.params.get("channel") == "C1"]


def _logged_waits(caplog) -> list[tuple[float, int]]:
    found = [WAIT.search(r.getMessage()) for r in caplog.records if r.name == "electionbot.delivery"]
    return [(float(m.group(1)), int(m.group(2))) for m in found if m]


def _next_call_after(calls: list[Call], failed: Call) -> Call:
    return next(c for c in calls if c.at > failed.at)


def test_six_429s_then_a_500_wait_a_first_server_error_backoff_not_attempt_7s(tmp_path, caplog):
    caplog.set_level(logging.WARNING, "electionbot.delivery")
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _night(tmp_path, clock, slack)
        slack.fail_next("chat.postMessage", 429, retry_after=1, times=6)
        slack.fail_next("chat.postMessage", 500)
        run_ticks(poller, worker, store, clock, tick=TICK, polls=3)
        store.close()
    assert _logged_waits(caplog) == [(1.0, 1), (1.0, 2), (1.0, 3), (1.0, 4), (1.0, 5), (1.0, 6), (1.0, 7)]
    calls = _channel_calls(slack)
    assert [c.status for c in calls[:7]] == [429] * 6 + [500]
    server_error = calls[6]
    retry = _next_call_after(calls, server_error)
    assert server_error.at + 1.0 - EPS <= retry.at < server_error.at + 1.0 + TICK + EPS  # not 64 s


def test_a_429_waits_exactly_its_retry_after_and_leaves_the_server_error_streak_alone(tmp_path, caplog):
    caplog.set_level(logging.WARNING, "electionbot.delivery")
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _night(tmp_path, clock, slack)
        slack.fail_next("chat.postMessage", 500, times=3)
        slack.fail_next("chat.postMessage", 429, retry_after=5)
        slack.fail_next("chat.postMessage", 500)
        run_ticks(poller, worker, store, clock, tick=TICK, polls=3)
        store.close()
    # 1, 2, 4 for the three 500s; the 429's 5 exactly (not 5 + a backoff); then the fourth 500
    # in a row waits 8, as it would have without the 429 between them.
    assert [w for w, _ in _logged_waits(caplog)] == [1.0, 2.0, 4.0, 5.0, 8.0]
    calls = _channel_calls(slack)
    failed = [c for c in calls if c.status in (429, 500)]
    assert [c.status for c in failed] == [500, 500, 500, 429, 500]
    for hit, wait in zip(failed, [1.0, 2.0, 4.0, 5.0, 8.0], strict=True):
        retry = _next_call_after(calls, hit)
        assert hit.at + wait - EPS <= retry.at < hit.at + wait + TICK + EPS, (hit.status, wait, retry.at - hit.at)


def test_a_long_outage_is_probed_at_least_every_15s_and_posted_to_once_it_ends(tmp_path, caplog):
    caplog.set_level(logging.WARNING, "electionbot.delivery")
    clock = VirtualClock()
    outage = 100.0
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _night(tmp_path, clock, slack)
        slack.outage(outage)
        ends = clock.monotonic() + outage
        run_ticks(poller, worker, store, clock, tick=TICK, polls=3)
        store.close()
    waits = [w for w, _ in _logged_waits(caplog)]
    assert waits[:5] == [1.0, 2.0, 4.0, 8.0, 15.0] and set(waits[4:]) == {15.0}
    probes = [c for c in _channel_calls(slack) if c.at < ends]
    assert all(c.status == 503 for c in probes)
    gaps = [b.at - a.at for a, b in pairwise(probes)]
    assert max(gaps) < 15.0 + TICK + EPS
    assert len(probes) <= 4 + outage / 15.0 + 1  # no hammering: 1, 2, 4, 8 s, then every 15 s
    first_ok = next(c for c in slack.calls_to("chat.postMessage") if c.ok)
    assert ends <= first_ok.at < probes[-1].at + 15.0 + TICK + EPS
    assert first_ok.at - ends < 15.0 + TICK + EPS


@pytest.mark.parametrize("retry_after", [14, 15, 16, 30])
def test_a_retry_after_is_waited_exactly_even_past_the_server_error_cap(tmp_path, caplog, retry_after):
    """The 15 s cap is for our own guesses (server errors). A Retry-After is Slack's word: trying
    sooner than it would only earn another 429, so 16 or 30 s are waited in full, and no more."""
    caplog.set_level(logging.WARNING, "electionbot.delivery")
    clock = VirtualClock()
    with FakeSlack(clock=clock.monotonic) as slack:
        poller, worker, store = _night(tmp_path, clock, slack)
        slack.fail_next("chat.postMessage", 429, retry_after=retry_after)
        run_ticks(poller, worker, store, clock, tick=TICK, polls=3)
        store.close()
    assert _logged_waits(caplog) == [(float(retry_after), 1)]
    calls = _channel_calls(slack)
    assert calls[0].status == 429
    assert calls[0].at + retry_after - EPS <= calls[1].at < calls[0].at + retry_after + TICK + EPS
