"""One model, one validation: every snapshot the model admits goes into the store and comes back
equal, and every race the model refuses the store's codec refuses too.

The night the store refused its own snapshot (a race with no candidates, written by the poller,
then "List should have at least 1 item" on every read) came from two validations that disagreed.
Here both directions are drawn at random: snapshots built to satisfy ``bot.core.invariants`` (zero or
one candidate included, long and non-ASCII names, every optional field) must round-trip through
SQLite exactly; and one broken detail of any such race must be refused by both checks.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.codec import native
from bot.core.invariants import MAX_ID, MAX_NAME, race_problem, snapshot_problem
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit, Snapshot, TrendParty, TrendTable
from bot.store.database import Store
from tests.databases import db_url

PROPS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-10))]
)
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES)
#: any character the store can hold, non-ASCII included: no lone surrogate, no NUL (PostgreSQL)
STORABLE = st.characters(codec="utf-8", exclude_characters="\x00")
#: any text the store can hold
TEXT = st.text(STORABLE, max_size=20)
IDS = st.text(STORABLE, min_size=1, max_size=12)
NAMES = st.one_of(
    st.text(STORABLE, min_size=1, max_size=30), st.text(STORABLE, min_size=MAX_NAME - 2, max_size=MAX_NAME)
).filter(str.strip)
PERCENT = st.none() | st.floats(0, 100, allow_nan=False) | st.integers(0, 100).map(float)
RACE_FIELDS = {f.name for f in fields(Race)}
UNIT_FIELDS = {f.name for f in fields(ReportingUnit)}


@st.composite
def candidates(draw) -> tuple[Candidate, ...]:
    ids = draw(st.lists(IDS, max_size=4, unique=True))  # none and one are races too
    return tuple(
        Candidate(
            cid, draw(NAMES), draw(st.none() | st.text(STORABLE, max_size=60)), draw(st.booleans()), draw(st.booleans())
        )
        for cid in ids
    )


@st.composite
def units(draw, state: str, cand_ids: list[str]) -> tuple[ReportingUnit, ...]:
    if not draw(st.booleans()):
        return ()
    sub_ids = draw(st.lists(IDS.filter(lambda s: s != state), max_size=3, unique=True))
    rows = []
    for uid, level in [(state, Level.STATE)] + [
        (u, draw(st.sampled_from([Level.COUNTY, Level.TOWN, Level.PRECINCT, Level.DISTRICT]))) for u in sub_ids
    ]:
        votes = {cid: draw(st.integers(0, 10**12)) for cid in cand_ids if draw(st.booleans())}
        total = draw(st.none() | st.integers(0, 5000))
        reporting = None if total is None else draw(st.integers(0, total))
        rows.append(
            ReportingUnit(
                uid,
                level,
                draw(NAMES),
                votes,
                fips=draw(st.none() | st.from_regex(r"\A[0-9]{5}\Z")),
                precincts_reporting=reporting,
                precincts_total=total,
                expected_vote_pct=draw(PERCENT),
                last_updated=draw(st.none() | MOMENTS),
                **(
                    {"registered_voters": draw(st.none() | st.integers(1, 10**9))}
                    if "registered_voters" in UNIT_FIELDS
                    else {}
                ),
            )
        )
    return tuple(rows)


@st.composite
def races(draw) -> Race:
    state = draw(st.sampled_from(["AL", "GA", "RI", "ME", "TX"]))
    cands = draw(candidates())
    ids = [c.id for c in cands]
    winners = tuple(draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))) if ids else ()
    runoff = tuple(draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))) if ids else ()
    status = draw(st.sampled_from([CallStatus.NONE, CallStatus.RUNOFF] + ([CallStatus.CALLED] if winners else [])))
    race = Race(
        state=state,
        race_id=draw(IDS),
        office=draw(NAMES),
        candidates=cands,
        units=draw(units(state, ids)),
        office_id=draw(st.none() | TEXT),
        seat=draw(st.none() | TEXT),
        race_type=draw(TEXT),
        general=draw(st.booleans()),
        test=draw(st.booleans()),
        call_status=status,
        winners=winners,
        runoff=runoff,
        race_call_status=draw(st.none() | TEXT),
        tabulation_status=draw(st.none() | TEXT),
        expected_vote_pct=draw(PERCENT),
        seats=draw(st.integers(1, 3)),
        national=draw(st.booleans()),
        last_updated=draw(st.none() | MOMENTS),
        flipped_seat=draw(st.none() | st.booleans()),
    )
    extra = {
        name: draw(st.none() | TEXT) for name in ("party", "county") if name in RACE_FIELDS
    }  # a primary's party, a county feed's county
    return replace(race, **extra) if extra else race


@st.composite
def trendtables(draw) -> TrendTable:
    names = draw(st.lists(st.text(STORABLE, min_size=1, max_size=60), min_size=1, max_size=3, unique=True))
    counts = st.integers(0, 500)
    parties = tuple(
        TrendParty(
            p,
            draw(counts),
            draw(counts),
            draw(counts),
            draw(st.none() | counts),
            draw(st.none() | counts),
            draw(st.integers(-50, 50)),
            draw(st.integers(-50, 50)),
        )
        for p in names
    )
    return TrendTable(
        draw(st.text(STORABLE, max_size=40)),
        draw(st.none() | st.text(STORABLE, max_size=10)),
        draw(st.booleans()),
        draw(st.none() | MOMENTS),
        parties,
    )


@st.composite
def snapshots(draw) -> Snapshot:
    drawn = draw(st.lists(races(), max_size=4))
    by_key = {race.key: race for race in drawn}
    return Snapshot(
        feed="f",
        generated_at=draw(MOMENTS),
        races=by_key,
        election_date=draw(st.none() | st.dates(date(1990, 1, 1), date(2100, 1, 1))),
        test=draw(st.booleans()),
        version=draw(st.none() | TEXT),
        meta=draw(st.dictionaries(TEXT, TEXT, max_size=2)),
        balance=tuple(draw(st.lists(trendtables(), max_size=2))),
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(db_url(Path(tmp_path_factory.mktemp("roundtrip")) / "store.db"))


@PROPS
@given(snap=snapshots())
def test_any_snapshot_the_model_admits_comes_back_from_the_store_equal(
    store: Store, caplog: pytest.LogCaptureFixture, snap: Snapshot
) -> None:
    caplog.clear()
    assert snapshot_problem(snap) is None  # what the strategy builds, the model admits
    with caplog.at_level(logging.WARNING):
        store.commit_poll(snap, {}, {}, [])
        stored = store.load("f")
    assert stored is not None and stored.snapshot == snap
    assert [r.getMessage() for r in caplog.records] == []  # nothing left out on the way back


def _race(race: Race, **changes: object) -> Race:
    return replace(race, **changes)


def _unit(race: Race, index: int, **changes: object) -> Race:
    units = list(race.units)
    units[index] = replace(units[index], **changes)
    return replace(race, units=tuple(units))


#: one broken detail each, applied to a race with two candidates and a state row plus a county
BREAKS = {
    "no candidate name": lambda r: _race(r, candidates=(replace(r.candidates[0], name=""), *r.candidates[1:])),
    "a name of 301 characters": lambda r: _race(
        r, candidates=(replace(r.candidates[0], name="x" * (MAX_NAME + 1)), *r.candidates[1:])
    ),
    "an id of 121 characters": lambda r: _race(r, race_id="7" * (MAX_ID + 1)),
    "a lone surrogate in a name": lambda r: _race(r, office="Senate \ud800"),
    "a NUL in a race id": lambda r: _race(r, race_id="10\x0000"),
    "a repeated candidate id": lambda r: _race(r, candidates=(r.candidates[0], r.candidates[0])),
    "negative votes": lambda r: _unit(r, 1, votes={"a": -1}),
    "votes as true/false": lambda r: _unit(r, 1, votes={"a": True}),
    "votes as a float": lambda r: _unit(r, 1, votes={"a": 1.0}),
    "votes for an unknown candidate": lambda r: _unit(r, 1, votes={"ghost": 3}),
    "more precincts in than exist": lambda r: _unit(r, 1, precincts_reporting=9, precincts_total=2),
    "one precinct count without the other": lambda r: _unit(r, 1, precincts_reporting=None),
    "eevp above 100": lambda r: _unit(r, 0, expected_vote_pct=100.5),
    "eevp not a number": lambda r: _race(r, expected_vote_pct=math.nan),
    "a four-digit FIPS": lambda r: _unit(r, 1, fips="1001"),
    "two state rows": lambda r: _unit(r, 1, level=Level.STATE),
    "a repeated unit id": lambda r: _unit(r, 1, id=r.units[0].id),
    "a call naming an unknown candidate": lambda r: _race(r, winners=("ghost",), call_status=CallStatus.CALLED),
    "a call without winners": lambda r: _race(r, call_status=CallStatus.CALLED, winners=()),
    "a state that is not a postal code": lambda r: _race(r, state="A1"),
    "no seats": lambda r: _race(r, seats=0),
    "negative registered voters": lambda r: _unit(r, 0, registered_voters=-5),
}

GOOD = Race(
    "AL",
    "1000",
    "U.S. Senate",
    (Candidate("a", "Doug Jones", "Dem"), Candidate("b", "Roy Moore", "GOP")),
    (
        ReportingUnit("AL", Level.STATE, "Alabama", {"a": 10, "b": 8}, precincts_reporting=1, precincts_total=3),
        ReportingUnit(
            "01001", Level.COUNTY, "Autauga", {"a": 10, "b": 8}, fips="01001", precincts_reporting=1, precincts_total=3
        ),
    ),
)


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_race_the_model_refuses_the_store_codec_refuses_too(name: str) -> None:
    """Both directions of "one validation": the broken race is refused by the invariants the
    adapters run, and a document carrying it is read without it (the rest of the document kept)."""
    bad = BREAKS[name](GOOD)
    other = replace(GOOD, race_id="2000")
    assert race_problem(GOOD) is None and race_problem(other) is None
    assert race_problem(bad) is not None, name
    doc = native.to_document(Snapshot.of("f", datetime(2017, 12, 13, 3, tzinfo=UTC), [other]))
    doc["races"].append(native._race_doc(bad))
    reading = native.read(json.dumps(doc, allow_nan=True), "f")  # ensure_ascii: a lone surrogate travels escaped
    assert list(reading.snapshot.races) == ["AL-2000"]
    (left_out,) = reading.left_out
    assert left_out.what == "race"


def test_counties_without_a_state_row_are_completed_by_the_codec_into_what_the_model_admits() -> None:
    """The one thing the document may leave out that the model requires: the state row, which a
    producer of counties only may omit and the reader sums (and the store always writes)."""
    bad = replace(GOOD, units=GOOD.units[1:])
    assert race_problem(bad) == "units but no state-level unit (the state total)"
    doc = native.to_document(Snapshot.of("f", datetime(2017, 12, 13, 3, tzinfo=UTC), [bad]))
    race = native.read(json.dumps(doc), "f").snapshot.races["AL-1000"]
    assert race_problem(race) is None and race.state_unit is not None and dict(race.state_unit.votes) == {"a": 10, "b": 8}


def test_a_naive_time_on_a_race_is_refused_by_both() -> None:
    naive = datetime(2017, 12, 12, 20, 0)
    assert race_problem(replace(GOOD, last_updated=naive)) == "last_updated is not a time with a zone"
    doc = native.to_document(Snapshot.of("f", datetime(2017, 12, 13, 3, tzinfo=UTC), [GOOD]))
    doc["races"][0]["last_updated"] = naive.isoformat()
    reading = native.read(json.dumps(doc), "f")
    assert reading.snapshot.races == {} and "last_updated is not a time with a zone" in reading.left_out[0].reason


@pytest.mark.parametrize(
    "roster", [(), (Candidate("a", "Tom Whatley", "GOP"),), (Candidate("wi", "Write-ins", pseudo=True),)]
)
def test_a_race_with_no_candidate_or_one_is_admitted_and_stored(roster: tuple[Candidate, ...], tmp_path: Path) -> None:
    votes = {c.id: 5 for c in roster}
    race = Race(
        "AL",
        "3001",
        "State House District 7",
        roster,
        (ReportingUnit("AL", Level.STATE, "Alabama", votes, precincts_reporting=0, precincts_total=4),),
    )
    snap = Snapshot.of("f", datetime(2017, 12, 13, 3, tzinfo=UTC), [race, GOOD])
    assert snapshot_problem(snap) is None and race.uncontested
    store = Store(db_url(tmp_path / "s.db"))
    store.commit_poll(snap, {}, {}, [])
    stored = store.load("f")
    assert stored is not None and stored.snapshot == snap


def test_the_round_trip_draws_every_field_of_the_model() -> None:
    """A field added to the model and not drawn above would escape the round-trip property (and
    the codec could drop it unseen): extend the strategies and ``bot.core.invariants`` with it."""
    drawn = {
        Race: {
            "state",
            "race_id",
            "office",
            "candidates",
            "units",
            "office_id",
            "seat",
            "race_type",
            "general",
            "test",
            "call_status",
            "winners",
            "runoff",
            "race_call_status",
            "tabulation_status",
            "expected_vote_pct",
            "seats",
            "national",
            "last_updated",
            "flipped_seat",
            "party",
            "county",
        },
        ReportingUnit: {
            "id",
            "level",
            "name",
            "votes",
            "fips",
            "precincts_reporting",
            "precincts_total",
            "expected_vote_pct",
            "last_updated",
            "registered_voters",
        },
        Candidate: {"id", "name", "party", "incumbent", "pseudo"},
        Snapshot: {"feed", "generated_at", "races", "election_date", "test", "version", "meta", "balance"},
        TrendTable: {"office", "office_type", "test", "timestamp", "parties"},
    }
    for kind, known in drawn.items():
        assert {f.name for f in fields(kind)} <= known, kind.__name__
