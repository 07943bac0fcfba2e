"""Our format's compact writer (issue 13: orjson writes a national snapshot's races): the same
document whichever encoder writes it, values orjson refuses written all the same, and documents
stored by earlier releases (spaced separators) read back as before."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.codec import native
from bot.core.model import Snapshot
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
