"""What a channel hears on a national night (issue 13): digests per channel per poll, follow
lists, live cards only for followed races, the per-channel budget's rollups, exactly once.

The night is built in the test (tests/integration/delivery/national.py): hundreds of races across twenty
states through the real poller, store, worker and Slack sink, FakeSlack recording what lands.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.core.digest import Digest, build, plan
from bot.core.events import Alert, Event, EventKind
from bot.core.follow import Follow, FollowBook
from bot.core.rules import race_facts
from bot.core.targets import Target
from bot.delivery.console import ConsoleSink
from bot.render.digest import digest_message, digest_text, rollup_message
from bot.render.digest_words import DIGEST_WORDS
from tests.databases import db_url
from tests.fakes.slack_api import FakeSlack
from tests.integration.delivery.clock import VirtualClock
from tests.integration.delivery.harness import rules
from tests.integration.delivery.national import STATES, T0, called, first_votes, meta, national_poll, recount_zone, snapshots
from tests.integration.delivery.national import build as build_bot
from tests.integration.delivery.test_hygiene import PING, _check


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=T0)


@pytest.fixture
def slack(clock):
    with FakeSlack(clock=clock.monotonic) as fake:
        yield fake


def _db(tmp_path, name: str = "night") -> str:
    return db_url(tmp_path / f"{name}.db")


def _digest_races(posts) -> list[str]:
    """Race keys listed by the digest posts (read back from what Slack holds: the payloads)."""
    return [k for p in posts if (d := _digest_of(p)) for k in d.race_keys()]


_SENT: dict[str, Digest] = {}


def _digest_of(post) -> Digest | None:
    kind, payload = meta(post)
    return _SENT.get(payload.get("alert_key", "")) if kind == "electionbot_alert" else None


def _remember_digests(store) -> None:
    for _, item in store.sent_alerts("slack"):
        if isinstance(item, Digest):
            _SENT[item.key] = item


# --- a national first poll -----------------------------------------------------------------


def test_national_first_poll_is_a_handful_of_messages_per_channel_and_the_digest_lists_every_race(tmp_path, clock, slack):
    """433 races in 20 states: 400 with first votes, 30 called (one or two per state), 3 Alabama
    races in the recount zone. #ga follows Georgia; #all names nothing (a big feed: digests)."""
    night = snapshots(national_poll(400, 30, 3))
    bot = build_bot(
        _db(tmp_path),
        slack.base_url,
        clock,
        night,
        {"#ga": "messages", "#all": "messages"},
        book=FollowBook(channels={"#ga": Follow.of(states=["GA"])}),
    )
    assert bot.poll() == "changed"
    bot.drain()
    _remember_digests(bot.store)
    ga, everyone = slack.posts("#ga"), slack.posts("#all")
    # Georgia's calls (5006 and 5026: 30 calls over 20 states), the 3 recount races, one digest
    assert len(ga) == 6 and len(everyone) == 4
    for post in ga + everyone:  # what reached Slack is within Block Kit's limits and pings no one
        _check(post)
    ga_alerts = [meta(p)[1]["alert_key"] for p in ga if _digest_of(p) is None]
    assert sorted(k.split("/")[1] for k in ga_alerts) == ["AL-9000", "AL-9001", "AL-9002", "GA-5006", "GA-5026"]
    # every race with news is in the channel exactly once: individually or listed in the digest
    all_keys = {r.key for r in night[0].races.values()}
    listed = _digest_races(everyone)
    assert len(listed) == len(set(listed)) == 433 - 3
    assert set(listed) | {"AL-9000", "AL-9001", "AL-9002"} == all_keys
    ga_listed = _digest_races(ga)
    assert len(ga_listed) == len(set(ga_listed)) == 433 - 5 and not set(ga_listed) & {"GA-5006", "GA-5026", "AL-9000"}
    digest = next(d for p in everyone if (d := _digest_of(p)))
    assert digest.totals == (("called", 30, 20), ("first_votes", 430, 20), ("all_in", 30, 20))
    text = digest_text(digest)
    assert "News in 430 races across 20 states" in text
    assert "First votes in 430 races across 20 states" in text and "Calls from the feed in 30 races across 20 states" in text


