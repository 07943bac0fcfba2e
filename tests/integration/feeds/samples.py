"""Where the feed tests find their inputs, and small builders shared by them.

Fixtures under ``tests/fixtures/`` are written for these tests (named by election date, as
elex names its own); the real samples in ``../shared`` are read only by tests marked
``shared``, which skip when that folder is absent (a clone without its neighbours).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.feeds.http import FeedHttp, HttpSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
AP_FIXTURES = FIXTURES / "ap"
CLARITY_FIXTURES = FIXTURES / "clarity"
CSV_FIXTURES = FIXTURES / "csv"

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
SHARED_SAMPLES = SHARED / "samples"

#: ``@needs_shared`` on a test that reads ../shared: marked ``shared`` and skipped without it.
needs_shared = pytest.mark.skipif(
    not SHARED_SAMPLES.is_dir(), reason=f"../shared samples not found at {SHARED_SAMPLES} (only in a full checkout)"
)


def ap_doc(name: str) -> dict[str, Any]:
    return json.loads((AP_FIXTURES / name).read_text(encoding="utf-8"))


def ap_bytes(name: str) -> bytes:
    return (AP_FIXTURES / name).read_bytes()


def fast_http(name: str = "test-feed", read_timeout: float = 2.0) -> FeedHttp:
    """No urllib3 retries and short timeouts: the tests script every failure themselves."""
    return FeedHttp(
        name, HttpSettings(connect_timeout=1.0, read_timeout=read_timeout, retries=0, backoff=0.0, backoff_jitter=0.0)
    )


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
