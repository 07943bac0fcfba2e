"""Every adapter keeps its races keyed (``with_last_good`` and the ``Snapshot`` constructor): the
snapshot must be the one the listed path built before (the races as a list, each left-out race's
old version appended once, then ``Snapshot.of``: ``_listed_last_good`` below), race for race and
in the same order, whatever was left out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from benchmarks.national import replies
from bot.codec.errors import LeftOut
from bot.core.model import Race, Snapshot
from bot.feeds.ap.reply import parse_ap
from bot.feeds.source import with_last_good

AT = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)


def _night() -> tuple[Snapshot, list[Race]]:
    """A small national night: the full reply as the previous snapshot, and the races of the
    next poll as a delta merges them (the previous races, the changed ones replaced)."""
    (full, _), (delta, _) = replies(seed=3, polls=2, scale=0.02)
    previous = Snapshot.of("national", AT, parse_ap(full, "national").races)
    merged = dict(previous.races)
    for race in parse_ap(delta, "national").races:
        merged[race.key] = race
    return previous, list(merged.values())


def _left_out(previous: Snapshot, races: list[Race]) -> list[LeftOut]:
    """Every kind of left-out line: a race the merge lacks (its old version comes back, once),
    one it has, one the previous snapshot never had, a unit with no race key."""
    gone = list(previous.races)[5]
    return [
        LeftOut("race", gone, "garbled", gone),
        LeftOut("race", gone, "garbled again", gone),
        LeftOut("race", races[0].key, "garbled", races[0].key),
        LeftOut("race", "ZZ-404", "never seen", "ZZ-404"),
        LeftOut("unit", "12345", "no name", None),
    ]


def _listed_last_good(races: list[Race], left_out: list[LeftOut], previous: Snapshot | None, test: bool) -> list[Race]:
    """The list form ``with_last_good`` had before it took keyed races: the oracle."""
    kept = list(races)
    if previous is None or previous.test != test:
        return kept
    have = {race.key for race in kept}
    for item in left_out:
        key = item.race_key
        if key is not None and key not in have and (old := previous.races.get(key)) is not None:
            kept.append(old)
            have.add(key)
    return kept


def _listed(previous: Snapshot | None, races: list[Race], left_out: list[LeftOut], test: bool) -> Snapshot:
    return Snapshot.of("national", AT, _listed_last_good(races, left_out, previous, test), test=test)


def _keyed(previous: Snapshot | None, races: list[Race], left_out: list[LeftOut], test: bool) -> Snapshot:
    return Snapshot(
        feed="national",
        generated_at=AT,
        races=with_last_good({r.key: r for r in races}, left_out, previous, test),
        test=test,
    )


@pytest.mark.parametrize("case", ["left out", "nothing left out", "no previous", "test after live"])
def test_keyed_last_good_builds_the_snapshot_the_listed_path_builds(case: str) -> None:
    previous, all_races = _night()
    gone = list(previous.races)[5]
    races = [r for r in all_races if r.key != gone]
    left_out = [] if case == "nothing left out" else _left_out(previous, races)
    prior = None if case == "no previous" else previous
    test = case == "test after live"
    listed, keyed = _listed(prior, races, left_out, test), _keyed(prior, races, left_out, test)
    assert list(keyed.races) == list(listed.races)
    assert all(keyed.races[k] is listed.races[k] for k in listed.races)
    assert keyed == listed
    # the race left out comes back (after the others) only when the previous snapshot can give it
    assert (gone in keyed.races) == (case == "left out")
    if case == "left out":
        assert list(keyed.races)[-1] == gone and keyed.races[gone] is previous.races[gone]


def test_keyed_last_good_never_takes_a_race_across_test_and_live() -> None:
    previous, races = _night()
    test_previous = replace(previous, test=True)
    gone = list(previous.races)[5]
    kept = with_last_good(
        {r.key: r for r in races if r.key != gone}, [LeftOut("race", gone, "x", gone)], test_previous, False
    )
    assert gone not in kept
