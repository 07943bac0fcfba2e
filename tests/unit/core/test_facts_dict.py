"""The facts an alert carries to the outbox, written out by hand (``RaceFacts.to_dict``, issue 13:
``dataclasses.asdict`` was ~7 ms of an 80 ms national delta poll): the very dict ``asdict`` gives,
key for key, type for type, for the facts of every kind of alert the rules make, and read back
whole by ``from_dict``."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest

from benchmarks.national import replies
from bot.app.settings import load_runoff_rules
from bot.core.events import Alert, CandidateFacts, Event, EventKind, RaceFacts, coalesce
from bot.core.model import Race
from bot.core.rules import RaceMemory, RuleSettings, evaluate
from bot.feeds.ap.reply import parse_ap
from bot.rehearsal.scenarios import load_scenario
from tests.unit.core.helpers import AT, CANDIDATES, SETTINGS, race

#: a race's facts with no field at its default and every optional one set
EVERYTHING = RaceFacts(
    race_key="GA-2100",
    state="GA",
    office="U.S. Senate",
    seat="Class III",
    test=True,
    candidates=(
        CandidateFacts("w", "Raphael Warnock", "Dem", 355_000, pseudo=False, winner=True),
        CandidateFacts("l", "Kelly Loeffler", "GOP", 220_000),
        CandidateFacts("x", "Write-ins", None, 1_204, pseudo=True),
    ),
    total_votes=576_204,
    leader_id="w",
    runner_up_id="l",
    lead_votes=135_000,
    precincts_reporting=2_600,
    precincts_total=2_655,
    expected_vote_pct=97.5,
    outstanding=12_000,
    call_status="called",
    race_call_status="Called",
    recount_threshold="1/200",
    recount_citation="O.C.G.A. § 21-2-495",
    updated_at="2020-11-04T03:00:00+00:00",
    runoff_rule={"format": "majority", "threshold": "1/2", "inclusive": False, "advance": 2, "requested": False},
    party="Dem",
    county="Gwinnett",
    uncontested=True,
)
#: the same with every optional field empty
NOTHING = RaceFacts("AL-1", "AL", "Governor", None, False, (), 0, None, None, 0, None, None, None, None, "none", None)


def _alerts(races: list[Race], settings: RuleSettings, feed: str = "ap") -> list[Alert]:
    """Each race of the list evaluated after the one before it with the same key, memory carried."""
    memory: dict[str, RaceMemory] = {}
    previous: dict[str, Race] = {}
    alerts = []
    for n, r in enumerate(races):
        result = evaluate(feed, previous.get(r.key), r, memory.get(r.key, RaceMemory()), settings, AT + timedelta(minutes=n))
        memory[r.key], previous[r.key] = result.memory, r
        if (alert := coalesce(result.events, result.facts, AT.isoformat(), r.test)) is not None:
            alerts.append(alert)
    return alerts


def _georgia_night() -> list[Race]:
    """A majority-runoff race counted up to the end: headed for a runoff, then the feed's call."""
    final = {"a": 480_000, "b": 440_000, "w": 80_000}
    counts = [
        race({c: int(v * share) for c, v in final.items()}, state="GA", reporting=int(100 * share), eevp=float(100 * share))
        for share in (Fraction(1, 10), Fraction(1, 2), Fraction(9, 10), Fraction(1))
    ]
    return [*counts, replace(counts[-1], runoff=("a", "b"))]


def _national() -> list[Race]:
    return [r for body, _ in replies(seed=5, polls=4, scale=0.02) for r in parse_ap(body, "national").races]


