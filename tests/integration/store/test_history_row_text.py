"""A history row's columns are what ``json.dumps`` and ``point_of`` make of a race, to the byte,
whichever way ``bot.store.history`` builds them (the usual shapes by hand, the first poll's rows
without building a point): rows written by earlier releases compare equal to new ones after a
restart (``record_changes``' undecoded comparison)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.history import point_of
from bot.core.model import Race
from bot.store.history import _compared, stored_point, votes_text, winners_text
from tests.integration.test_store_roundtrip import PROPS, races


@PROPS
@given(st.dictionaries(st.text(), st.integers() | st.booleans(), max_size=12))
@example({})
@example({"8639": 1_234_567, "8640": 0, "10": 5})  # sorted as text, not as numbers
@example({"é": 1, "\ud800": 2, 'a"b\\c\n': 3})  # escaped as json escapes them (ensure_ascii)
@example({"1": True, "2": 10**30})  # a bool (not a count) and a count past 64 bits
def test_votes_are_written_as_json_writes_them(votes: dict[str, int]) -> None:
    assert votes_text(votes) == json.dumps(votes, sort_keys=True)


@PROPS
@given(st.lists(st.text() | st.integers(), max_size=4))
@example([])
@example(["8639", "é\ud800\"'"])
def test_winners_are_written_as_json_writes_them(winners: list[str]) -> None:
    assert winners_text(tuple(winners)) == json.dumps(winners)


@PROPS  # no deadline: a loaded machine must not fail a property
@given(races())
def test_a_first_poll_row_holds_the_columns_of_the_races_point(race: Race) -> None:
    # as drawn, and with the share only on the race (the state row's is taken first)
    shared = replace(race, expected_vote_pct=42.5, units=tuple(replace(u, expected_vote_pct=None) for u in race.units))
    for each in (race, shared):
        point = point_of(each, datetime(2026, 11, 4, tzinfo=UTC))
        assert stored_point(each) == (_compared(point) if point is not None else None)
