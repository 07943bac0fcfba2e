"""Slack's two-step external upload, with a commit point the outbox can reason about.

Slack retired ``files.upload``; a file now goes up in three calls:

1. ``files.getUploadURLExternal`` (file name, byte length, alt text) → a file id and an upload URL;
2. the bytes, POSTed to that URL (Slack's files host, not the Web API);
3. ``files.completeUploadExternal`` (the file id and its title, the channel id, a thread's ts, an
   optional comment) → the file is shared: a message carrying it appears in the channel.

slack_sdk's ``files_upload_v2`` does all three in one call, but then nothing can be recorded
between them. Only the third makes anything visible, so it is the commit point: ``on_uploaded``
is told the file id after step 2 and before step 3 (the worker commits it to the outbox row).
After a crash a "sending" row without a file id was never shared and is uploaded again; one with
a file id is looked up (``shared_message_id``: ``files.info``'s shares for the channel) and uploaded again
only if it is not there. A file uploaded but never completed is left to Slack, which discards it.

Errors are the sink's ``DeliveryError``s: a 429 or a 5xx from either host is retried by the
worker like a post; the upload URL's own failures are never "uncertain" (nothing is shared
before step 3), a lost answer to step 3 is.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.delivery.sink import DeliveryError
from bot.render.picture import Picture

log = logging.getLogger("electionbot.uploads")

#: Slack's limit on alt text (files.getUploadURLExternal ``alt_txt``).
ALT_TEXT_MAX = 1000
#: seconds for the bytes to reach the upload URL (a picture is tens of kilobytes).
UPLOAD_TIMEOUT = 30.0
#: what the operator does when the token lacks the scope uploads need.
SCOPE_ACTION = "add the files:write and files:read scopes (manifest.yml) and reinstall the app"

#: runs one Web API call and turns slack_sdk's errors into DeliveryErrors (``SlackSink._call``).
Caller = Callable[[Callable[[], Any]], Any]


def upload_picture(
    client: WebClient,
    call: Caller,
    picture: Picture,
    channel_id: str,
    *,
    thread_id: str | None = None,
    comment: str | None = None,
    on_uploaded: Callable[[str], None] | None = None,
    timeout: float = UPLOAD_TIMEOUT,
) -> str:
    """Upload ``picture`` and share it in ``channel_id`` (in ``thread_id``'s thread when given);
    returns the file id. ``channel_id`` must be an id (C…, G…, D…): Slack takes no names here."""
    got = call(
        lambda: client.files_getUploadURLExternal(
            filename=picture.filename, length=len(picture.png), alt_txt=picture.alt_text[:ALT_TEXT_MAX]
        )
    )
    file_id, url = str(got.get("file_id") or ""), str(got.get("upload_url") or "")
    if not file_id or not url:
        raise DeliveryError("files.getUploadURLExternal answered without a file id or upload URL")
    _post_bytes(url, picture.png, timeout)
    if on_uploaded is not None:
        on_uploaded(file_id)  # from here on the file may be shared: the caller records which one
    call(
        lambda: client.files_completeUploadExternal(
            files=[{"id": file_id, "title": picture.title}],
            channel_id=channel_id,
            thread_ts=thread_id,
            initial_comment=comment,
        )
    )
    return file_id


def shared_message_id(client: WebClient, call: Caller, file_id: str, channel_id: str) -> str | None:
    """The id (Slack's ``ts``) of the message that shared ``file_id`` in ``channel_id``, or None when it was
    never shared there (or Slack no longer knows the file). Reads ``files.info``'s ``shares``
    (public and private channels, by id), which is what Slack fills in on completion."""
    try:
        info = call(lambda: client.files_info(file=file_id))
    except DeliveryError as exc:
        if exc.code == "file_not_found" or exc.code == "file_deleted":
            return None
        raise
    file = info.get("file") or {}
    shares = file.get("shares") or {}
    for kind in ("public", "private"):
        entries = (shares.get(kind) or {}).get(channel_id) or []
        for entry in entries:
            if entry.get("ts"):
                return str(entry["ts"])
    if channel_id in (file.get("channels") or []) + (file.get("groups") or []) + (file.get("ims") or []):
        return file_id  # shared there, its message not (yet) listed: shared is what counts
    return None


def _post_bytes(url: str, data: bytes, timeout: float) -> None:
    """Step 2: the raw bytes in one POST, as slack_sdk sends them. Nothing is shared yet, so a
    failure here is never "uncertain": the whole upload is simply done again."""
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 (the URL is Slack's answer)
            resp.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            try:
                wait = float(retry_after) if retry_after is not None else 1.0
            except ValueError:
                wait = 1.0
            raise DeliveryError("rate limited on the upload URL (HTTP 429)", retry_after=wait) from None
        raise DeliveryError(f"the upload URL refused the file (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"network error uploading the file: {type(exc).__name__}: {exc}") from None
