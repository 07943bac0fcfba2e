"""A quiet race costs little: no events, no facts worked out, and its memory handed back as is.

On a national first poll most races have nothing to say (no votes yet) and a delta poll
re-evaluates races whose statuses did not move: neither builds the numbers an alert states nor
copies the memory, which the store reads as "unchanged" (it reuses the entry's JSON)."""

from __future__ import annotations

from dataclasses import replace

from bot.core.rules import RaceMemory, evaluate
from tests.unit.core.helpers import AT, SETTINGS, race


def test_a_race_with_no_votes_has_no_events_and_no_facts() -> None:
    res = evaluate("t", None, race({"a": 0, "b": 0}), RaceMemory(), SETTINGS, AT)
    assert res.events == [] and res.facts is None


def test_a_race_with_events_states_them_with_its_facts() -> None:
    res = evaluate("t", None, race({"a": 120, "b": 80}), RaceMemory(), SETTINGS, AT)
    assert res.events and res.facts is not None and res.facts.total_votes == 200


def test_evaluating_again_with_the_memory_hands_back_the_same_memory_object() -> None:
    r = race({"a": 120, "b": 80})
    first = evaluate("t", None, r, RaceMemory(), SETTINGS, AT)
    again = evaluate("t", r, r, first.memory, SETTINGS, AT)
    assert again.events == [] and again.memory is first.memory


def test_a_status_change_makes_a_new_memory() -> None:
    r = race({"a": 120, "b": 80})
    first = evaluate("t", None, r, RaceMemory(), SETTINGS, AT)
    paused = replace(r, tabulation_status="Tabulation Paused")
    again = evaluate("t", r, paused, first.memory, SETTINGS, AT)
    assert again.memory is not first.memory and again.memory.tabulation_status == "Tabulation Paused"