def test_threshold_five_routine_races_stay_individual_six_go_as_one_digest(tmp_path, clock, slack):
    """The boundary of digest_after_races = 5: 5 races with first votes are 5 messages (as on a
    one-race night); 6 are one digest listing the 6."""
    five = snapshots([first_votes(STATES[i], 100 + i) for i in range(5)])
    bot = build_bot(_db(tmp_path, "five"), slack.base_url, clock, five, {"C5": "messages"})
    bot.poll()
    bot.drain()
    assert [meta(p)[0] for p in slack.posts("C5")] == ["electionbot_alert"] * 5
    assert all(_digest_of(p) is None for p in slack.posts("C5"))

    six = snapshots([first_votes(STATES[i], 100 + i) for i in range(6)])
    bot = build_bot(_db(tmp_path, "six"), slack.base_url, clock, six, {"C6": "messages"})
    bot.poll()
    bot.drain()
    _remember_digests(bot.store)
    posts = slack.posts("C6")
    assert len(posts) == 1
    assert sorted(_digest_races(posts)) == sorted(f"{STATES[i]}-{100 + i}" for i in range(6))


def test_recount_zone_anywhere_and_followed_calls_stay_individual_unfollowed_calls_go_in_the_digest(tmp_path, clock, slack):
    races = [first_votes(STATES[i % 20], 100 + i) for i in range(10)] + [
        called("TX", 7),
        called("WA", 8),
        recount_zone("AL", 9),
    ]
    book = FollowBook(channels={"#tx": Follow.of(races=["TX-7"]), "#senate": Follow.of(offices=["senate"])})
    bot = build_bot(
        _db(tmp_path), slack.base_url, clock, snapshots(races), {"#tx": "messages", "#senate": "messages"}, book=book
    )
    bot.poll()
    bot.drain()
    _remember_digests(bot.store)
    tx = [meta(p)[1]["alert_key"].split("/")[1] for p in slack.posts("#tx") if _digest_of(p) is None]
    senate = [meta(p)[1]["alert_key"].split("/")[1] for p in slack.posts("#senate") if _digest_of(p) is None]
    assert tx == ["TX-7", "AL-9"]  # its followed call, and the recount zone in a race it does not follow
    assert senate == ["AL-9"]
    assert "WA-8" in _digest_races(slack.posts("#tx")) and "TX-7" in _digest_races(slack.posts("#senate"))


# --- live cards ----------------------------------------------------------------------------


def test_live_cards_only_for_followed_races(tmp_path, clock, slack):
    night = snapshots(national_poll(60, 10, 1))
    book = FollowBook(channels={"#cards": Follow.of(states=["GA"])})
    bot = build_bot(_db(tmp_path), slack.base_url, clock, night, {"#cards": "cards"}, book=book)
    bot.poll()
    bot.drain()
    cards = [meta(p)[1]["race_key"] for p in slack.posts("#cards") if meta(p)[0] == "electionbot_card"]
    assert cards == ["GA-5006"]  # the one Georgia call; never one per race in the country
    assert {c.race_key for c in bot.store.cards("slack", None)} == {"GA-5006"}
    # the recount race, not followed, goes to the channel without a card
    top_level = [p for p in slack.posts("#cards") if not p.get("thread_ts")]
    assert any(meta(p)[1].get("alert_key", "").startswith("national/AL-9000/") for p in top_level)


def test_default_follow_a_small_feed_whole_a_big_feed_only_its_key_races_and_subscriptions():
    r = rules()
    ga = race_facts(first_votes("GA", 1), r, T0)
    al = race_facts(first_votes("AL", 2), r, T0)
    book = FollowBook(key_races=frozenset({"AL-2"}))
    assert book.follows("C", ga, feed_races=20) and book.follows("C", al, feed_races=20)
    assert not book.follows("C", ga, feed_races=21) and book.follows("C", al, feed_races=21)
    assert book.follows("C", ga, feed_races=7000, subscribed=["GA"])
    assert not FollowBook(channels={"C": Follow.of(states=["TX"])}).follows("C", al, feed_races=1)
    assert FollowBook(channels={"C": Follow.of(offices=["H"])}).follows(
        "C", al, feed_races=7000
    )  # AP's officeID for the House
    assert FollowBook(default=Follow.of(everything=True)).follows("C", al, feed_races=7000)
    assert not FollowBook().follows("C", None, feed_races=1)


