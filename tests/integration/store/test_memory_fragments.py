"""The rules' memory written from each race's fragment (``MemoryFragments``, issue 13's delta
poll): byte for byte what one orjson call over the whole memory writes (and the standard
library's text when orjson refuses a value), a race's fragment reused only while its memory is
the very object encoded before."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import select

from benchmarks.national import replies
from bot.core.model import Race, Snapshot
from bot.core.rules import NO_MEMORY, RaceMemory, RuleSettings, evaluate
from bot.feeds.ap.reply import parse_ap
from bot.store.database import Store
from bot.store.snapshots import MemoryFragments, memory_json
from bot.store.tables import SnapshotRow
from tests.databases import db_url

AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)

#: keys and values JSON must escape, and keys that sort by code point (not by locale)
_ODD = {
    'AL-"quoted"': RaceMemory(announced_leader='say "hi"', winners=("a\\b",)),
    "AL-back\\slash": RaceMemory(race_call_status="line\nbreak\ttab\x01"),
    "GA-Ünïcode": RaceMemory(tabulation_status="é ü 😀", counties_complete=("13001", "13003")),
    "GA-\u2028sep": RaceMemory(pending_leader="\u2028\u2029"),
    "AL-1": RaceMemory(milestones=(25, 50, 75)),
    "AL-10": RaceMemory(lead_changes=3),
    "AL-1_": RaceMemory(calls=1),
    "al-lower": RaceMemory(had_votes=True),
    "": RaceMemory(runoff_pair=("x", "y")),
}


def _real_memory() -> dict[str, RaceMemory]:
    """The memory the rules leave after a small national night's first three polls, and the odd keys."""
    memory: dict[str, RaceMemory] = {}
    races: dict[str, Race] = {}
    for n, (body, _) in enumerate(replies(seed=9, polls=3, scale=0.02)):
        reply = parse_ap(body, "national")
        before = dict(races)
        races.update((race.key, race) for race in reply.races)
        for race in reply.races:
            result = evaluate(
                "national",
                before.get(race.key),
                race,
                memory.get(race.key, RaceMemory()),
                RuleSettings(),
                AT + timedelta(minutes=n),
                races,
            )
            memory[race.key] = result.memory
    assert len(memory) > 100 and any(m != RaceMemory() for m in memory.values())
    return {**memory, **_ODD}


def _whole(memory: dict[str, RaceMemory]) -> str:
    """What the store wrote before fragments: one orjson call over the whole memory, a race with
    nothing remembered as ``{}``."""
    blank = RaceMemory()
    return orjson.dumps({k: {} if m == blank else m for k, m in memory.items()}, option=orjson.OPT_SORT_KEYS).decode()


def test_the_fragments_write_what_one_orjson_call_over_the_whole_memory_writes() -> None:
    memory = _real_memory()
    text = MemoryFragments().text(memory)
    assert text == _whole(memory)
    assert text == memory_json(memory)
    assert list(json.loads(text)) == sorted(memory)


def test_a_race_with_nothing_remembered_is_written_as_an_empty_object_and_read_back_as_the_shared_blank() -> None:
    memory = {"AL-1": NO_MEMORY, "AL-2": RaceMemory(), "AL-3": RaceMemory(had_votes=True), "AL-4": RaceMemory(calls=0)}
    text = MemoryFragments().text(memory)
    assert text == memory_json(memory)
    stored = json.loads(text)
    assert stored["AL-1"] == stored["AL-2"] == stored["AL-4"] == {}
    assert stored["AL-3"] == json.loads(json.dumps(RaceMemory(had_votes=True).to_dict())) != {}
    assert len(stored["AL-3"]) == len(fields(RaceMemory))  # a memory with something in it: every field
    assert RaceMemory.from_dict({}) is NO_MEMORY
    assert RaceMemory.from_dict(stored["AL-3"]) == RaceMemory(had_votes=True)
    # what stores wrote before: every field of a blank memory, read back as the blank it is
    assert RaceMemory.from_dict(json.loads(orjson.dumps(RaceMemory()))) == NO_MEMORY


def test_an_unchanged_memory_is_joined_from_the_fragments_written_last_time() -> None:
    memory = _real_memory()
    fragments = MemoryFragments()
    first = fragments.text(memory)
    assert (fragments.encoded, fragments.reused) == (len(memory), 0)
    assert fragments.text(dict(memory)) == first
    assert (fragments.encoded, fragments.reused) == (len(memory), len(memory))


def test_a_race_whose_memory_changed_is_encoded_again_never_its_old_fragment() -> None:
    memory = _real_memory()
    fragments = MemoryFragments()
    fragments.text(memory)
    key = sorted(memory)[len(memory) // 2]
    changed = dict(memory)
    changed[key] = replace(memory[key], lead_changes=memory[key].lead_changes + 1, announced_leader="new")
    text = fragments.text(changed)
    assert text == _whole(changed) != _whole(memory)
    assert json.loads(text)[key]["announced_leader"] == "new"
    assert (fragments.encoded, fragments.reused) == (len(memory) + 1, len(memory) - 1)
    # an equal memory that is another object is encoded again too (identity is the only test)
    again = dict(changed)
    again[key] = replace(changed[key])
    assert fragments.text(again) == _whole(changed)
    assert fragments.encoded == len(memory) + 2


def test_races_added_and_gone_keep_the_key_order() -> None:
    memory = _real_memory()
    fragments = MemoryFragments()
    fragments.text(memory)
    gone, moved = sorted(memory)[3], sorted(memory)[9]
    # a race gone and another's memory changed in the same poll: never the old fragment
    fewer = {k: m for k, m in memory.items() if k != gone}
    fewer[moved] = replace(memory[moved], calls=memory[moved].calls + 1)
    assert fragments.text(fewer) == _whole(fewer)
    assert fragments.encoded == len(memory) + 1
    swapped = {**fewer, "AA-first": RaceMemory(calls=2)}  # as many races as before, another set
    del swapped[sorted(fewer)[-1]]
    assert len(swapped) == len(fewer)
    assert fragments.text(swapped) == _whole(swapped)
    assert fragments.text({}) == _whole({}) == "{}"


def test_a_value_orjson_refuses_writes_the_long_way_and_the_next_poll_the_short_way_again() -> None:
    memory = _real_memory()
    fragments = MemoryFragments()
    fragments.text(memory)
    huge = {**memory, "AL-1": RaceMemory(lead_changes=2**70)}
    text = fragments.text(huge)
    assert text == memory_json(huge) == json.dumps({k: m.to_dict() for k, m in huge.items()}, sort_keys=True)
    assert str(2**70) in text
    assert fragments.text(memory) == _whole(memory)


def test_the_store_writes_the_memory_a_delta_poll_left_not_the_one_before(tmp_path: Path) -> None:
    memory = _real_memory()
    store = Store(db_url(tmp_path / "fragments.db"))
    try:
        store.commit_poll(Snapshot.of("f", AT, []), memory, {}, [], AT)
        key = sorted(memory)[7]
        changed = {**memory, key: replace(memory[key], calls=memory[key].calls + 5)}
        store.commit_poll(Snapshot.of("f", AT, []), changed, {}, [], AT + timedelta(minutes=1))
        with store.session() as s:
            written = s.execute(select(SnapshotRow.memory).where(SnapshotRow.feed == "f")).scalar_one()
        assert written == memory_json(changed)
        reader = Store(db_url(tmp_path / "fragments.db"))
        try:
            assert reader.memory("f") == changed
        finally:
            reader.close()
    finally:
        store.close()
