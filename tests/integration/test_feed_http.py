"""The shared feed HTTP client: conditional GET, local files, size limit, secrets kept out of logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.codec.errors import FeedError, redact_url
from bot.feeds.http import FeedHttp, HttpSettings
from bot.rehearsal.replay_server import ReplayServer


def test_second_poll_of_an_unchanged_feed_is_a_304_with_no_body() -> None:
    with ReplayServer([b'{"a": 1}', b'{"a": 2}']) as server:
        http = FeedHttp("t")
        first = http.get(server.url)
        again = http.get(server.url)
        server.advance()
        changed = http.get(server.url)
    assert (first.status, first.body) == (200, b'{"a": 1}')
    assert again.not_modified and again.body == b""
    assert changed.body == b'{"a": 2}'


def test_forgotten_validators_make_the_next_poll_refetch() -> None:
    with ReplayServer([b"x"]) as server:
        http = FeedHttp("t")
        http.get(server.url)
        http.forget(server.url)
        assert http.get(server.url).status == 200


def test_local_files_by_path_and_file_url_and_unchanged_mtime(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(b"{}")
    http = FeedHttp("t")
    assert http.get(str(path)).body == b"{}"
    assert http.get(str(path)).not_modified
    assert http.get(path.as_uri(), conditional=False).body == b"{}"
    with pytest.raises(FeedError, match="cannot read file"):
        http.get(str(tmp_path / "missing.json"))


def test_bodies_over_the_limit_are_refused() -> None:
    with ReplayServer([b"x" * 5000]) as server, pytest.raises(FeedError, match="limit"):
        FeedHttp("t", HttpSettings(max_bytes=1000)).get(server.url)


def test_unreachable_feed_is_a_clear_error() -> None:
    with pytest.raises(FeedError, match="could not connect") as err:
        FeedHttp("t", HttpSettings(retries=0, connect_timeout=0.5)).get("http://127.0.0.1:9/feed.json")
    assert "feed 't'" in str(err.value)


def test_api_keys_in_urls_are_redacted() -> None:
    assert (
        redact_url("https://api.ap.org/v2/elections?apiKey=SECRET&level=ru")
        == "https://api.ap.org/v2/elections?apiKey=REDACTED&level=ru"
    )
    err = FeedError("HTTP 500", feed="ap", url="https://x/?api_key=abc")
    assert "abc" not in str(err)