# --- the budget ------------------------------------------------------------------------------


def test_budget_rolls_the_surplus_into_one_message_with_exact_counts_and_drops_nothing(tmp_path, clock, slack):
    """A channel following everything, budget 10 a minute: 25 calls in one poll are 9 messages and
    a rollup of 16; 3 more calls 30 s later (same feed minute, budget spent) are one rollup of 3;
    2 calls 2 minutes later are 2 messages again."""
    poll1 = [called(STATES[i % 20], 100 + i) for i in range(25)]
    poll2 = [called(STATES[i % 20], 200 + i) for i in range(3)]
    poll3 = [called(STATES[i % 20], 300 + i) for i in range(2)]
    night = snapshots(poll1, poll2, [], [], [], poll3)  # 30 s apart: poll3 is 150 s after poll1
    bot = build_bot(
        _db(tmp_path),
        slack.base_url,
        clock,
        night,
        {"C": "messages"},
        book=FollowBook(default=Follow.of(everything=True)),
        per_minute=10,
    )
    shapes = []
    for _ in range(len(night)):
        before = len(slack.posts("C"))
        bot.poll()
        bot.drain()
        shapes.append([(meta(p)[0], len(meta(p)[1].get("alert_keys") or [1])) for p in slack.posts("C")[before:]])
    assert shapes[0] == [("electionbot_alert", 1)] * 9 + [("electionbot_summary", 16)]
    assert shapes[1] == [("electionbot_summary", 3)]
    assert shapes[5] == [("electionbot_alert", 1)] * 2
    keys = [k for p in slack.posts("C") for k in (meta(p)[1].get("alert_keys") or [meta(p)[1]["alert_key"]])]
    assert len(keys) == len(set(keys)) == 30  # every alert once, none dropped
    assert bot.store.backlog() == {"sent": 30}
    rollup = slack.posts("C")[9]
    assert rollup["text"].startswith("16 updates in 16 races, held back to keep this channel under 10 messages a minute:")
    assert rollup["text"].count("RACE CALLED") == 16
    _check(rollup)


def test_budget_zero_means_none_and_the_console_prints_everything(tmp_path, clock, slack):
    poll = [called(STATES[i % 20], 100 + i) for i in range(25)]
    bot = build_bot(
        _db(tmp_path),
        slack.base_url,
        clock,
        snapshots(poll),
        {"C": "messages"},
        book=FollowBook(default=Follow.of(everything=True)),
        per_minute=0,
    )
    bot.poll()
    bot.drain()
    assert [meta(p)[0] for p in slack.posts("C")] == ["electionbot_alert"] * 25
    assert not hasattr(ConsoleSink(), "send_rollup")  # the budget is where a rollup can be sent


# --- exactly once across a restart --------------------------------------------------------


def test_digest_key_is_stable_from_the_poll_and_channel_never_the_clock():
    r = rules()
    alerts = []
    for i in range(8):
        rc = first_votes(STATES[i], 100 + i)
        alerts.append(
            Alert(
                "n",
                rc.key,
                T0.isoformat(),
                False,
                (Event(EventKind.FIRST_VOTES, f"fv/{rc.key}", "n", rc.key, {}),),
                race_facts(rc, r, T0),
            )
        )
    again = build(list(reversed(alerts)), channel="C1", version=T0.isoformat(), words=DIGEST_WORDS)
    assert [d.key for d in build(alerts, channel="C1", version=T0.isoformat(), words=DIGEST_WORDS)] == [d.key for d in again]
    assert build(alerts, channel="C2", version=T0.isoformat(), words=DIGEST_WORDS)[0].key != again[0].key
    assert (
        build(alerts, channel="C1", version=(T0 + timedelta(seconds=30)).isoformat(), words=DIGEST_WORDS)[0].key
        != again[0].key
    )
    assert Digest.from_dict(again[0].to_dict()) == again[0]


