"""A national night at small size (issue 13): the generator, the replay, and a poll cycle whose
cost follows the change (counts, never timings; the timings are benchmarks/bench_national.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from benchmarks.national import API, POLL_SECONDS, replies, write_night
from bot.app.cli import main
from bot.app.poller import Poller, with_targets
from bot.codec import native
from bot.core.model import Snapshot
from bot.core.rules import RaceMemory, RuleSettings
from bot.core.targets import Target
from bot.feeds.ap import parse_ap
from bot.feeds.kinds import make_source
from bot.feeds.source import FeedSpec
from bot.rehearsal.recording import RecordingError, open_inputs, read_recording
from bot.rehearsal.replay_server import DiskSite, Reply
from bot.store.database import SnapshotRaceRow, SnapshotRow, Store
from tests.databases import db_url

SMALL = 0.02  # about 300 races in 51 states and DC, the same shapes as the full night


def test_the_generator_gives_the_same_bytes_for_a_seed_and_other_bytes_for_another() -> None:
    first = [body for body, _ in replies(seed=7, polls=4, scale=SMALL)]
    again = [body for body, _ in replies(seed=7, polls=4, scale=SMALL)]
    other = [body for body, _ in replies(seed=8, polls=4, scale=SMALL)]
    assert first == again
    assert first[0] != other[0]


def test_the_night_is_a_general_election_with_every_state_and_deltas_of_one_to_five_percent(tmp_path: Path) -> None:
    night = write_night(tmp_path / "night", seed=3, polls=6, scale=SMALL)
    full = parse_ap(night.files[0].read_bytes(), "national")
    states = {race.state for race in full.races}
    assert len(states) == 51 and "DC" in states
    presidents = [race for race in full.races if race.office_id == "P"]
    assert len(presidents) == 51 and all(race.national and race.general for race in presidents)
    assert {race.office_id for race in full.races} >= {"P", "S", "G", "H", "I", "Y", "Z"}
    assert full.left_out == ()
    assert night.races == len(full.races)
    for changed in night.changed:
        assert round(0.01 * night.races) <= changed <= round(0.05 * night.races)
    # each delta names the next: the chain a replay follows
    for earlier, later in zip(night.files, night.files[1:], strict=False):
        assert json.loads(earlier.read_bytes())["nextrequest"] != json.loads(later.read_bytes())["nextrequest"]
    assert any(race.winners for race in parse_ap(night.files[-1].read_bytes(), "national").races)


def test_a_small_national_night_replays_from_disk_with_nothing_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_night(tmp_path / "night", seed=13, polls=6, scale=SMALL)
    code = main(["replay", str(tmp_path / "night"), "--step", "--via", "disk"])
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert "6 polls" in out and ", 0 pending)" in out


def _poll_night(night: Path, store: Store, polls: int) -> tuple[Poller, list[int]]:
    """The night's replies through one poller over a disk mirror (as ``replay --via disk``
    stages them); the races it evaluated in each poll."""
    site = DiskSite(night.parent / "site")
    spec = FeedSpec("national", "ap", site.url_for(f"{API}?level=ru&format=json"), POLL_SECONDS, {})
    poller = Poller(make_source(spec), store, RuleSettings(), with_targets([Target("console", "#desk")]))
    evaluated = []
    for poll in read_recording(night).polls()[:polls]:
        for response in poll.responses:
            site.publish(response.url, [Reply(200, response.body(), response.content_type)])
        before = poller.stats["races_evaluated"]
        assert poller.poll().status == "changed"
        evaluated.append(poller.stats["races_evaluated"] - before)
    return poller, evaluated


def test_a_delta_poll_evaluates_only_the_races_it_carries(tmp_path: Path) -> None:
    night = write_night(tmp_path / "night", seed=13, polls=5, scale=SMALL)
    store = Store(db_url(tmp_path / "night.db"))
    try:
        poller, evaluated = _poll_night(night.files[0].parent, store, 5)
    finally:
        store.close()
    assert evaluated[0] == night.races
    assert evaluated[1:] == list(night.changed)
    assert poller.stats["races_unchanged"] == sum(night.races - n for n in night.changed)


def test_deltas_merged_into_the_stored_snapshot_equal_the_full_reply_of_the_same_moment(tmp_path: Path) -> None:
    polls = 5
    night = write_night(tmp_path / "night", seed=21, polls=polls, scale=SMALL)
    *_, (full_body, _) = replies(seed=21, polls=polls, scale=SMALL, full=True)
    full = {race.key: race for race in parse_ap(full_body, "national").races}
    store = Store(db_url(tmp_path / "night.db"))
    try:
        _poll_night(night.files[0].parent, store, polls)
        stored = store.load("national")
    finally:
        store.close()
    assert stored is not None and stored.polls == polls
    assert dict(stored.snapshot.races) == full
    # and what a restart (or the web process) reads back from the database is the same
    fresh = Store(db_url(tmp_path / "night.db"))
    try:
        reread = fresh.load("national")
    finally:
        fresh.close()
    assert reread is not None
    assert dict(reread.snapshot.races) == full
    assert reread.memory == stored.memory and reread.cursor == stored.cursor


def test_the_stored_document_is_written_to_the_byte_as_dumps_writes_it_when_only_some_races_change(tmp_path: Path) -> None:
    bodies = [body for body, _ in replies(seed=5, polls=3, scale=SMALL, full=True)]
    memories = [
        {
            "AL-0": RaceMemory(had_votes=True),
            "ME-1": RaceMemory(winners=("50001",), milestones=(10, 50), race_call_status="Called"),
        },
        {
            "AL-0": RaceMemory(had_votes=True, lead_changes=1, announced_leader="50002"),
            "ME-1": RaceMemory(winners=("50001",), milestones=(10, 50)),
        },
        {"AL-0": RaceMemory(had_votes=True, lead_changes=1, announced_leader="50002")},
    ]
    store = Store(db_url(tmp_path / "doc.db"))
    try:
        for n, (body, memory) in enumerate(zip(bodies, memories, strict=True)):
            snapshot = Snapshot.of(
                "national",
                datetime(2026, 11, 4, 0, n, tzinfo=UTC),
                parse_ap(body, "national").races,
                meta={"note": "é"},
                version=f"v{n}",
            )
            store.commit_poll(snapshot, memory, {}, [], datetime(2026, 11, 4, 0, n, tzinfo=UTC))
            with store.session() as s:
                row = s.get(SnapshotRow, "national")
                assert row is not None
                assert row.document == native.dumps(snapshot).decode("utf-8")
                stored = json.loads(row.memory)  # races in key order, each read back as it was
                assert list(stored) == sorted(memory)
                assert {k: RaceMemory.from_dict(v) for k, v in stored.items()} == memory
    finally:
        store.close()


def test_replaying_a_saved_reply_tells_its_kind_and_cursor_without_decoding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 26 MB national reply was decoded twice (kind, then cursor) before the replay began."""
    import bot.rehearsal.recording

    night = write_night(tmp_path / "night", seed=2, polls=2, scale=SMALL)
    size = night.files[0].stat().st_size
    decoded: list[int] = []
    real_loads = json.loads

    def counting_loads(text: str | bytes, *args: object, **kwargs: object) -> object:
        decoded.append(len(text))
        return real_loads(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.rehearsal.recording.json, "loads", counting_loads)
    recording = open_inputs([night.files[0], night.files[1]])
    assert recording.feeds[0].kind == "ap"
    assert recording.feeds[0].url == "http://replay.invalid/v2/elections/2026-11-03"  # the path of its nextrequest
    assert all(n < 1_000 for n in decoded) and size > 100_000
    odd = tmp_path / "notes.json"
    odd.write_text('{"note": "races are tomorrow"}')
    with pytest.raises(RecordingError, match="cannot tell what kind of feed"):
        open_inputs([odd])


