"""The Slack sink: ``chat.postMessage`` through slack_sdk, errors sorted into retry or operator.

The client honours ``SLACK_API_URL`` so the bot can run against a local Slack-compatible
server. slack_sdk's own 429 handler sleeps in the calling thread; we leave rate limits to the
outbox worker instead, which waits per channel and keeps the other channels moving.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.delivery.sink import DeliveryError
from bot.events import Alert
from bot.render.slack import alert_message

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


def make_client(token: str, base_url: str, timeout: int = 10) -> WebClient:
    return WebClient(token=token, base_url=base_url, timeout=timeout)


class SlackSink:
    platform = "slack"
    #: Slack allows about one chat.postMessage per second per channel.
    min_interval: float

    def __init__(self, client: WebClient, min_interval: float = 1.0):
        self.client = client
        self.min_interval = min_interval

    def send(self, alert: Alert, channel: str) -> str | None:
        message = alert_message(alert)
        try:
            resp = self.client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": "electionbot_alert", "event_payload": {"alert_key": alert.key}},
            )
        except SlackApiError as exc:
            raise _classify(exc) from None
        except (SlackRequestError, OSError) as exc:
            raise DeliveryError(f"network error: {type(exc).__name__}: {exc}") from None
        return resp.get("ts")


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
        return DeliveryError(error, permanent=True, action=PERMANENT[error])
    if status >= 500:
        return DeliveryError(f"Slack server error (HTTP {status})")
    return DeliveryError(f"Slack error {error or status}")
