"""The rules' memory as the store writes it with each poll (issue 13: one orjson call for a
national poll's 7,000 races): read back as it was, in race-key order, and a value orjson refuses
written all the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.core.model import Snapshot
from bot.core.rules import RaceMemory
from bot.store.database import Store
from bot.store.snapshots import memory_json
from tests.databases import db_url

AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


def test_memory_is_written_in_key_order_and_reads_back_as_it_was() -> None:
    memory = {
        "TX-2": RaceMemory(had_votes=True, winners=("b",), milestones=(25, 50), counties_complete=("48001",)),
        "AL-1": RaceMemory(announced_leader="a", lead_changes=2, race_call_status="Called"),
    }
    stored = json.loads(memory_json(memory))
    assert list(stored) == ["AL-1", "TX-2"]
    assert stored == json.loads(json.dumps({k: m.to_dict() for k, m in memory.items()}))


def test_a_counter_past_64_bits_is_written_the_long_way(tmp_path: Path) -> None:
    memory = {"AL-1": RaceMemory(lead_changes=2**70)}
    text = memory_json(memory)
    assert str(2**70) in text and json.loads(text) == json.loads(json.dumps({"AL-1": memory["AL-1"].to_dict()}))
    store = Store(db_url(tmp_path / "memory.db"))
    try:
        store.commit_poll(Snapshot.of("f", AT, []), memory, {}, [], AT)
        stored = store.load("f")
        assert stored is not None and stored.memory == memory
    finally:
        store.close()
