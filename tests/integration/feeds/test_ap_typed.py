"""AP's typed fast path (bot/feeds/ap/shapes.py, typed.py) gives exactly what the generic path gives.

``parse_ap`` reads a reply through msgspec Structs shaped like AP's JSON and builds each plain race
from them; a race the shapes refuse, or that has something to leave out or say, is read by the
generic path, and a document the shapes refuse is read whole by it. The two may differ in speed
only: for every input here (the real samples, the fixtures, a national night, the mutation
corpus's mutations and the odd shapes listed below), the reply, or the refusal's message, is the
same either way. And the fast path is really taken: every race of the plain inputs goes through it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.national import replies
from bot.codec.errors import FeedError
from bot.feeds.ap import reply
from bot.feeds.ap.shapes import decode_race, decode_reply
from bot.feeds.ap.typed import NotPlain, typed_race
from tests.mutations import ap_spots, deep, json_bytes, json_mutations, sample

from .samples import AP_FIXTURES, SHARED_SAMPLES, needs_shared

FIXTURE = "20171212_al_senate_full.json"


def outcome(data: bytes, typed: bool) -> tuple[str, str]:
    """The reply in full (repr shows a float where an int was, a mappingproxy's order), or the refusal."""
    try:
        return "reply", repr(reply._parse_ap(data, "f", typed=typed))
    except FeedError as exc:
        return "refused", str(exc)


def assert_same(data: bytes, where: str) -> None:
    fast, generic = outcome(data, True), outcome(data, False)
    assert fast == generic, where


def typed_share(data: bytes) -> tuple[int, int]:
    """(races the typed path reads itself, races in the reply)."""
    races = decode_reply(data).races
    plain = 0
    for raw in races:
        try:
            typed_race(decode_race(raw))
        except NotPlain:
            continue
        plain += 1
    return plain, len(races)


def _results_files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.glob("*.json")) if "races" in json.loads(p.read_bytes())]


@pytest.mark.parametrize("name", [p.name for p in sorted(AP_FIXTURES.glob("*.json"))])
def test_every_fixture_reads_the_same_both_ways_and_its_races_take_the_typed_path(name: str) -> None:
    data = (AP_FIXTURES / name).read_bytes()
    assert_same(data, name)
    if "races" in json.loads(data):
        plain, total = typed_share(data)
        assert plain == total, name


@needs_shared
@pytest.mark.shared
def test_every_real_sample_reads_the_same_both_ways_and_its_races_take_the_typed_path() -> None:
    files = sorted((SHARED_SAMPLES / "ap").glob("*.json"))
    assert files
    for path in files:
        assert_same(path.read_bytes(), path.name)
    for path in _results_files(SHARED_SAMPLES / "ap"):
        plain, total = typed_share(path.read_bytes())
        assert plain == total > 0, path.name


def test_a_national_night_reads_the_same_both_ways_every_race_on_the_typed_path() -> None:
    for index, (body, _) in enumerate(replies(seed=11, polls=3, scale=0.02)):
        assert_same(body, f"reply {index}")
        plain, total = typed_share(body)
        assert plain == total > 0


def _mutated_documents() -> list[tuple[str, bytes]]:
    rng = random.Random(13)
    docs = [(p.name, json.loads(p.read_bytes())) for p in _results_files(AP_FIXTURES)]
    if SHARED_SAMPLES.is_dir():
        docs += [(p.name, json.loads(p.read_bytes())) for p in _results_files(SHARED_SAMPLES / "ap")]
    out = []
    for name, doc in docs:
        for mutation in sample(list(json_mutations(ap_spots(doc, rng))), 60, rng):
            out.append((f"{name}: {mutation.kind} {mutation.where}", json_bytes(mutation.apply(deep(doc)))))
    return out


def test_the_mutation_corpus_reads_the_same_both_ways() -> None:
    mutated = _mutated_documents()
    assert len(mutated) > 300
    for where, data in mutated:
        assert_same(data, where)


