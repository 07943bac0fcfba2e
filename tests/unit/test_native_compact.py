"""Our format's compact writer (issue 13: orjson writes a national snapshot's races): the same
document whichever encoder writes it, values orjson refuses written all the same, and documents
stored by earlier releases (spaced separators) read back as before."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from benchmarks.national import replies
from bot.codec import native
from bot.core.model import Race, Snapshot
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


def _as_dicts(race: Race) -> str:
    """The race as the dict writer writes it (``_race_doc``, orjson or the standard library)."""
    return native._encode(native._race_doc(race))  # noqa: SLF001  # the oracle for race_json's Structs


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
        replace(race, units=(), candidates=()),
        replace(race, office='é ∑ \n \u2028 \x01 \x7f / " \\', seat="Place 2"),
        replace(race, office="Jones\ud800"),  # msgspec refuses a lone surrogate: the dict writer's way
    ]


def test_race_json_writes_each_race_byte_for_byte_as_the_dict_writer_does() -> None:
    races = [*last().races.values(), *load_scenario()[0].races.values(), *_odd_races()]
    for race in races:
        assert native.race_json(race) == _as_dicts(race), race.key
    # and a national night's races, every shape its generator makes
    for body, _ in replies(seed=5, polls=2, scale=0.02):
        for race in parse_ap(body, "national").races:
            assert native.race_json(race) == _as_dicts(race), race.key