# -- a big snapshot's races stored one row each (Store.split_races_at) --------------------------------


def test_races_stored_apart_are_written_only_when_they_change_and_read_back_whole(tmp_path: Path) -> None:
    polls = 5
    night = write_night(tmp_path / "night", seed=21, polls=polls, scale=SMALL)
    *_, (full_body, _) = replies(seed=21, polls=polls, scale=SMALL, full=True)
    full = {race.key: race for race in parse_ap(full_body, "national").races}
    store = Store(db_url(tmp_path / "night.db"))
    store.split_races_at = 10  # the small night as a national one
    written = []
    try:
        site = DiskSite(tmp_path / "site")
        spec = FeedSpec("national", "ap", site.url_for(f"{API}?level=ru&format=json"), POLL_SECONDS, {})
        poller = Poller(make_source(spec), store, RuleSettings(), with_targets([Target("console", "#desk")]))
        for poll in read_recording(tmp_path / "night").polls():
            for response in poll.responses:
                site.publish(response.url, [Reply(200, response.body(), response.content_type)])
            before = store.stats["races_written"]
            assert poller.poll().status == "changed"
            written.append(store.stats["races_written"] - before)
        with store.session() as s:
            row = s.get(SnapshotRow, "national")
            assert row is not None and native.races_apart(row.document) and '"races":[]' in row.document  # in their own rows
    finally:
        store.close()
    assert written == [night.races, *night.changed]
    fresh = Store(db_url(tmp_path / "night.db"))
    try:
        reread = fresh.load("national")
    finally:
        fresh.close()
    assert reread is not None and dict(reread.snapshot.races) == full


