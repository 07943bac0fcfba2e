"""Our own feed format: round trips exactly, and refuses bad documents whole with a clear reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.codec import native
from bot.codec.errors import FeedError
from bot.rehearsal.scenarios import load_scenario


def doc(**race_overrides: object) -> dict:
    race = {
        "state": "al",
        "id": "1",
        "office": "U.S. Senate",
        "candidates": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
        "units": [
            {
                "id": "01001",
                "level": "county",
                "name": "Autauga",
                "precincts_reporting": 1,
                "precincts_total": 2,
                "votes": {"a": 3, "b": 4},
            },
            {
                "id": "01003",
                "level": "county",
                "name": "Baldwin",
                "precincts_reporting": 0,
                "precincts_total": 5,
                "votes": {"a": 0, "b": 0},
            },
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
        (lambda d: d["races"][0]["units"][0]["votes"].update(a=-1), "not a whole number ≥ 0"),
        (lambda d: d["races"][0]["units"][0]["votes"].update(a="12"), "valid integer"),
        (lambda d: d["races"][0]["units"][0]["votes"].update(z=1), "unknown candidate"),
        (lambda d: d["races"][0]["units"][0].update(precincts_reporting=9), "more precincts reporting"),
        (lambda d: d.update(generated_at="2017-12-13T01:30:00"), "time zone"),
        (lambda d: d.update(format="other/2"), "not an electionbot/1 document"),
        (lambda d: d["races"][0].update(call={"status": "called", "winners": []}), "names its winners"),
        (lambda d: d["races"].append(dict(d["races"][0])), "appears 2 times"),
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


def _native_totals(data: bytes | str) -> dict[str, int]:
    """Our own reading of an electionbot/1 document: race key → the votes of its state row, or
    the sum of its county rows when it has none (docs/feed-format.md)."""
    totals = {}
    for race in json.loads(data)["races"]:
        units = race.get("units") or []
        rows = [u for u in units if u.get("level") == "state"] or [u for u in units if u.get("level") == "county"]
        totals[f"{race['state'].upper()}-{race['id']}"] = sum(sum(u.get("votes", {}).values()) for u in rows)
    return totals


def _total(race: object) -> int | None:
    """The race's state row total; a race with no rows at all (nothing reported) counts 0."""
    unit = race.state_unit
    return unit.total_votes if unit is not None else (0 if not race.units else None)


def _parse_or_error(data: bytes | str) -> object:
    try:
        return native.parse(data, "f")
    except FeedError as exc:
        assert exc.reason.strip(), "a FeedError says what was wrong"
        return exc


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
@example(json.dumps(doc()).encode())
def test_arbitrary_bytes_give_a_feed_error_or_the_documents_totals(data: bytes) -> None:
    result = _parse_or_error(data)
    if not isinstance(result, FeedError):
        assert {k: _total(r) for k, r in result.races.items()} == _native_totals(data)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.sampled_from(["", "x", "AL", "county", "state", "12"]),
    st.just({}),
    st.just([]),
)


def _leaves(node: object, at: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*at, k))] + [at]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*at, i))] + [at]
    return [at]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_leaves(doc())), VALUES)
@example(("races", 0, "units", 0, "votes", "a"), 5)  # a plain change of count is read as written
def test_one_field_gone_wrong_gives_a_feed_error_or_the_documents_totals(path: tuple, value: object) -> None:
    d = doc()
    if path:
        node = d
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    data = json.dumps(d)
    result = _parse_or_error(data)
    if not isinstance(result, FeedError):
        assert {k: _total(r) for k, r in result.races.items()} == _native_totals(data)


# --- balance-of-power reports and flipped seats ----------------------------------------------

TREND = {
    "office": "U.S. Senate",
    "office_type": "S",
    "test": False,
    "timestamp": "2017-12-13T03:30:00Z",
    "parties": [
        {
            "party": "Dem",
            "won": 1,
            "leading": 0,
            "holdovers": 46,
            "winning_trend": 47,
            "current": 46,
            "net_winners": 1,
            "net_leaders": 0,
        },
        {"party": "GOP", "won": 0, "leading": 0, "holdovers": 51, "net_winners": -1},
    ],
}


def test_a_report_and_a_flipped_seat_round_trip() -> None:
    d = doc(flipped_seat=True, call={"status": "called", "winners": ["a"]})
    d["balance"] = [TREND]
    snap = native.parse(json.dumps(d), "f")
    assert snap.races["AL-1"].flipped_seat is True
    (table,) = snap.balance
    assert table.office_type == "S" and table.timestamp is not None and table.timestamp.tzinfo is not None
    assert [(p.party, p.seats, p.winning_trend, p.net_winners) for p in table.parties] == [
        ("Dem", 47, 47, 1),
        ("GOP", 51, None, -1),
    ]
    assert native.parse(native.dumps(snap), "f") == snap
    written = native.to_document(snap)
    assert written["balance"][0]["parties"][1] == {
        "party": "GOP",
        "won": 0,
        "leading": 0,
        "holdovers": 51,
        "winning_trend": None,
        "current": None,
        "net_winners": -1,
        "net_leaders": 0,
    }
    assert written["races"][0]["flipped_seat"] is True


def test_documents_without_them_read_as_not_said_and_are_written_as_before() -> None:
    snap = native.parse(json.dumps(doc()), "f")
    assert snap.balance == () and snap.races["AL-1"].flipped_seat is None
    last = load_scenario()[-1]
    written = native.to_document(last)
    assert "balance" not in written and all("flipped_seat" not in r for r in written["races"])
    assert native.parse(native.dumps(last), last.feed) == last


def test_flipped_false_is_kept_apart_from_not_said() -> None:
    snap = native.parse(json.dumps(doc(flipped_seat=False)), "f")
    assert snap.races["AL-1"].flipped_seat is False
    assert native.to_document(snap)["races"][0]["flipped_seat"] is False


def _with_report(**changes: object) -> dict:
    d = doc()
    report = json.loads(json.dumps(TREND))
    report.update(changes)
    d["balance"] = [report]
    return d


@pytest.mark.parametrize(
    ("d", "reason"),
    [
        (doc(flipped_seat="true"), "valid boolean"),
        (_with_report(parties=[]), "lists no party"),
        (_with_report(parties=[TREND["parties"][0], TREND["parties"][0]]), "not a distinct name"),
        (_with_report(parties=[dict(TREND["parties"][0], won=-1)]), "not whole numbers ≥ 0"),
        (_with_report(parties=[dict(TREND["parties"][0], holdovers="46")]), "valid integer"),
        (_with_report(timestamp="2017-12-13T03:30:00"), "timestamp is unusable"),
        (_with_report(test="no"), "valid boolean"),
    ],
)
def test_a_bad_report_or_flag_is_refused_with_the_reason(d: dict, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        native.parse(json.dumps(d), "f")
