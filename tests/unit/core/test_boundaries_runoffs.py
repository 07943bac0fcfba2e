"""The runoff rules' memory and keys pinned exactly (the mutation run found them unpinned): each
runoff line has a key of its own counted from the race's memory, the feed's flags silence and
then un-silence our reckoning, and "avoids a runoff" is said only where one was in play."""

from __future__ import annotations

from dataclasses import replace

from bot.core.events import EventKind
from bot.core.model import CallStatus, Candidate
from bot.core.rules import RaceMemory, evaluate
from tests.unit.core.helpers import AT, race
from tests.unit.core.test_runoffs import SETTINGS, ga_primary, georgia, night


def _keys(out, kind: EventKind) -> list[tuple[int, str]]:
    return [(i, e.key) for i, e in out if e.kind is kind]


def test_headed_pair_and_withdrawal_keys_count_from_the_memory():
    flagged = replace(georgia(), runoff=("warnock", "loeffler"), call_status=CallStatus.RUNOFF, race_call_status="Runoff")
    out, _, mem = night([georgia(), flagged, flagged, georgia(), georgia()])
    assert _keys(out, EventKind.RUNOFF_HEADED) == [(0, "ap/GA-1/runoff_headed/1")]
    assert _keys(out, EventKind.RUNOFF_PAIR) == [(0, "ap/GA-1/runoff_pair/2/loeffler-warnock")]
    (withdrawn,) = [e for _, e in out if e.kind is EventKind.RUNOFF_WITHDRAWN]
    assert withdrawn.key == "ap/GA-1/runoff_withdrawn/3"
    assert (
        sorted(withdrawn.details["previous_pair"]) == ["loeffler", "warnock"]
        and withdrawn.details["previous_headed"] is True
    )
    assert (mem.runoff_passes, mem.runoff_headed, mem.runoff_pair, mem.runoff_silenced) == (3, False, (), True)


def test_a_withdrawal_of_a_headed_race_without_a_pair_is_said():
    mem = RaceMemory(had_votes=True, runoff=("a", "b"), runoff_headed=True, runoff_passes=1)
    res = evaluate("ap", None, ga_primary(40, 35, 25), mem, SETTINGS, AT)
    got = [e for e in res.events if e.kind is EventKind.RUNOFF_WITHDRAWN]
    assert [(e.key, e.details["previous_pair"], e.details["previous_headed"]) for e in got] == [
        ("ap/GA-1/runoff_withdrawn/2", [], True)
    ]
    assert res.memory.runoff_passes == 2 and res.memory.runoff_silenced is True


def test_the_feeds_runoff_flags_alone_silence_us_and_lift_a_silence():
    flags_only = replace(ga_primary(40, 35, 25), runoff=("a", "b"))  # R flags, call status not (yet) "runoff"
    assert flags_only.call_status is CallStatus.NONE
    res = evaluate("ap", None, flags_only, RaceMemory(runoff_silenced=True), SETTINGS, AT)
    assert not {EventKind.RUNOFF_HEADED, EventKind.RUNOFF_PAIR} & {e.kind for e in res.events}
    assert res.memory.runoff_silenced is False
    called = replace(ga_primary(60, 25, 15), winners=("a",), call_status=CallStatus.CALLED)
    assert evaluate("ap", None, called, RaceMemory(runoff_silenced=True), SETTINGS, AT).memory.runoff_silenced is True


def test_a_single_vote_is_enough_to_reckon_with():
    out, _, _ = night([ga_primary(1, 0, 0)])
    assert _keys(out, EventKind.RUNOFF_AVOIDED) == [(0, "ap/GA-1/runoff_avoided/1")]


def test_avoided_once_then_headed_counts_on():
    out, _, mem = night([ga_primary(501, 299, 200), ga_primary(501, 299, 200), ga_primary(600, 500, 400)])
    assert _keys(out, EventKind.RUNOFF_AVOIDED) == [(0, "ap/GA-1/runoff_avoided/1")]
    assert _keys(out, EventKind.RUNOFF_HEADED) == [(2, "ap/GA-1/runoff_headed/2")]
    assert mem.runoff_avoided is True and mem.runoff_passes == 3


def test_two_names_avoid_a_runoff_only_when_write_ins_were_in_play():
    two = (
        Candidate("a", "Ann Able", "Dem"),
        Candidate("b", "Bob Baker", "GOP"),
        Candidate("w", "Write-ins", None, pseudo=True),
    )

    def ga(w: int):
        return race({"a": 600, "b": 390, "w": w}, state="GA", candidates=two, race_type="General")

    with_write_ins, _, _ = night([ga(10)])
    assert _keys(with_write_ins, EventKind.RUNOFF_AVOIDED) == [(0, "ap/GA-1/runoff_avoided/1")]
    without, _, mem = night([ga(0)])
    assert _keys(without, EventKind.RUNOFF_AVOIDED) == [] and mem.runoff_avoided is False


def test_headed_then_avoided_counts_on():
    out, _, mem = night([ga_primary(600, 500, 400), ga_primary(901, 500, 400)])  # 901 of 1,801 is a majority
    assert [k for _, k in _keys(out, EventKind.RUNOFF_HEADED) + _keys(out, EventKind.RUNOFF_AVOIDED)] == [
        "ap/GA-1/runoff_headed/1",
        "ap/GA-1/runoff_avoided/3",
    ]
    assert mem.runoff_passes == 3
