"""Golden replay of the shipped Alabama 2017 Senate special through the rules engine.

Every non-county event of the night is written out literally, and its numbers are recomputed here
from the snapshot votes with integer arithmetic only (no ``bot.core.margins``), so a change to either
the engine or the data shows up as a diff of this list.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest

from bot.app.settings import load_recount_rules
from bot.core.events import coalesce
from bot.core.model import Level, Race
from bot.core.rules import RaceMemory, RuleSettings, evaluate
from bot.rehearsal.scenarios import DEFAULT_FEED, load_scenario
from bot.render.text import alert_text, event_line

KEY = "AL-1000"
COUNTY_KINDS = {"county_complete", "county_batch", "correction"}

#: (snapshot number as in snapshot-NNN.json, kind, key numbers) — the whole night, literally.
EXPECTED = [
    (2, "first_votes", {}),
    (2, "takes_lead", {"leader": "moore", "lead_votes": 1_379}),
    (13, "milestone", {"percent": 25}),
    (19, "milestone", {"percent": 50}),
    (26, "milestone", {"percent": 75}),
    (32, "milestone", {"percent": 90}),
    (39, "write_ins_exceed_margin", {"unresolved_votes": 21_686, "lead_votes": 12_101}),
    (40, "recount_entered", {"leader": "moore", "lead_votes": 3_783, "votes_to_line": 2_688}),
    (41, "lead_change", {"leader": "jones", "previous_leader": "moore", "lead_votes": 2_479}),
    (43, "recount_left", {"leader": "jones", "lead_votes": 10_345, "votes_to_line": 3_727}),
    (44, "out_of_reach", {"trailer": "moore", "outstanding": 12_624, "lead_votes": 13_734}),
    (45, "race_called", {"winners": ["jones"]}),
    (49, "all_reporting", {}),
]


@pytest.fixture(scope="module")
def races() -> list[Race]:
    return [s.races[KEY] for s in load_scenario()]


@pytest.fixture(scope="module")
def replay(races):
    settings = RuleSettings(recount_rules=load_recount_rules())
    snaps = load_scenario()
    mem, prev, out, alerts = RaceMemory(), None, [], []
    for n, (snap, race) in enumerate(zip(snaps, races, strict=True), start=1):
        result = evaluate(DEFAULT_FEED, prev, race, mem, settings, snap.generated_at)
        out += [(n, e, result.facts) for e in result.events]
        alert = coalesce(result.events, result.facts, snap.generated_at.isoformat(), race.test or snap.test)
        if alert is not None:
            alerts.append((n, alert))
        mem, prev = result.memory, race
    return out, mem, alerts


def _state(race: Race) -> dict[str, int]:
    return dict(race.state_unit.votes)


def _lead(race: Race) -> tuple[str | None, int]:
    v = _state(race)
    j, m = v["jones"], v["moore"]
    return ("jones" if j > m else "moore" if m > j else None), abs(j - m)


def _inside(race: Race) -> bool:  # Ala. Code § 17-16-20: not more than 1/200 of all votes, inclusive
    total = sum(_state(race).values())
    return total > 0 and _lead(race)[1] * 200 <= total


def _votes_to_line(race: Race) -> int:
    total = sum(_state(race).values())
    lead = _lead(race)[1]
    # inside: smallest k with (lead + k)·200 > total; outside: smallest k with (lead − k)·200 ≤ total
    return total // 200 + 1 - lead if lead * 200 <= total else lead - total // 200


def _outstanding(race: Race) -> int:
    """Per county: votes per reported precinct × precincts left (state rate for empty counties)."""
    rows = [u for u in race.units if u.level is Level.COUNTY]
    rate = Fraction(sum(u.total_votes for u in rows), sum(u.precincts_reporting for u in rows))
    est = sum(
        (Fraction(u.total_votes, u.precincts_reporting) if u.precincts_reporting else rate)
        * (u.precincts_total - u.precincts_reporting)
        for u in rows
    )
    return round(est)


def _reporting(race: Race) -> Fraction:
    st = race.state_unit
    return Fraction(st.precincts_reporting, st.precincts_total)


def test_non_county_events_exactly(replay, races):
    out, _, _ = replay
    got = []
    for n, e, facts in out:
        if e.kind.value in COUNTY_KINDS:
            continue
        numbers = {
            k: v
            for k, v in e.details.items()
            if k
            in (
                "leader",
                "previous_leader",
                "votes_to_line",
                "unresolved_votes",
                "winners",
                "trailer",
                "outstanding",
                "percent",
            )
        }
        if e.kind.value in (
            "takes_lead",
            "lead_change",
            "recount_entered",
            "recount_left",
            "out_of_reach",
            "write_ins_exceed_margin",
        ):
            numbers["lead_votes"] = facts.lead_votes
            if "leader" in numbers:
                assert facts.leader_id == numbers["leader"]
        got.append((n, e.kind.value, numbers))
    assert got == EXPECTED


def test_expected_numbers_follow_from_the_votes(races):
    """The literal numbers above, recomputed from the snapshots with integers only."""
    r = lambda n: races[n - 1]  # noqa: E731
    assert sum(_state(r(1)).values()) == 0 and sum(_state(r(2)).values()) > 0
    assert _lead(r(2)) == ("moore", 1_379)
    # the leader is Moore until snapshot 41, then Jones, and never tied
    assert [_lead(x)[0] for x in races[1:40]] == ["moore"] * 39
    assert {_lead(x)[0] for x in races[40:]} == {"jones"}
    assert _lead(r(41)) == ("jones", 2_479)
    # write-ins exceed the margin first at 39, while the margin is below the night's 22,780 write-ins
    assert [n for n in range(2, 50) if _state(r(n))["write-ins"] > _lead(r(n))[1]][0] == 39
    assert (_state(r(39))["write-ins"], _lead(r(39))[1]) == (21_686, 12_101) and 12_101 < 22_780
    # the recount zone: inside exactly at 40–42 (and never before 50 % in: that is never, here)
    assert [n for n in range(1, 50) if _inside(r(n))] == [40, 41, 42]
    assert _reporting(r(40)) >= Fraction(1, 2)
    assert (_lead(r(40)), _votes_to_line(r(40))) == (("moore", 3_783), 2_688)
    assert (_lead(r(43)), _votes_to_line(r(43))) == (("jones", 10_345), 3_727)
    # out of reach: the first snapshot whose lead exceeds the estimated votes left, before the call
    reach = [n for n in range(2, 50) if 0 < _outstanding(r(n)) < _lead(r(n))[1]]
    assert reach[0] == 44 and _outstanding(r(44)) == 12_624
    assert [n for n in range(1, 50) if r(n).winners][0] == 45 and r(45).winners == ("jones",)
    # milestones: the first snapshot at or past each share of precincts
    for pct, n in ((25, 13), (50, 19), (75, 26), (90, 32)):
        assert _reporting(r(n)) * 100 >= pct > _reporting(r(n - 1)) * 100
    assert [n for n in range(1, 50) if _reporting(r(n)) == 1] == [49]


def test_nothing_the_data_do_not_support(replay, races):
    out, mem, _ = replay
    for n, e, _ in out:
        if e.kind.value.startswith("recount"):
            assert _reporting(races[n - 1]) >= Fraction(1, 2)
        if e.kind.value == "race_called":
            assert races[n - 1].winners
    assert not any(e.kind.value in ("race_uncalled", "runoff", "status_changed", "correction") for _, e, _ in out)
    called = next(n for n, e, _ in out if e.kind.value == "race_called")
    assert all(n < called for n, e, _ in out if e.kind.value == "out_of_reach")
    assert mem.announced_leader == "jones" and mem.lead_changes == 1 and mem.winners == ("jones",)
    assert not mem.in_recount_zone and mem.recount_passes == 1 and mem.all_reporting


def test_county_events(replay, races):
    out, mem, _ = replay
    county = [(n, e) for n, e, _ in out if e.kind.value in COUNTY_KINDS]
    counts = Counter(e.kind.value for _, e in county)

    # independently: each county completes once, the first snapshot it is fully in
    expected_complete, seen = [], set()
    expected_batches = []
    for n, race in enumerate(races, start=1):
        for u in race.units:
            if u.level is Level.COUNTY and u.precincts_reporting == u.precincts_total and u.total_votes and u.id not in seen:
                seen.add(u.id)
                expected_complete.append((n, u.name))
        if n > 1:
            before = {u.id: u for u in races[n - 2].units}
            for u in race.units:
                if u.level is Level.COUNTY and u.total_votes - before[u.id].total_votes >= 5_000:
                    expected_batches.append((n, u.name, u.total_votes - before[u.id].total_votes))
    assert len(seen) == 67
    assert [(n, e.details["unit"]) for n, e in county if e.kind.value == "county_complete"] == expected_complete
    assert [
        (n, e.details["unit"], e.details["added"]) for n, e in county if e.kind.value == "county_batch"
    ] == expected_batches
    assert counts == {"county_complete": 67, "county_batch": len(expected_batches)}
    assert len(mem.counties_complete) == 67

    # a few literally
    assert (6, "Madison", 5_962) in expected_batches
    assert (39, "Jefferson", 35_055) in expected_batches
    jefferson_done = next(e for n, e in county if e.kind.value == "county_complete" and e.details["unit"] == "Jefferson")
    assert dict(jefferson_done.details["votes"]) == {"jones": 149_522, "moore": 66_309, "write-ins": 3_710}
    facts = next(f for n, e, f in out if e is jefferson_done)
    assert (
        event_line(jefferson_done, facts)
        == "Jefferson: all precincts in — Jones 149,522 (68.11 %), Moore 66,309 (30.20 %), Write-ins 3,710 (1.69 %)"
    )
    batch = next(e for n, e in county if n == 39 and e.details["unit"] == "Jefferson")
    d = batch.details["deltas"]
    assert event_line(batch, facts) == f"Jefferson: +35,055 votes — Jones net +{d['jones'] - d['moore']:,}"


def test_one_message_per_poll_most_important_first(replay):
    _, _, alerts = replay
    numbers = [n for n, _ in alerts]
    assert len(numbers) == len(set(numbers))
    by_n = dict(alerts)
    assert [e.kind.value for e in by_n[41].events][0] == "lead_change"
    assert [e.kind.value for e in by_n[2].events] == ["takes_lead", "first_votes"]
    text = alert_text(by_n[40])
    assert text.startswith("Alabama U.S. Senate: Recount territory")  # live data: no TEST stamp
    assert "Ala. Code § 17-16-20" in text and "2,688 votes inside it" in text
    assert "the apparently defeated candidate may waive it" in text
    assert alert_text(by_n[45]).startswith("Alabama U.S. Senate: RACE CALLED: Doug Jones (Dem) wins")
