"""Saved files replayed from disk (``python -m bot replay FILES --via disk``): each file is linked
into the replay's site as it is, never read, written or touched by the replay, and the feed tells
two files apart by their inode even when they carry the very same time.

The national reply is 27 MB: reading it and writing it again into the site was 30-80 ms of a
one-second replay. What must not change with that is what the feed sees: every saved file is a
new version, an identical one is not."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from bot.app.rehearse import replay
from bot.app.runtime import Runtime
from bot.app.settings import Secrets
from bot.feeds.ap import parse_ap
from bot.feeds.http import FeedHttp
from bot.rehearsal.recording import open_inputs
from bot.rehearsal.replay_server import DiskSite

ROOT = Path(__file__).resolve().parents[2]
AP_FULL = ROOT / "tests" / "fixtures" / "ap" / "20171212_al_senate_full.json"
NO_SLACK = Secrets.from_env({})
URL = "http://replay.invalid/v2/elections/2017-12-12?level=state"


def _same_time(*paths: Path) -> None:
    for path in paths:
        os.utime(path, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000))


def _with_votes(path: Path, extra: int) -> None:
    doc = json.loads(AP_FULL.read_text())
    units = doc["races"][0]["reportingUnits"]
    units[0]["candidates"][0]["voteCount"] += extra
    path.write_text(json.dumps(doc))


def _two_saved(tmp_path: Path, extra: int) -> tuple[Path, Path, DiskSite, FeedHttp, str]:
    """Two saved replies with one time (the second ``extra`` votes ahead), a disk site and a fetcher."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    _with_votes(first, 0)
    _with_votes(second, extra)
    _same_time(first, second)
    site = DiskSite(tmp_path / "site")
    return first, second, site, FeedHttp("replay"), site.url_for(URL)


def test_a_saved_file_is_linked_untouched_and_the_next_one_with_the_same_time_is_a_new_version(tmp_path: Path) -> None:
    first, second, site, http, url = _two_saved(tmp_path, 1_000)
    site.place(URL, first)
    served = Path(site.root / "v2" / "elections" / "2017-12-12?level=state")
    assert served.stat().st_ino == first.stat().st_ino  # linked, not copied
    assert http.get(url, conditional=True).body == first.read_bytes()
    assert http.get(url, conditional=True).not_modified  # nothing new there
    site.place(URL, second)
    assert second.stat().st_mtime_ns == first.stat().st_mtime_ns
    assert http.get(url, conditional=True).body == second.read_bytes()  # another file, the same time
    site.place(URL, first)
    site.place(URL, first)  # the same file again: left as it is
    assert http.get(url, conditional=True).body == first.read_bytes()
    assert http.get(url, conditional=True).not_modified
    assert first.stat().st_mtime_ns == 1_500_000_000_000_000_000  # the saved file's time is its own
    assert (
        json.loads(first.read_text())["races"][0]["reportingUnits"][0]["candidates"][0]["voteCount"]
        == json.loads(AP_FULL.read_text())["races"][0]["reportingUnits"][0]["candidates"][0]["voteCount"]
    )


def test_an_equal_body_in_another_file_is_not_a_new_version(tmp_path: Path) -> None:
    first, twin = tmp_path / "a.json", tmp_path / "twin.json"
    _with_votes(first, 0)
    _with_votes(twin, 0)
    site = DiskSite(tmp_path / "site")
    http = FeedHttp("replay")
    url = site.url_for(URL)
    site.place(URL, first)
    assert not http.get(url, conditional=True).not_modified
    site.place(URL, twin)
    assert http.get(url, conditional=True).not_modified


def test_where_a_link_cannot_be_made_the_file_is_copied_and_still_a_new_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    first, second, site, http, url = _two_saved(tmp_path, 7)
    site.place(URL, first)
    assert http.get(url, conditional=True).body == first.read_bytes()
    site.place(URL, second)
    assert http.get(url, conditional=True).body == second.read_bytes()
    assert first.stat().st_mtime_ns == second.stat().st_mtime_ns == 1_500_000_000_000_000_000


def test_saved_files_with_one_time_replay_as_successive_polls(tmp_path: Path) -> None:
    """Through the real replay: three saved replies written within one clock tick (same time),
    each poll sees its own file; the counts the console was told are the last file's."""
    files = [tmp_path / f"poll-{i}.json" for i in range(3)]
    for i, path in enumerate(files):
        _with_votes(path, 1_000 * i)
    _same_time(*files)
    out = io.StringIO()
    stored: list[dict[str, int]] = []

    def read_back(runtime: Runtime) -> None:
        kept = runtime.store.load("replay")
        assert kept is not None
        race = next(iter(kept.snapshot.races.values()))
        assert race.state_unit is not None
        stored.append(dict(race.state_unit.votes))

    result = replay(open_inputs(files), via="disk", speed=0, out=out, secrets=NO_SLACK, drain_seconds=5.0, after=read_back)
    assert result.polls == 3 and result.pending == 0
    assert all(path.stat().st_mtime_ns == 1_500_000_000_000_000_000 for path in files)
    told = [dict(parse_ap(path.read_bytes(), "replay").races[0].units[0].votes) for path in (files[0], files[-1])]
    assert told[0] != told[1] and stored == [told[1]]  # the third file's count: every poll read its own
