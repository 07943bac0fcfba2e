"""A history row's votes are ``json.dumps(votes, sort_keys=True)`` to the byte, whoever writes
them (``bot.store.history.votes_text`` writes the usual shape by hand): rows written by earlier
releases compare equal to new ones after a restart (``record_changes``' undecoded comparison)."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from bot.store.history import votes_text


@given(st.dictionaries(st.text(), st.integers() | st.booleans(), max_size=12))
@example({})
@example({"8639": 1_234_567, "8640": 0, "10": 5})  # sorted as text, not as numbers
@example({"é": 1, "\ud800": 2, 'a"b\\c\n': 3})  # escaped as json escapes them (ensure_ascii)
@example({"1": True, "2": 10**30})  # a bool (not a count) and a count past 64 bits
def test_votes_are_written_as_json_writes_them(votes: dict[str, int]) -> None:
    assert votes_text(votes) == json.dumps(votes, sort_keys=True)
