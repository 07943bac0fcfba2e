"""The feed edge's error: a located error keeps its type and its HTTP status; file URLs with a
query read the file a mirror saves them as."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.codec.errors import FeedConfigError, FeedError
from bot.feeds.http import local_path
from tests.fakes.feed_server import FeedServer, Reply

from .samples import fast_http


def test_located_keeps_the_type_the_status_and_what_was_known() -> None:
    bare = FeedConfigError("the key was refused", status=401, retry_after=3.0)
    located = bare.located("ap", "https://api.example/v2?apiKey=abc")
    assert type(located) is FeedConfigError and located.status == 401 and located.retry_after == 3.0
    assert located.feed == "ap" and located.url == "https://api.example/v2?apiKey=REDACTED"
    assert located.describe() == "feed 'ap' at https://api.example/v2?apiKey=REDACTED: the key was refused"
    already = FeedError("bad", feed="clarity", url="http://a/b").located("other", "http://c/d")
    assert (already.feed, already.url, already.status) == ("clarity", "http://a/b", None)


@pytest.mark.parametrize(("status", "kind"), [(401, FeedConfigError), (403, FeedError), (404, FeedError), (503, FeedError)])
def test_http_errors_carry_their_status(server: FeedServer, status: int, kind: type[FeedError]) -> None:
    server.route("/f", Reply(status, b"no"))
    with pytest.raises(FeedError) as caught:
        fast_http().get(server.url("/f"))
    assert type(caught.value) is kind and caught.value.status == status


def test_a_missing_file_is_a_404_and_an_unreadable_one_has_no_status(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="cannot read file") as caught:
        fast_http().get(str(tmp_path / "missing.json"))
    assert caught.value.status == 404
    with pytest.raises(FeedError, match="cannot read file") as caught:
        fast_http().get(str(tmp_path))  # a directory
    assert caught.value.status is None


def test_a_file_url_query_names_the_file_as_a_mirror_saves_it(tmp_path: Path) -> None:
    saved = tmp_path / "2017-12-12?level=ru&minDateTime=2017-12-13T02%3a00%3a00.000Z"
    saved.write_bytes(b"{}")
    url = (tmp_path / "2017-12-12").as_uri() + "?level=ru&minDateTime=2017-12-13T02%3a00%3a00.000Z"
    assert local_path(url) == saved
    assert fast_http().get(url).body == b"{}"
    assert local_path(str(tmp_path / "a b.json")) == tmp_path / "a b.json"
    assert local_path((tmp_path / "a b.json").as_uri()) == tmp_path / "a b.json"
