"""The local feed server itself: what other tests rely on it to do."""

from __future__ import annotations

import gzip

import pytest
import requests

from tests.fakes.feed_server import FeedServer, Reply, Request


def test_a_queue_answers_in_order_then_repeats_its_last_reply(server: FeedServer) -> None:
    server.route("/f", Reply(403, b"quota"), Reply(200, b"one"), Reply(200, b"two"))
    answers = [(r.status_code, r.content) for r in (requests.get(server.url("/f"), timeout=2) for _ in range(4))]
    assert answers == [(403, b"quota"), (200, b"one"), (200, b"two"), (200, b"two")]


def test_the_most_specific_query_route_wins_and_requests_are_recorded(server: FeedServer) -> None:
    server.route("/e", Reply(200, b"full"))
    server.route("/e", Reply(200, b"delta"), query={"minDateTime": "t1"})
    assert requests.get(server.url("/e?level=ru"), timeout=2).content == b"full"
    assert requests.get(server.url("/e?level=ru&minDateTime=t1"), headers={"x-api-key": "k"}, timeout=2).content == b"delta"
    first, second = server.requests_to("/e")
    assert first.query == {"level": "ru"} and second.query["minDateTime"] == "t1"
    assert second.headers["x-api-key"] == "k" and server.hits("/e") == 2


def test_unknown_paths_are_404_and_recorded(server: FeedServer) -> None:
    assert requests.get(server.url("/nope"), timeout=2).status_code == 404
    assert server.hits("/nope") == 1


def test_etag_gives_304_to_a_matching_if_none_match(server: FeedServer) -> None:
    server.route("/f", Reply.json({"a": 1}, etag='"v1"'))
    first = requests.get(server.url("/f"), timeout=2)
    again = requests.get(server.url("/f"), headers={"If-None-Match": first.headers["ETag"]}, timeout=2)
    assert (first.status_code, again.status_code, again.content) == (200, 304, b"")


def test_gzip_truncate_and_hang(server: FeedServer) -> None:
    server.route("/z", Reply(200, b"x" * 1000, gzip=True))
    raw = requests.get(server.url("/z"), timeout=2, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip" and gzip.decompress(raw.raw.read()) == b"x" * 1000
    server.route("/cut", Reply(200, b"y" * 1000, truncate=10))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(server.url("/cut"), timeout=2)
    server.route("/slow", Reply(hang=2.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.url("/slow"), timeout=(1, 0.2))


def test_a_handler_sees_the_request(server: FeedServer) -> None:
    def echo(request: Request) -> Reply:
        return Reply.text(request.query.get("q", ""))

    server.handle("/echo", echo)
    assert requests.get(server.url("/echo?q=hi"), timeout=2).text == "hi"