def _race(doc: dict[str, Any]) -> dict[str, Any]:
    race: dict[str, Any] = doc["races"][0]
    return race


def _state_row(doc: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = _race(doc)["reportingUnits"][0]
    return row


def _county(doc: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = _race(doc)["reportingUnits"][1]
    return row


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = _county(doc)["candidates"][0]
    return entry


#: odd shapes the typed path must leave to the generic one (or read as it does), each on one race
EDITS: dict[str, Callable[[dict[str, Any]], object]] = {
    "no test flag": lambda d: _race(d).pop("test"),
    "test flag null": lambda d: _race(d).update(test=None),
    "test flag as text": lambda d: _race(d).update(test="true"),
    "resultsType in capitals": lambda d: _race(d).update(resultsType="TEST"),
    "resultsType t": lambda d: _race(d).update(resultsType="t"),
    "level in capitals": lambda d: _county(d).update(level="SUBUNIT"),
    "level State": lambda d: _state_row(d).update(level="State"),
    "level null": lambda d: _county(d).update(level=None),
    "statePostal lower case": lambda d: [u.update(statePostal="al") for u in _race(d)["reportingUnits"]],
    "statePostal on the race": lambda d: _race(d).update(statePostal="al"),
    "statePostal of three letters": lambda d: _race(d).update(statePostal="ALA"),
    "votes null": lambda d: _entry(d).update(voteCount=None),
    "votes missing": lambda d: _entry(d).pop("voteCount"),
    "votes negative": lambda d: _entry(d).update(voteCount=-1),
    "votes as text": lambda d: _entry(d).update(voteCount="12"),
    "votes as true": lambda d: _entry(d).update(voteCount=True),
    "votes as a float": lambda d: _entry(d).update(voteCount=12.0),
    "votes past 64 bits": lambda d: _entry(d).update(voteCount=2**70),
    "precincts as true": lambda d: _county(d).update(precinctsReporting=True),
    "precincts as text": lambda d: _county(d).update(precinctsTotal="334"),
    "more precincts reporting than exist": lambda d: _county(d).update(precinctsReporting=999),
    "one precinct count null": lambda d: _county(d).update(precinctsReporting=None),
    "eevp as an int": lambda d: _state_row(d).update(eevp=84),
    "eevp as true": lambda d: _state_row(d).update(eevp=True),
    "eevp above 100": lambda d: _state_row(d).update(eevp=100.5),
    "eevp on the race": lambda d: _race(d).update(eevp=12),
    "national as 1": lambda d: _race(d).update(national=1),
    "flippedSeat as text": lambda d: _race(d).update(flippedSeat="yes"),
    "numWinners 0": lambda d: _race(d).update(numWinners=0),
    "numWinners 2": lambda d: _race(d).update(numWinners=2),
    "raceID as a number": lambda d: _race(d).update(raceID=1000),
    "raceID empty": lambda d: _race(d).update(raceID=""),
    "candidateID as a number": lambda d: _entry(d).update(candidateID=6001),
    "candidateID empty": lambda d: [u["candidates"][0].update(candidateID="") for u in _race(d)["reportingUnits"]],
    "a candidate twice on a row": lambda d: _county(d)["candidates"].append(dict(_entry(d))),
    "a county id twice": lambda d: _race(d)["reportingUnits"].append(dict(_county(d))),
    "two state rows": lambda d: _race(d)["reportingUnits"].append(dict(_state_row(d))),
    "a unit id of 200 characters": lambda d: _county(d).update(reportingunitID="1" * 200),
    "a fips of four digits": lambda d: _county(d).update(fipsCode="1001"),
    "a fips that is not digits": lambda d: _county(d).update(fipsCode="0100A"),
    "a unit without ids": lambda d: [_county(d).pop(k, None) for k in ("reportingunitID", "fipsCode")],
    "a unit that is not an object": lambda d: _race(d)["reportingUnits"].append("county"),
    "a candidate that is not an object": lambda d: _county(d)["candidates"].append(7),
    "a race that is not an object": lambda d: d["races"].append([]),
    "a race repeated": lambda d: d["races"].append(deep(_race(d))),
    "a candidate without a name": lambda d: [
        u["candidates"][0].pop(k, None) for u in _race(d)["reportingUnits"] for k in ("first", "last")
    ],
    "polIDs shared by two candidates": lambda d: [
        c.update(polID="1") for u in _race(d)["reportingUnits"] for c in u["candidates"][:2]
    ],
    "polID 0 everywhere": lambda d: [c.update(polID="0") for u in _race(d)["reportingUnits"] for c in u["candidates"]],
    "a winner flag X": lambda d: _state_row(d)["candidates"][0].update(winner="X"),
    "a runoff flag R": lambda d: _state_row(d)["candidates"][0].update(winner="R"),
    "a winner flag true": lambda d: _state_row(d)["candidates"][0].update(winner=True),
    "a winner only on a county row": lambda d: _entry(d).update(winner="X"),
    "a winner unknown to the rows": lambda d: _state_row(d)["candidates"].append(
        {"candidateID": "9", "polID": "9", "last": "Ghost", "winner": "X", "voteCount": 0}
    ),
    "an uncontested race without candidates": lambda d: [u.update(candidates=[]) for u in _race(d)["reportingUnits"]],
    "a race without units": lambda d: _race(d).pop("reportingUnits"),
    "units null": lambda d: _race(d).update(reportingUnits=None),
    "units not a list": lambda d: _race(d).update(reportingUnits={}),
    "a roster on the race": lambda d: _race(d).update(candidates=deep(_state_row(d)["candidates"])),
    "a roster entry without a name": lambda d: _race(d).update(candidates=[{"candidateID": "77", "polID": "77"}]),
    "a ballot measure": lambda d: _race(d).update(officeID="I", raceType="General Ballot Measure"),
    "a time that is not a time": lambda d: _county(d).update(lastUpdated="yesterday"),
    "a naive time": lambda d: _county(d).update(lastUpdated="2017-12-13T01:58:00"),
    "an empty time": lambda d: _county(d).update(lastUpdated=""),
    "a name of spaces": lambda d: _county(d).update(reportingunitName="   "),
    "a unit name of 301 characters": lambda d: _county(d).update(reportingunitName="N" * 301),
    "a unit name of 300 characters": lambda d: _county(d).update(reportingunitName="N" * 300),
    "a state name of spaces": lambda d: _state_row(d).update(stateName=" "),
    "an office of spaces": lambda d: _race(d).update(officeName="  "),
    "an office of 301 characters": lambda d: _race(d).update(officeName="O" * 301),
    "an office of 300 characters": lambda d: _race(d).update(officeName="O" * 300),
    "a candidate name of spaces": lambda d: [
        u["candidates"][0].update(first=" ", last=" ") for u in _race(d)["reportingUnits"]
    ],
    "a candidate name of 301 characters": lambda d: [
        u["candidates"][0].update(first="F", last="L" * 299) for u in _race(d)["reportingUnits"]
    ],
    "a candidate name of 300 characters": lambda d: [
        u["candidates"][0].update(first="F", last="L" * 298) for u in _race(d)["reportingUnits"]
    ],
    "a party of 60 characters": lambda d: [u["candidates"][0].update(party="P" * 60) for u in _race(d)["reportingUnits"]],
    "a party of 61 characters": lambda d: [u["candidates"][0].update(party="P" * 61) for u in _race(d)["reportingUnits"]],
    "a runoff flag on a candidate only the state row names": lambda d: _state_row(d)["candidates"].append(
        {"candidateID": "9", "polID": "9", "last": " ", "winner": "R", "voteCount": 0}
    ),
    "precinct counts equal": lambda d: _county(d).update(precinctsReporting=_county(d)["precinctsTotal"]),
    "only the total precinct count": lambda d: _county(d).update(precinctsReporting=None),
    "only the reporting precinct count": lambda d: _county(d).update(precinctsTotal=None),
    "no precinct counts": lambda d: _county(d).update(precinctsReporting=None, precinctsTotal=None),
    "units but no state row": lambda d: _race(d)["reportingUnits"].pop(0),
    "no state row, and a county whose id is the state's": lambda d: (
        _race(d)["reportingUnits"].pop(0),
        _county(d).update(reportingunitID="AL"),
    ),
    "a name with NUL": lambda d: _county(d).update(reportingunitName="Aut\u0000auga"),
    "a party of 80 characters": lambda d: [u["candidates"][0].update(party="P" * 80) for u in _race(d)["reportingUnits"]],
    "a national roll-up row": lambda d: _race(d)["reportingUnits"].append({"level": "national", "statePostal": "US"}),
    "an unknown field on everything": lambda d: [
        o.update(extra={"x": [1, 2.5, None]}) for o in (d, _race(d), _county(d), _entry(d))
    ],
    "a test reply": lambda d: [r.update(test=True) for r in d["races"]],
    "one race test, another not": lambda d: d["races"][-1].update(test=True),
    "no races": lambda d: d.update(races=[]),
    "races null": lambda d: d.update(races=None),
    "no races key": lambda d: d.pop("races"),
    "nextrequest as a number": lambda d: d.update(nextrequest=5),
    "isTruncated null": lambda d: d.update(isTruncated=None),
    "isTruncated as text": lambda d: d.update(isTruncated="no"),
    "timestamp unreadable": lambda d: d.update(timestamp="soon"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_odd_shape_reads_the_same_both_ways(name: str) -> None:
    doc = json.loads((AP_FIXTURES / FIXTURE).read_bytes())
    EDITS[name](doc)
    assert_same(json.dumps(doc, ensure_ascii=False).encode("utf-8"), name)


def _fixture_text() -> str:
    return (AP_FIXTURES / FIXTURE).read_text(encoding="utf-8")


#: byte-level oddities: what msgspec refuses and json.loads reads (or refuses with its own message),
#: and what msgspec skips unchecked in a field the parser does not read
BYTES: dict[str, Callable[[], bytes]] = {
    "NaN in a skipped field": lambda: (
        _fixture_text().replace('"precinctsReportingPct": 40.54', '"precinctsReportingPct": NaN').encode()
    ),
    "a number past a float in a skipped field": lambda: (
        _fixture_text().replace('"precinctsReportingPct": 40.54', '"precinctsReportingPct": 1e400').encode()
    ),
    "a number past a float in eevp": lambda: _fixture_text().replace('"eevp": 41', '"eevp": 1e400').encode(),
    "a lone surrogate in a name": lambda: _fixture_text().replace('"last": "Jones"', '"last": "Jones\\ud800"').encode(),
    "a lone surrogate in a skipped field": lambda: (
        _fixture_text().replace('"ballotOrder": 1,', '"ballotOrder": 1, "note": "\\udc00",').encode()
    ),
    "invalid UTF-8 in a skipped field": lambda: (
        _fixture_text().replace('"ballotOrder": 1,', '"ballotOrder": 1, "note": "\xff",').encode("latin-1", "replace")
    ),
    "a UTF-8 surrogate in a skipped field": lambda: (
        _fixture_text().encode().replace(b'"ballotOrder": 1,', b'"ballotOrder": 1, "note": "\xed\xa0\x80",')
    ),
    "non-ASCII names": lambda: _fixture_text().replace('"Jones"', '"Jonés 山田"').encode(),
    "an escaped non-ASCII name": lambda: _fixture_text().replace('"Jones"', '"Jon\\u00e9s"').encode(),
    "an escaped NUL in a name": lambda: _fixture_text().replace('"Jones"', '"Jo\\u0000nes"').encode(),
    "an escaped NUL in an office": lambda: _fixture_text().replace('"U.S. Senate"', '"U.S.\\u0000Senate"').encode(),
    "an escaped slash in a name, no other escape": lambda: _fixture_text().replace('"Jones"', '"Jo\\/nes"').encode(),
    "a byte-order mark": lambda: b"\xef\xbb\xbf" + _fixture_text().encode(),
    "UTF-16": lambda: _fixture_text().encode("utf-16"),
    "a duplicate key, the last one plain": lambda: (
        _fixture_text().replace('"voteCount": 300000', '"voteCount": -1, "voteCount": 300000').encode()
    ),
    "a duplicate key, the last one odd": lambda: (
        _fixture_text().replace('"voteCount": 300000', '"voteCount": 300000, "voteCount": null').encode()
    ),
    "races twice": lambda: _fixture_text().replace('"races": [', '"races": [], "races": [', 1).encode(),
    "broken JSON": lambda: _fixture_text()[:-20].encode(),
    "an HTML page": lambda: b"<!doctype html><html><body>502</body></html>",
    "empty": lambda: b"",
    "a list at the top": lambda: b"[]",
    "deep nesting in a skipped field": lambda: (
        _fixture_text().replace('"ballotOrder": 1,', '"ballotOrder": 1, "deep": ' + "[" * 990 + "]" * 990 + ",").encode()
    ),
    "deeper nesting in a skipped field": lambda: (
        _fixture_text().replace('"ballotOrder": 1,', '"ballotOrder": 1, "deep": ' + "[" * 5000 + "]" * 5000 + ",").encode()
    ),
    "the landing document": lambda: b'{"elections": [{"electionDate": "2026-11-03"}]}',
}


@pytest.mark.parametrize("name", sorted(BYTES))
def test_odd_bytes_read_the_same_both_ways(name: str) -> None:
    assert_same(BYTES[name](), name)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
def test_utf8_is_told_a_chunk_at_a_time_whatever_the_chunk_splits(chunk: int) -> None:
    text = "aé山😀b".encode()
    assert reply.is_utf8(text, chunk)
    assert not reply.is_utf8(text[:2], chunk)  # ends inside a character
    assert not reply.is_utf8(text[:-1] + b"\xff", chunk)
    assert not reply.is_utf8(b"\xed\xa0\x80", chunk)  # a surrogate: json.loads reads it, the generic path must


def vouched_share(data: bytes) -> tuple[int, int]:
    """(races the typed reader vouches for, races it read): those skip the invariants' check."""
    read = reply._read_typed(data)
    assert read is not None
    return len(read.sound & {id(race) for race in read.races}), len(read.races)


def test_plain_replies_are_vouched_for_race_by_race_so_the_invariants_check_is_not_run_again() -> None:
    for index, (body, _) in enumerate(replies(seed=11, polls=2, scale=0.02)):
        vouched, total = vouched_share(body)
        assert vouched == total > 0, f"reply {index}"
    seen = 0
    for path in _results_files(AP_FIXTURES):
        vouched, total = vouched_share(path.read_bytes())
        assert vouched == total, path.name
        seen += total
    assert seen > 10


@pytest.mark.parametrize(
    ("edit", "vouched"),
    [
        ('"Jon\\u00e9s"', False),  # an escape: the race's text is looked at again
        ('"Jo\\u0000nes"', False),
        ('"Jo\\/nes"', True),  # a backslash without \u: still plain text
        ('"Jonés"', False),  # UTF-8: not ASCII
        ('"' + "J" * 295 + '"', True),  # "Doug " and 295: a name of 300 characters, the most there is
        ('"' + "J" * 296 + '"', False),  # 301: the invariants name the problem
    ],
)
def test_a_race_with_escaped_or_non_ascii_text_is_not_vouched_for_and_the_others_still_are(edit: str, vouched: bool) -> None:
    doc = json.loads(_fixture_text())
    doc["races"].append(deep(doc["races"][0]) | {"raceID": "other"})
    text = json.dumps(doc, ensure_ascii=False)
    first = text.index('"Jones"')
    data = (text[:first] + edit + text[first + len('"Jones"') :]).encode()
    read = reply._read_typed(data)
    assert read is not None
    marks = [id(race) in read.sound for race in read.races]
    assert len(marks) >= 2
    assert marks == [vouched] + [True] * (len(marks) - 1)
