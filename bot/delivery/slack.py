"""The Slack sink: ``chat.postMessage`` through slack_sdk, errors sorted into retry or operator.

The client honours ``SLACK_API_URL`` so the bot can run against a local Slack-compatible
server. slack_sdk's own 429 handler sleeps in the calling thread; we leave rate limits to the
outbox worker instead, which waits per channel and keeps the other channels moving. The SDK's
connection-error retry is off too: a post whose answer was lost may have landed, and only the
worker (which looks in the channel first) may decide to post it again.

Every message carries metadata (``event_payload.alert_key``, or ``race_key`` for a live card):
that is how the worker recognises its own posts in the channel after a crash.

``chat.postMessage`` takes a channel name, but ``chat.update`` and the history methods want the
channel id: the id Slack answers with on each post is remembered and used for those calls.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.core.digest import Digest
from bot.core.events import Alert, RaceFacts
from bot.delivery.sink import DeliveryError, Gone, MessageGone
from bot.delivery.uploads import SCOPE_ACTION, shared_message_id, upload_picture
from bot.render.digest import digest_message, rollup_message
from bot.render.picture import Picture
from bot.render.slack import alert_message, live_card, summary_message

ALERT_EVENT = "electionbot_alert"
SUMMARY_EVENT = "electionbot_summary"
CARD_EVENT = "electionbot_card"
#: how far back the crash check looks (newest first); a crash leaves its post among the newest.
HISTORY_LOOKBACK = 300
#: ``chat.update`` is a Tier 3 method: about 50 calls a minute per workspace, all cards together.
UPDATE_INTERVAL = 60.0 / 50

log = logging.getLogger("electionbot.slack")

#: errors that retrying will not fix, with what the operator must do.
PERMANENT = {
    "channel_not_found": "check the channel name or id in [alerts] channels",
    "not_in_channel": "invite the bot to the channel (/invite @electionbot) or grant chat:write.public",
    "is_archived": "unarchive the channel or remove it from the config",
    "invalid_auth": "SLACK_BOT_TOKEN is wrong: reinstall the app and copy the bot token",
    "not_authed": "set SLACK_BOT_TOKEN",
    "token_revoked": "the app was uninstalled: reinstall it and update SLACK_BOT_TOKEN",
    "account_inactive": "the bot user was deactivated: reinstall the app",
    "missing_scope": "add the chat:write scope and reinstall the app",
    "msg_too_long": "a message exceeded Slack's limits (a bug: please report it)",
    "invalid_blocks": "a message had invalid blocks (a bug: please report it)",
    "restricted_action": "a workspace admin restricts posting in this channel",
}

#: the message to edit (or whose thread to read) can no longer be edited: editing again will not
#: help, a live card has to be posted anew. Why, in neutral terms (``Gone``), and what the
#: operator may do about it.
GONE = {
    "message_not_found": (Gone.DELETED, "someone deleted the live card"),
    "cant_update_message": (Gone.NOT_OURS, "the card was not posted by this bot user (was the app reinstalled?)"),
    "edit_window_closed": (
        Gone.EDIT_WINDOW_CLOSED,
        'the workspace only allows edits for a while after posting: let messages be edited at any time (workspace settings, message editing) or use style "messages" for this channel',
    ),
    "thread_not_found": (Gone.DELETED, "the card whose thread this was is gone"),
}


def make_client(token: str, base_url: str, timeout: int = 10) -> WebClient:
    # retry_handlers=[]: no silent re-post after a dropped connection (see the module doc).
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])


class SlackSink:
    platform = "slack"
    #: Slack allows about one chat.postMessage per second per channel.
    min_interval: float

    def __init__(
        self,
        client: WebClient,
        min_interval: float = 1.0,
        update_interval: float = UPDATE_INTERVAL,
        *,
        client_for: Callable[[str], WebClient] | None = None,
    ):
        self.client = client
        #: many workspaces (OAuth, issue 16): the client holding the bot token of the channel's
        #: workspace (bot/app/slack_oauth.py); it raises DeliveryError when that workspace is gone.
        #: None: one workspace, ``client`` everywhere.
        self._client_for = client_for
        self.min_interval = min_interval
        #: the gap between two ``chat.update`` calls, workspace-wide (all cards share it).
        self.update_interval = update_interval
        self._ids: dict[str, str] = {}

    def send(self, alert: Alert, channel: str, *, thread_id: str | None = None, broadcast: bool = False) -> str | None:
        """One alert; in a card's thread when ``thread_id`` is given (``broadcast`` also shows it in the channel)."""
        message = alert_message(alert)
        extra: dict[str, Any] = {}
        if thread_id:
            extra["thread_ts"] = thread_id
            if broadcast:
                extra["reply_broadcast"] = True
        return self._post(channel, message, {"event_type": ALERT_EVENT, "event_payload": {"alert_key": alert.key}}, **extra)

    def send_summary(self, alerts: Sequence[Alert], channel: str, held_minutes: int) -> str | None:
        message = summary_message(alerts, held_minutes)
        keys = [a.key for a in alerts]
        payload = {"alert_key": keys[0], "alert_keys": keys}
        return self._post(channel, message, {"event_type": SUMMARY_EVENT, "event_payload": payload})

    def send_digest(self, digest: Digest, channel: str) -> str | None:
        """One part of a poll's digest (``bot.core.digest``): to the channel, keyed like an alert."""
        return self._post(
            channel, digest_message(digest), {"event_type": ALERT_EVENT, "event_payload": {"alert_key": digest.key}}
        )

    def send_rollup(self, alerts: Sequence[Alert], channel: str, per_minute: int) -> str | None:
        """The alerts a channel's budget held back, as one message carrying all their keys."""
        keys = [a.key for a in alerts]
        return self._post(
            channel,
            rollup_message(alerts, per_minute),
            {"event_type": SUMMARY_EVENT, "event_payload": {"alert_key": keys[0], "alert_keys": keys}},
        )

    def card_message(self, facts: RaceFacts) -> dict[str, Any]:
        return live_card(facts)

    def post_card(self, facts: RaceFacts, feed: str, channel: str) -> str | None:
        message = live_card(facts)
        return self._post(
            channel, message, {"event_type": CARD_EVENT, "event_payload": {"race_key": facts.race_key, "feed": feed}}
        )

    def update_card(self, facts: RaceFacts, channel: str, message_id: str) -> None:
        message = live_card(facts)
        channel_id = self.channel_id(channel)
        client = self.client_for(channel)
        self._call(
            lambda: client.chat_update(channel=channel_id, ts=message_id, text=message["text"], blocks=message["blocks"])
        )

    def client_for(self, channel: str) -> WebClient:
        """The client whose token may post in ``channel``."""
        return self.client if self._client_for is None else self._client_for(channel)

    def channel_id(self, channel: str) -> str:
        """The id Slack reported for ``channel`` on a post (a configured name is not an id)."""
        return self._ids.get(channel, channel)

    def remember_channel(self, channel: str, channel_id: str) -> None:
        """An id learnt in an earlier run (kept with the live cards), so a restart edits at once."""
        self._ids.setdefault(channel, channel_id)

    # --- pictures (bot/delivery/uploads.py) -------------------------------------------------

    def send_picture(
        self,
        picture: Picture,
        channel: str,
        *,
        thread_id: str | None = None,
        on_uploaded: Callable[[str], None] | None = None,
    ) -> str | None:
        """Upload and share one picture; returns its file id (the share's ts is not in Slack's answer)."""
        return upload_picture(
            self.client_for(channel),
            self._upload_call,
            picture,
            self._upload_channel(channel),
            thread_id=thread_id,
            on_uploaded=on_uploaded,
        )

    def find_picture(self, channel: str, file_id: str) -> str | None:
        """The ts of ``file_id``'s share in the channel (files.info), None if it was never shared there."""
        return shared_message_id(self.client_for(channel), self._upload_call, file_id, self._upload_channel(channel))

    def _upload_channel(self, channel: str) -> str:
        """Uploads take a channel id only. A configured name is known by its id once anything
        was posted there (a call comes before its pictures); else the operator must give the id."""
        channel_id = self.channel_id(channel)
        if channel_id.startswith("#") or not channel_id[:1].isupper():
            raise DeliveryError(
                f"cannot upload to {channel}: its channel id is not known yet",
                permanent=True,
                action="use the channel's id (C0123…) in [alerts] channels: uploads take ids only",
                code="channel_id_unknown",
            )
        return channel_id

    def _upload_call(self, call: Any) -> Any:
        try:
            return self._call(call)
        except DeliveryError as exc:
            if exc.code == "missing_scope":
                exc.action = SCOPE_ACTION
            elif exc.code == "invalid_thread_ts":  # the thread to share into is gone (a deleted card)
                raise MessageGone(str(exc), Gone.DELETED, action=GONE["thread_not_found"][1], code=exc.code) from None
            raise

    # --- crash reconciliation --------------------------------------------------------------

    def find_posted(self, channel: str, keys: Iterable[str], *, thread_id: str | None = None) -> dict[str, str]:
        """Which of ``keys`` (alert keys) are already in the channel (or the card's thread), with their message ids (``ts``)."""
        wanted = set(keys)
        found: dict[str, str] = {}
        for message in self._recent(channel, thread_id):
            payload = _payload(message, (ALERT_EVENT, SUMMARY_EVENT))
            if payload is None:
                continue
            message_id = message.get("ts")
            for key in [payload.get("alert_key"), *(payload.get("alert_keys") or [])]:
                if isinstance(key, str) and isinstance(message_id, str) and key in wanted and key not in found:
                    found[key] = message_id
        return found

    def find_card(self, channel: str, race_key: str, exclude: Iterable[str] = ()) -> str | None:
        """The newest card for ``race_key`` in the channel, other than the ``exclude``d (retired) ones."""
        retired = set(exclude)
        for message in self._recent(channel, None):
            payload = _payload(message, (CARD_EVENT,))
            if payload is not None and payload.get("race_key") == race_key and message.get("ts") not in retired:
                return message.get("ts")
        return None

    def _recent(self, channel: str, thread_id: str | None) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        cursor = None
        client = self.client_for(channel)
        channel = self.channel_id(channel)
        while len(messages) < HISTORY_LOOKBACK:
            page: dict[str, Any] = {
                "channel": channel,
                "include_all_metadata": True,
                "limit": min(200, HISTORY_LOOKBACK - len(messages)),
                "cursor": cursor,
            }
            if thread_id:
                resp = self._call(lambda: client.conversations_replies(ts=thread_id, **page))  # noqa: B023 (called at once)
            else:
                resp = self._call(lambda: client.conversations_history(**page))  # noqa: B023 (called at once)
            messages.extend(resp.get("messages") or [])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not resp.get("has_more") or not cursor:
                break
        return messages

    # --- the wire --------------------------------------------------------------------------

    def _post(self, channel: str, message: dict[str, Any], metadata: dict[str, Any], **extra: Any) -> str | None:
        client = self.client_for(channel)
        resp = self._call(
            lambda: client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
                **extra,
            )
        )
        if isinstance(resp.get("channel"), str):
            self._ids[channel] = resp["channel"]
        message_id = resp.get("ts")
        return message_id if isinstance(message_id, str) else None

    def _call(self, call: Any) -> Any:
        try:
            return call()
        except SlackApiError as exc:
            raise _classify(exc) from None
        except (SlackRequestError, OSError) as exc:
            raise DeliveryError(f"network error: {type(exc).__name__}: {exc}", uncertain=True) from None


def message_hash(message: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()


def _payload(message: dict[str, Any], event_types: tuple[str, ...]) -> dict[str, Any] | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") not in event_types:
        return None
    payload = metadata.get("event_payload")
    return payload if isinstance(payload, dict) else None


def _classify(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
    if status == 429 or error == "ratelimited":
        retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        try:
            wait = float(retry_after) if retry_after is not None else 1.0
        except ValueError:
            wait = 1.0
        return DeliveryError("rate limited (HTTP 429)", retry_after=wait)
    if error in PERMANENT:
        return DeliveryError(error, permanent=True, action=PERMANENT[error], code=error)
    if error in GONE:
        because, action = GONE[error]
        return MessageGone(error, because, action=action, code=error)
    if status >= 500:
        return DeliveryError(f"Slack server error (HTTP {status})", uncertain=True)
    return DeliveryError(f"Slack error {error or status}", code=error)