def _delivered(posts) -> list[tuple[str, str]]:
    """(channel, key) of every alert and digest part the posts carry (a rollup carries several)."""
    return sorted((p["channel"], k) for p in posts for k in (meta(p)[1].get("alert_keys") or [meta(p)[1]["alert_key"]]))


def test_restart_mid_night_delivers_the_same_keys_once(tmp_path, clock, slack):
    """The process dies right after Slack took the first message of the second poll's digest (before
    it was marked sent); a new process on the same database finds it in the channel and goes on.
    The keys delivered are those of a night without a crash, each once."""
    night = snapshots(national_poll(200, 20, 2), [called(STATES[i % 20], 6000 + i) for i in range(12)])
    channels = {"#a": "messages", "#b": "messages"}
    book = FollowBook(channels={"#a": Follow.of(states=["GA", "TX"])})

    with FakeSlack(clock=clock.monotonic) as calm:
        ref = build_bot(_db(tmp_path, "calm"), calm.base_url, clock, night, channels, book=book)
        for _ in night:
            ref.poll()
            ref.drain()
        expected = _delivered(calm.posts())

    class Crash(Exception):
        pass

    first = build_bot(_db(tmp_path), slack.base_url, clock, night, channels, book=book)
    first.poll()
    first.drain()
    first.poll()

    def die(row):
        if isinstance(row.alert, Digest):
            raise Crash()

    first.worker.on_posted = die
    with pytest.raises(Crash):
        first.drain()
    first.store.close()

    second = build_bot(_db(tmp_path), slack.base_url, clock, night, channels, book=book)
    assert second.poll() == "unchanged"
    second.drain()
    got = _delivered(slack.posts())
    assert got == expected and len(got) == len(set(got)) > 10
    assert second.worker.stats["reconciled"] == 1


# --- Block Kit limits at national size -----------------------------------------------------


def _national_alerts(n: int, *, hostile: bool = False) -> list[Alert]:
    r = rules()
    base = race_facts(called("GA", 1), r, T0)
    alerts = []
    for i in range(n):
        state = STATES[i % len(STATES)]
        office = (PING * 3 + "County Commissioner & Soil <Board> Seat") if hostile else "State House"
        facts = dataclasses.replace(base, race_key=f"{state}-{i}", state=state, office=office, seat=f"District {i}")
        events = (
            Event(EventKind.RACE_CALLED, f"c/{i}", "n", facts.race_key, {"winners": ["a"]}),
            Event(EventKind.FIRST_VOTES, f"fv/{i}", "n", facts.race_key, {}),
        )
        alerts.append(Alert("n", facts.race_key, T0.isoformat(), False, events, facts))
    return alerts


