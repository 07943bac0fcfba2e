"""Fixtures shared by the feed tests: a real loopback HTTP feed server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.feed_server import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv
