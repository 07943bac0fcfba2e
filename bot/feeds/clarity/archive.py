"""``reports/detailxml.zip`` → the bytes of ``detail.xml``, refusing what an honest upload never is."""

from __future__ import annotations

import io
import zipfile
import zlib

from bot.codec.errors import FeedError
from bot.feeds.common import looks_like_html

#: detail.xml of a whole state at precinct level runs to tens of MB; more than this is refused.
MAX_DETAIL_BYTES = 64 * 1024 * 1024
#: Clarity zips hold ``detail.xml`` alone; a few members are tolerated, an archive is not.
MAX_ZIP_MEMBERS = 4


def read_detail_zip(data: bytes, max_bytes: int = MAX_DETAIL_BYTES) -> bytes:
    """``detailxml.zip`` → the bytes of ``detail.xml``, refusing what an honest upload never is:
    not a zip (an HTML error page, a zip cut off mid-upload), more than a few members, member
    names with paths, and anything that inflates beyond ``max_bytes`` — checked against the
    declared size *and* while inflating, since a zip bomb can lie in its header."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        # NotImplementedError: a corrupted central directory can claim a zip version zipfile lacks
        hint = " (it looks like an HTML page)" if looks_like_html(data) else ""
        raise FeedError(f"detailxml.zip is not a readable zip ({exc}){hint}") from None
    with archive:
        members = archive.infolist()
        if not members or len(members) > MAX_ZIP_MEMBERS:
            raise FeedError(f"detailxml.zip holds {len(members)} members; expected detail.xml alone")
        for info in members:
            if "/" in info.filename or "\\" in info.filename or ".." in info.filename or ":" in info.filename:
                raise FeedError(f"detailxml.zip member {info.filename[:60]!r} has a path; refused")
        detail = next((m for m in members if m.filename.lower() == "detail.xml"), None)
        if detail is None:
            raise FeedError(f"detailxml.zip has no detail.xml (members: {', '.join(m.filename[:40] for m in members)})")
        if detail.file_size > max_bytes:
            raise FeedError(f"detail.xml declares {detail.file_size:,} bytes, over the {max_bytes:,}-byte limit")
        try:
            with archive.open(detail) as stream:
                body = stream.read(max_bytes + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise FeedError(f"detailxml.zip cannot be inflated ({type(exc).__name__}: {exc})") from None
        if len(body) > max_bytes:
            raise FeedError(f"detail.xml inflates beyond the {max_bytes:,}-byte limit")
        return body