def test_a_digest_of_7000_races_splits_into_messages_within_block_kit_limits_listing_every_race():
    alerts = _national_alerts(7000, hostile=True)
    parts = build(alerts, channel="C", version=T0.isoformat(), words=DIGEST_WORDS)
    assert 2 <= len(parts) <= 25 and [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert all(p.parts == len(parts) and p.races == 7000 and p.states == 20 for p in parts)
    # every race listed under each of its two categories, in exactly one part each
    listed = [item.race_key for p in parts for s in p.sections for ln in s.lines for item in ln.items]
    assert len(listed) == 14_000 and set(listed) == {a.race_key for a in alerts}
    for part in parts:
        message = digest_message(part)
        _check(message)
        assert len(message["blocks"]) <= 50
    # realistic labels, 14,000 listings: 5 messages
    assert len(build(_national_alerts(7000), channel="C", version="v", words=DIGEST_WORDS)) == 5


def test_a_rollup_of_the_worst_alerts_stays_within_block_kit_limits():
    from bot.delivery.budget import ROLLUP_MAX
    from tests.integration.delivery.test_hygiene import _worst_alerts

    message = rollup_message(_worst_alerts()[:ROLLUP_MAX], 10)
    _check(message)


def test_plan_keeps_feed_notices_and_races_without_numbers_individual():
    feed_note = Alert(
        "n", None, T0.isoformat(), False, (Event(EventKind.FEED_STALE, "s", "n", None, {"minutes": 20}),), None
    )
    alerts = _national_alerts(10) + [feed_note]
    result = plan(alerts, lambda a: False, threshold=5, channel="C", version="v", words=DIGEST_WORDS)
    assert result.individual == (feed_note,) and len(result.digests) == 1 and result.digests[0].races == 10


def test_the_console_hears_a_digest_as_text(tmp_path, clock):
    import io

    out = io.StringIO()
    parts = build(_national_alerts(30), channel="console", version=T0.isoformat(), words=DIGEST_WORDS)
    ConsoleSink(out).send_digest(parts[0], "console")
    text = out.getvalue()
    assert text.startswith("News in 30 races across 20 states · as of 8:00 p.m. EST\n")
    assert (
        "  Calls from the feed in 30 races across 20 states\n    Alabama: State House, District 0 — Able (Dem); State House, District 20 — Able (Dem)\n"
        in text
    )


def test_subscribed_states_are_followed_by_a_channel_on_the_poller_side(tmp_path, clock, slack):
    races = (
        [first_votes("WA", 100 + i) for i in range(10)]
        + [called("WA", 8)]
        + [first_votes(STATES[i % 17], 200 + i) for i in range(20)]
    )
    target = Target("slack", "#sub", None, (("WA", 10),))  # /results subscribe washington, every level
    bot = build_bot(_db(tmp_path), slack.base_url, clock, snapshots(races), {"#sub": "messages"}, targets=[target])
    bot.poll()
    bot.drain()
    individual = [
        meta(p)[1]["alert_key"].split("/")[1]
        for p in slack.posts("#sub")
        if meta(p)[0] == "electionbot_alert" and "/digest/" not in meta(p)[1]["alert_key"]
    ]
    assert individual == ["WA-8"]  # its subscribed state's call; the other states' news it does not hear


# --- the seeded national night (benchmarks/national.py) through the real replay -------------


def test_the_seeded_national_night_is_one_digest_per_poll_listing_every_race_the_alerts_name(tmp_path):
    """A small seeded night (scale 0.05: about 500 races, a full reply and two deltas) replayed
    as a desk would (`bot replay DIR --step --via disk`), to the console: one message per poll.
    The races the digests list are exactly those that alert one by one with digests turned off."""
    import io

    from benchmarks.national import write_night
    from bot.app.rehearse import replay
    from bot.app.settings import Secrets
    from bot.rehearsal.recording import read_recording

    night = write_night(tmp_path / "night", seed=13, polls=3, scale=0.05)
    no_slack = Secrets(None, None, "http://127.0.0.1:9/")

    def play(**alerts: object):
        return replay(
            read_recording(tmp_path / "night"),
            via="disk",
            speed=0,
            out=io.StringIO(),
            secrets=no_slack,
            base={"alerts": {"channels": ["#desk"], **alerts}},
        )

    grouped = play()
    assert grouped.pending == 0 and grouped.delivered == 3 == len(grouped.alerts)
    assert all(isinstance(d, Digest) for d in grouped.alerts)
    one_by_one = play(digest_after_races=100_000)
    assert one_by_one.pending == 0 and not any(isinstance(a, Digest) for a in one_by_one.alerts)
    for digest in grouped.alerts:
        told = {a.race_key for a in one_by_one.alerts if a.at == digest.at}
        assert set(digest.race_keys()) == told and digest.races == len(told) > 5
    assert night.races > 400 and grouped.alerts[0].races < night.races  # races without news are not listed


# --- the table of docs/national-night.md, kind by kind ---------------------------------------

#: (kind, in a followed race, elsewhere), as docs/national-night.md states it.
TABLE = {
    "recount_entered": ("individual", "individual"),
    "recount_left": ("individual", "individual"),
    "write_ins_exceed_margin": ("individual", "individual"),
    "race_uncalled": ("individual", "individual"),
    "balance_of_power": ("individual", "individual"),
    "feed_stale": ("individual", "individual"),
    "feed_failing": ("individual", "individual"),
    "feed_recovered": ("individual", "individual"),
    "race_called": ("individual", "routine"),
    "runoff": ("individual", "routine"),
    "seat_gain": ("individual", "routine"),
    "lead_change": ("individual", "routine"),
    "runoff_headed": ("individual", "routine"),
    "runoff_pair": ("individual", "routine"),
    "runoff_avoided": ("individual", "routine"),
    "runoff_withdrawn": ("individual", "routine"),
    "out_of_reach": ("individual", "routine"),
    "flip_indication": ("individual", "routine"),
    "first_votes": ("routine", "routine"),
    "takes_lead": ("routine", "routine"),
    "milestone": ("routine", "routine"),
    "all_reporting": ("routine", "routine"),
    "county_batch": ("routine", "routine"),
    "county_complete": ("routine", "routine"),
    "correction": ("routine", "routine"),
    "status_changed": ("routine", "routine"),
}


@pytest.mark.parametrize("kind", list(EventKind), ids=lambda k: k.value)
def test_every_event_kind_is_individual_or_routine_as_documented(kind):
    from bot.core.digest import is_routine

    facts = race_facts(called("GA", 1), rules(), T0)
    alert = Alert("n", "GA-1", T0.isoformat(), False, (Event(kind, "k", "n", "GA-1", {}),), facts)
    followed, elsewhere = TABLE[kind.value]  # a new kind fails here until it is placed in the table
    assert ("routine" if is_routine(alert, True) else "individual") == followed
    assert ("routine" if is_routine(alert, False) else "individual") == elsewhere
    with_first_votes = dataclasses.replace(alert, events=(Event(EventKind.FIRST_VOTES, "f", "n", "GA-1", {}), *alert.events))
    assert is_routine(with_first_votes, False) == (elsewhere == "routine")  # one individual event keeps the alert individual


def test_one_odd_race_is_sent_on_its_own_and_the_others_still_make_the_digest():
    alerts = _national_alerts(8)
    odd = dataclasses.replace(
        alerts[3], facts=dataclasses.replace(alerts[3].facts, office=None)
    )  # an office the label cannot read
    result = plan(
        [*alerts[:3], odd, *alerts[4:]], lambda a: False, threshold=5, channel="C", version="v", words=DIGEST_WORDS
    )
    assert result.individual == (odd,)
    assert len(result.digests) == 1 and result.digests[0].races == 7 and odd.race_key not in result.digests[0].race_keys()


def test_a_grouping_failure_sends_every_alert_on_its_own(caplog):
    from bot.delivery.grouping import Grouping

    class Broken(FollowBook):
        def follows(self, *args, **kw):  # type: ignore[override]
            raise RuntimeError("boom")

    alerts = _national_alerts(8)
    arranged = Grouping(Broken()).arrange("C", (), alerts, feed="n", version="v", feed_races=8)
    assert arranged == alerts
    assert "grouping alerts for C failed" in caplog.text


def test_a_rollup_whose_answer_is_lost_is_found_in_the_channel_and_never_posted_twice(tmp_path, clock, slack):
    """Slack takes the rollup but the answer never comes back: its rows stay "sending", the crash
    check finds their keys in the channel's history, and nothing is posted again."""
    poll = [called(STATES[i % 20], 100 + i) for i in range(25)]
    bot = build_bot(
        _db(tmp_path),
        slack.base_url,
        clock,
        snapshots(poll),
        {"C": "messages"},
        book=FollowBook(default=Follow.of(everything=True)),
    )
    posted = []

    def count(row):
        posted.append(row)
        if len(posted) == 9:
            slack.lose_next_answer("chat.postMessage", channel="C")

    bot.worker.on_posted = count
    bot.poll()
    bot.drain()
    assert len(slack.posts("C")) == 10 and bot.worker.stats["reconciled"] == 16
    keys = _delivered(slack.posts("C"))
    assert len(keys) == len(set(keys)) == 25 and bot.store.backlog() == {"sent": 25}
