"""Our own feed format: round trips exactly, and refuses bad documents whole with a clear reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds import native
from bot.feeds.errors import FeedError
from bot.scenarios import load_scenario


def doc(**race_overrides: object) -> dict:
    race = {
        "state": "al",
        "id": "1",
        "office": "U.S. Senate",
        "candidates": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
        "units": [
            {"id": "01001", "level": "county", "name": "Autauga", "precincts_reporting": 1, "precincts_total": 2, "votes": {"a": 3, "b": 4}},
            {"id": "01003", "level": "county", "name": "Baldwin", "precincts_reporting": 0, "precincts_total": 5, "votes": {"a": 0, "b": 0}},
        ],
    }
    race.update(race_overrides)
    return {"format": "electionbot/1", "generated_at": "2017-12-13T01:30:00Z", "races": [race]}


def test_every_scenario_snapshot_round_trips() -> None:
    for snap in load_scenario():
        assert native.parse(native.dumps(snap), snap.feed) == snap


def test_state_row_is_summed_from_counties_with_precincts() -> None:
    snap = native.parse(json.dumps(doc()), "f")
    race = snap.races["AL-1"]
    state = race.state_unit
    assert state is not None and state.name == "Alabama"
    assert dict(state.votes) == {"a": 3, "b": 4}
    assert (state.precincts_reporting, state.precincts_total) == (1, 7)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d["races"][0]["units"][0]["votes"].update(a=-1), "greater than or equal to 0"),
        (lambda d: d["races"][0]["units"][0]["votes"].update(a="12"), "valid integer"),
        (lambda d: d["races"][0]["units"][0]["votes"].update(z=1), "unknown candidates"),
        (lambda d: d["races"][0]["units"][0].update(precincts_reporting=9), "more precincts reporting"),
        (lambda d: d.update(generated_at="2017-12-13T01:30:00"), "time zone"),
        (lambda d: d.update(format="other/2"), "not an electionbot/1 document"),
        (lambda d: d["races"][0].update(call={"status": "called", "winners": []}), "names its winners"),
        (lambda d: d["races"].append(dict(d["races"][0])), "share a state and race id"),
    ],
)
def test_bad_documents_are_refused_with_the_reason(mutate, reason: str) -> None:
    d = doc()
    mutate(d)
    with pytest.raises(FeedError, match=reason):
        native.parse(json.dumps(d), "f")


def test_truncated_and_non_json_bodies_are_feed_errors() -> None:
    body = json.dumps(doc()).encode()
    for bad in (body[: len(body) // 2], b"<html>502 Bad Gateway</html>", b"\xff\xfe", b"[]", b"null", b"[" * 100_000):
        with pytest.raises(FeedError):
            native.parse(bad, "f")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_ever_raise_feed_error(data: bytes) -> None:
    try:
        native.parse(data, "f")
    except FeedError:
        pass
