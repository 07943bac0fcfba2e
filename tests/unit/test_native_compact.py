"""Our format's compact writer (issue 13: orjson writes a national snapshot's races): the same
document whichever encoder writes it, values orjson refuses written all the same, and documents
stored by earlier releases (spaced separators) read back as before."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from benchmarks.national import replies
from bot.codec import native
from bot.core.model import Race, ReportingUnit, Snapshot
from bot.feeds.ap.reply import parse_ap
from bot.rehearsal.scenarios import load_scenario


def last() -> Snapshot:
    return load_scenario()[-1]


def test_the_compact_document_is_the_standard_librarys_with_compact_separators() -> None:
    snap = replace(last(), meta={"note": "é ∑ \n \u2028"})
    expected = json.dumps(native.to_document(snap), ensure_ascii=False, separators=(",", ":"))
    assert native.dumps(snap).decode("utf-8") == expected
    races = [native.race_json(r) for r in snap.races.values()]
    assert native.document_text(snap, races) == expected


def test_a_count_past_64_bits_is_written_and_read_back_exactly() -> None:
    """orjson refuses the integer; the standard library writes it, in the same compact form."""
    snap = last()
    race = next(iter(snap.races.values()))
    unit = replace(race.units[-1], votes={k: 2**70 + i for i, k in enumerate(race.units[-1].votes)})
    huge = replace(snap, races={race.key: replace(race, units=(*race.units[:-1], unit))})
    text = native.race_json(huge.races[race.key])
    assert str(2**70) in text and ", " not in text
    assert native.parse(native.dumps(huge), huge.feed) == huge


def test_a_document_stored_apart_by_an_earlier_release_reads_back_whole() -> None:
    """Releases before the compact writer stored ``"races": []`` and ``"races_apart": true``."""
    snap = last()
    races = [json.dumps(json.loads(native.race_json(r)), ensure_ascii=False) for r in snap.races.values()]
    compact = native.document_text(snap, [], races_apart=True)
    spaced = json.dumps(json.loads(compact), ensure_ascii=False)
    assert '"races": []' in spaced and '"races_apart": true' in spaced
    for document in (compact, spaced):
        assert native.races_apart(document)
        assert native.parse(native.with_races(document, races), snap.feed) == snap
    assert not native.races_apart(native.document_text(snap, races))


def _document_of(race: Race) -> dict[str, Any]:
    """The format as it was written by hand before the Structs (the oracle): every key in this
    order, the optional ones only when set."""
    doc: dict[str, Any] = {
        "state": race.state,
        "id": race.race_id,
        "office": race.office,
        "office_id": race.office_id,
        "seat": race.seat,
        "race_type": race.race_type,
        "general": race.general,
        "test": race.test,
        "call": {
            "status": race.call_status.value,
            "winners": list(race.winners),
            "runoff": list(race.runoff),
            "race_call_status": race.race_call_status,
        },
        "tabulation_status": race.tabulation_status,
        "eevp": race.expected_vote_pct,
        "seats": race.seats,
        "national": race.national,
        "last_updated": native._iso(race.last_updated) if race.last_updated else None,  # noqa: SLF001
    }
    for key, value in (("flipped_seat", race.flipped_seat), ("party", race.party), ("county", race.county)):
        if value is not None:
            doc[key] = value
    doc["candidates"] = [
        {"id": c.id, "name": c.name, "party": c.party, "incumbent": c.incumbent, "pseudo": c.pseudo} for c in race.candidates
    ]
    doc["units"] = [_unit_document(u) for u in race.units]
    return doc


def _unit_document(u: ReportingUnit) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": u.id, "level": u.level.value, "name": u.name}
    if u.fips:
        doc["fips"] = u.fips
    if u.precincts_total is not None:
        doc["precincts_reporting"] = u.precincts_reporting
        doc["precincts_total"] = u.precincts_total
    if u.expected_vote_pct is not None:
        doc["eevp"] = u.expected_vote_pct
    if u.last_updated is not None:
        doc["last_updated"] = native._iso(u.last_updated)  # noqa: SLF001
    if u.registered_voters:
        doc["registered_voters"] = u.registered_voters
    doc["votes"] = dict(u.votes)
    return doc


def _as_dicts(race: Race) -> str:
    """The oracle's document as orjson (or the standard library) writes it."""
    return native._encode(_document_of(race))  # noqa: SLF001


def _odd_races() -> list[Race]:
    """The Alabama night's races with every optional key set and unset, and values at the edges
    of what the writers could treat differently."""
    race = next(iter(last().races.values()))
    state, county = race.units[0], race.units[1]
    at = datetime(2017, 12, 13, 3, 58, 1, 120000, tzinfo=UTC)
    odd_unit = replace(
        county,
        fips="",  # written only when there is one
        precincts_reporting=None,
        precincts_total=None,
        expected_vote_pct=0.0,  # 0 is a value: written
        last_updated=None,
        registered_voters=0,  # 0 means "not given": not written
        votes={},
    )
    full_unit = replace(
        county, expected_vote_pct=33.333333333333336, last_updated=at, registered_voters=12, votes={"a": 2**70}
    )
    return [
        race,
        replace(race, flipped_seat=True, party="Dem", county="Jefferson", last_updated=at, expected_vote_pct=1e-7),
        replace(race, flipped_seat=False, party=None, county=None, last_updated=None, expected_vote_pct=None),
        replace(race, units=(state, odd_unit)),
        replace(race, units=(state, full_unit)),
        replace(race, units=(state, replace(county, precincts_reporting=None, precincts_total=5))),  # a half pair, as it is
        replace(race, units=(), candidates=()),
        replace(race, office='é ∑ \n \u2028 \x01 \x7f / " \\', seat="Place 2"),
        replace(race, office="Jones\ud800"),  # msgspec refuses a lone surrogate: the dict writer's way
    ]


def test_race_json_and_the_documents_races_are_the_format_as_written_by_hand() -> None:
    races = [*last().races.values(), *load_scenario()[0].races.values(), *_odd_races()]
    for race in races:
        assert native.race_json(race) == _as_dicts(race), race.key
        assert native._race_doc(race) == _document_of(race), race.key  # noqa: SLF001  # to_document's races
    # and a national night's races, every shape its generator makes
    for body, _ in replies(seed=5, polls=2, scale=0.02):
        for race in parse_ap(body, "national").races:
            assert native.race_json(race) == _as_dicts(race), race.key