def test_a_snapshot_moving_between_one_document_and_races_apart_reads_back_as_written(tmp_path: Path) -> None:
    body = next(iter(replies(seed=4, polls=1, scale=SMALL)))[0]
    races = parse_ap(body, "national").races
    url = db_url(tmp_path / "moves.db")
    for n, count in enumerate((len(races), 5, len(races), len(races) - 3)):
        store = Store(url)
        store.split_races_at = 10
        at = datetime(2026, 11, 4, 1, n, tzinfo=UTC)
        snapshot = Snapshot.of("national", at, races[:count], version=f"v{n}")
        try:
            store.commit_poll(snapshot, {}, {}, [], at)
            if n == 2:  # the same store again, with three races fewer: every row rewritten
                store.commit_poll(Snapshot.of("national", at, races[3:], version="v2b"), {}, {}, [], at)
                snapshot = Snapshot.of("national", at, races[3:], version="v2b")
        finally:
            store.close()
        fresh = Store(url)
        try:
            stored = fresh.load("national")
        finally:
            fresh.close()
        assert stored is not None and stored.snapshot == snapshot and list(stored.snapshot.races) == list(snapshot.races)


def test_one_unreadable_race_stored_apart_costs_that_race(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = next(iter(replies(seed=4, polls=1, scale=SMALL)))[0]
    races = parse_ap(body, "national").races
    store = Store(db_url(tmp_path / "odd.db"))
    store.split_races_at = 10
    at = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
    try:
        store.commit_poll(Snapshot.of("national", at, races), {}, {}, [], at)
        with store.session() as s, s.begin():
            s.execute(
                update(SnapshotRaceRow)
                .where(SnapshotRaceRow.race_key == races[0].key)
                .values(document='{"state": "AL", "id": "0", "office": "President", "candidates": "not a list"}')
            )
    finally:
        store.close()
    fresh = Store(db_url(tmp_path / "odd.db"))
    try:
        stored = fresh.load("national")
    finally:
        fresh.close()
    assert stored is not None
    assert set(stored.snapshot.races) == {race.key for race in races[1:]}
    assert [r.getMessage() for r in caplog.records if "left out" in r.getMessage()] == [
        f"feed 'national': stored snapshot: race {races[0].key} left out: candidates: Input should be a valid list"
    ]
