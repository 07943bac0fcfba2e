"""Telling a saved file's kind and an AP reply's cursor from its ends (bot/rehearsal/recording.py).

A national AP reply is 27 MB; ``python -m bot replay`` reads its first and last 64 KiB to tell
it is AP and where its ``nextrequest`` points. A file whose marks are not near its ends must be
told exactly as before, by reading the whole of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bot.rehearsal.recording as recording
from bot.rehearsal.recording import RecordingError, open_inputs, sniff_kind

PAD = recording._Ends.SPAN * 3  # past both ends of the peek


def _ap_reply(races: int, nextrequest: str | None, *, cursor_first: bool = False) -> bytes:
    race = {
        "test": False,
        "raceID": "0",
        "officeName": "President",
        "reportingUnits": [{"statePostal": "GA", "level": "state", "candidates": [{"first": "A" * 50, "voteCount": 1}]}],
    }
    doc: dict[str, object] = {"electionDate": "2026-11-03"}
    if cursor_first and nextrequest:
        doc["nextrequest"] = nextrequest
    doc["races"] = [race] * races
    if not cursor_first and nextrequest:
        doc["nextrequest"] = nextrequest
    return json.dumps(doc).encode()


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    reads: list[Path] = []
    real = recording._read_first

    def counted(path: Path) -> bytes:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(recording, "_read_first", counted)
    return reads


def test_a_big_ap_reply_is_told_from_its_ends(tmp_path: Path, whole_reads: list[Path]) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(_ap_reply(2_000, "http://api.ap.org/v2/elections/2026-11-03?level=ru&minDateTime=x"))
    assert path.stat().st_size > PAD
    feed = open_inputs([path]).feeds[0]
    assert (feed.kind, feed.url) == ("ap", "http://replay.invalid/v2/elections/2026-11-03")
    assert whole_reads == []


def test_a_cursor_far_from_the_ends_is_still_found(tmp_path: Path, whole_reads: list[Path]) -> None:
    """A reply with its cursor in the middle (between two halves of races): the whole file is read."""
    body = _ap_reply(2_000, None)
    cursor = b'"nextrequest":"http://api.ap.org/v2/elections/2026-11-04?x=1",'
    half = body.index(b'"races"')
    padded = body[:half] + b'"pad":"' + b" " * PAD + b'",' + cursor + body[half:]
    path = tmp_path / "odd.json"
    path.write_bytes(padded)
    assert open_inputs([path]).feeds[0].url == "http://replay.invalid/v2/elections/2026-11-04"
    assert whole_reads == [path]


def test_a_native_document_with_its_format_last_is_not_taken_for_ap(tmp_path: Path, whole_reads: list[Path]) -> None:
    doc = {"races": [{"id": "1", "office": "U.S. Senate", "name": "B" * 100}] * 2_000, "format": "electionbot/1"}
    path = tmp_path / "native.json"
    path.write_text(json.dumps(doc))
    assert path.stat().st_size > PAD
    assert sniff_kind(path) == "json"
    # an AP-looking head with no "raceID" near it is settled by the whole file too
    assert whole_reads == [path]


def test_a_big_file_of_neither_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"notes": ["x" * 100] * 3_000}))
    with pytest.raises(RecordingError, match="cannot tell what kind of feed"):
        open_inputs([path])


def test_a_small_file_is_read_once_whole(tmp_path: Path, whole_reads: list[Path]) -> None:
    path = tmp_path / "small.json"
    path.write_bytes(_ap_reply(3, "http://api.ap.org/v2/elections/2026-11-03?level=ru", cursor_first=True))
    assert open_inputs([path]).feeds[0].kind == "ap"
    assert whole_reads == []
