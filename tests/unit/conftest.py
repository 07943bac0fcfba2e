"""The unit tier's promise, enforced: no sockets, no threads, no sleeps (docs/testing.md).

A test here that opens a connection, starts a thread or sleeps fails at once with the reason; such
a test belongs in tests/integration (loopback fakes) or tests/e2e (subprocesses, the whole night).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest


def _refuse(what: str):
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the unit tier uses no {what}: move this test to tests/integration")

    return refused


@pytest.fixture(autouse=True)
def _unit_tier_is_pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse("sockets"))
    monkeypatch.setattr(socket.socket, "bind", _refuse("sockets"))
    monkeypatch.setattr(threading.Thread, "start", _refuse("threads"))
    monkeypatch.setattr(time, "sleep", _refuse("sleeps"))