def _every_alert() -> list[Alert]:
    al_night = [snap.races["AL-1000"] for snap in load_scenario()]
    return [
        *_alerts(al_night, SETTINGS),
        *_alerts(_georgia_night(), RuleSettings(runoff_rules=load_runoff_rules())),
        *_alerts(_national(), RuleSettings(runoff_rules=load_runoff_rules()), "national"),
        Alert("ap", "GA-2100", AT.isoformat(), True, (Event(EventKind.RACE_CALLED, "k", "ap", "GA-2100"),), EVERYTHING),
        Alert("ap", "AL-1", AT.isoformat(), False, (Event(EventKind.FIRST_VOTES, "k1", "ap", "AL-1"),), NOTHING),
        Alert("ap", None, AT.isoformat(), False, (Event(EventKind.FEED_FAILING, "f", "ap", None, {"failures": 3}),), None),
    ]


ALERTS = _every_alert()
#: fields no facts leave empty
_ALWAYS_SET = {"race_key", "state", "office", "call_status"}


def test_the_alerts_cover_every_kind_of_race_alert_and_every_optional_fact() -> None:
    kinds = {e.kind for a in ALERTS for e in a.events if a.facts is not None}
    assert {EventKind.FIRST_VOTES, EventKind.LEAD_CHANGE, EventKind.RECOUNT_ENTERED, EventKind.RACE_CALLED} <= kinds
    assert {EventKind.RUNOFF_HEADED, EventKind.RUNOFF, EventKind.MILESTONE, EventKind.COUNTY_COMPLETE} <= kinds
    facts = [a.facts for a in ALERTS if a.facts is not None]
    assert any(f.runoff_rule for f in facts) and any(f.recount_threshold for f in facts)
    # the hand-made pair differs in every field: a field written wrong or left out shows
    for f in fields(RaceFacts):
        assert getattr(EVERYTHING, f.name) != getattr(NOTHING, f.name), f.name
        assert bool(getattr(EVERYTHING, f.name)) and not getattr(NOTHING, f.name) or f.name in _ALWAYS_SET, f.name


def _assert_same(mine: Any, theirs: Any) -> None:
    """Equal, of the same types all the way down, keys in the same order."""
    assert mine == theirs
    assert type(mine) is type(theirs)
    if isinstance(mine, dict):
        assert list(mine) == list(theirs)
        for key in mine:
            _assert_same(mine[key], theirs[key])
    elif isinstance(mine, tuple | list):
        for a, b in zip(mine, theirs, strict=True):
            _assert_same(a, b)


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: f"{a.race_key}:{'+'.join(e.kind.value for e in a.events)}")
def test_the_facts_dict_is_asdicts_and_reads_back_whole(alert: Alert) -> None:
    written = alert.to_dict()
    if alert.facts is None:
        assert written["facts"] is None
    else:
        _assert_same(alert.facts.to_dict(), asdict(alert.facts))
        _assert_same(written["facts"], asdict(alert.facts))
        assert RaceFacts.from_dict(alert.facts.to_dict()) == alert.facts
        assert RaceFacts.from_dict(json.loads(json.dumps(alert.facts.to_dict()))) == alert.facts
    assert Alert.from_dict(written) == alert
    assert json.dumps(written, sort_keys=True) == json.dumps(
        {**written, "facts": _asdict_or_none(alert.facts)}, sort_keys=True
    )


def _asdict_or_none(facts: RaceFacts | None) -> dict[str, Any] | None:
    return asdict(facts) if facts is not None else None


def test_the_facts_dict_is_a_copy_the_facts_do_not_share() -> None:
    written = EVERYTHING.to_dict()
    written["runoff_rule"]["threshold"] = "2/3"
    written["candidates"][0]["votes"] = 0
    assert EVERYTHING.runoff_rule is not None and EVERYTHING.runoff_rule["threshold"] == "1/2"
    assert EVERYTHING.candidates[0].votes == 355_000
    assert EVERYTHING.to_dict() == asdict(EVERYTHING)


def test_a_candidates_dict_is_asdicts() -> None:
    for candidate in (*EVERYTHING.candidates, CandidateFacts(*(c.id for c in CANDIDATES[:2]), None, 0)):
        _assert_same(candidate.to_dict(), asdict(candidate))
