"""The Discord sink: alerts and live cards over Discord's REST API (v10), with the bot token to
configured channels and through incoming webhooks, errors sorted into retry, gone or operator.

Channels. ``[alerts] discord_channels`` are channel ids, posted to with ``DISCORD_BOT_TOKEN``
(``POST /channels/{id}/messages``). Each URL of ``DISCORD_WEBHOOK_URLS`` is a channel of its own,
named ``webhook:<fingerprint>`` in the outbox, the logs and ``/results status``: a webhook URL
carries its token, so it is a secret and is never written anywhere; the fingerprint is the first
ten hex digits of its SHA-256.

Rate limits. Discord answers every call with its bucket (``X-RateLimit-Remaining``,
``-Reset-After``, ``-Bucket``) and a 429 with a JSON ``retry_after`` (float seconds) and
``global``. The sink keeps those numbers per route and channel (or webhook), and the global
hold for the whole bot; a call whose bucket is spent or under a global hold is not made: it
raises ``DeliveryError(retry_after=…)`` at once, so the worker's Pacer holds that channel exactly
that long (bot/delivery/pacing.py) and the other channels go on. No sleep here.

Never twice. A bot post carries a ``nonce`` derived from the outbox row (its alert key and its
channel: the same row always has the same nonce) with ``enforce_nonce``, so Discord itself
returns the first message instead of a second one for a few minutes; and every message's footer
ends with the key's ref (``bot.render.discord.ref``), which ``find_posted`` looks for in the
channel's recent messages when the worker holds a row whose post may have landed. Webhooks take
no nonce: their crash check reads the webhook's channel with the bot token (when there is one).

Pictures. A picture (the night's chart, a county map: ``bot.core.picture_orders``) is one
message with the PNG as its attachment: ``multipart/form-data`` with ``payload_json`` (the
message, its ``attachments`` and an embed showing ``attachment://<name>``) and ``files[0]``,
to the channel, the card's thread or a webhook. Discord has no separate upload step, so the
worker's commit point (``on_uploaded``) is told, before the POST, the picture's marker: the
``ref`` in its footer (from its bytes and where it goes) and the thread it goes to.
``find_picture`` looks for that ref after a crash, as ``find_posted`` does for alerts; the nonce
(from the same marker) makes a second POST within Discord's window return the first message.
Discord takes at most 25 MiB a bot upload and 8 MiB through a webhook: a larger picture is
refused here, before any call, as permanent.

Gone for good. A channel that answers 404 Unknown Channel / 403 Missing Access, or a webhook
that answers 404 Unknown Webhook, is disabled: one log line saying what to do, no more calls to it
(each would count toward Discord's limit of invalid requests); its alerts are set aside as failed,
which ``/results status`` lists (``Store.delivery_failures``). A card that answers 404 Unknown Message was deleted: ``gone``, posted anew.
"""

from __future__ import annotations

import hashlib
import json as jsonlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from bot.core.digest import Digest
from bot.core.events import Alert, RaceFacts
from bot.delivery.sink import DeliveryError, Gone, MessageGone
from bot.render.discord import (
    REF_CHARS,
    alert_message,
    attachment_name,
    card_ref,
    digest_message,
    live_card,
    picture_message,
    ref,
    refs_in,
    rollup_message,
    summary_message,
    thread_name,
)
from bot.render.picture import Picture

log = logging.getLogger("electionbot.discord")

WEBHOOK_PREFIX = "webhook:"
USER_AGENT = "DiscordBot (https://github.com/electionbot/electionbot, 0.1)"
#: how far back the crash check looks, newest first (pages of 100, Discord's largest).
HISTORY_LOOKBACK = 300
#: Discord has no workspace-wide edit tier like Slack's: edits share each channel's bucket.
UPDATE_INTERVAL = 0.2
#: Discord's nonce is at most 25 characters.
NONCE_CHARS = 25

#: the largest file Discord takes from a bot (and an interaction) and through an incoming webhook
BOT_FILE_MAX = 25 * 1024 * 1024
WEBHOOK_FILE_MAX = 8 * 1024 * 1024
#: a picture's marker in the outbox: its ref's hex, then ``/`` and the thread it went into
_THREAD_SEPARATOR = "/"

# Discord's JSON error codes the sink acts on.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
REQUEST_TOO_LARGE = 40005
THREAD_ALREADY_CREATED = 160004

#: errors that disable the channel (or webhook) until the operator fixes it, with what to do.
DISABLING = {
    UNKNOWN_CHANNEL: (
        "unknown_channel",
        "check [alerts] discord_channels: a channel id (Developer Mode, right-click the channel, Copy Channel ID)",
    ),
    MISSING_ACCESS: (
        "missing_access",
        "invite the bot to the server (docs/discord.md) and let it see the channel: View Channel, Send Messages, "
        "Embed Links, Create Public Threads, Send Messages in Threads, Read Message History",
    ),
    MISSING_PERMISSIONS: (
        "missing_permissions",
        "give the bot Send Messages, Embed Links, Create Public Threads, Send Messages in Threads and "
        "Read Message History in the channel",
    ),
    UNKNOWN_WEBHOOK: (
        "unknown_webhook",
        "the webhook was deleted or its URL is wrong: create one (channel settings, Integrations, Webhooks) "
        "and update DISCORD_WEBHOOK_URLS",
    ),
}
NO_HISTORY_ACTION = (
    "set DISCORD_BOT_TOKEN (a bot with Read Message History in the webhook's channel) so a webhook's "
    "channel can be checked for duplicates"
)


def fingerprint(url: str) -> str:
    """A webhook's name in the outbox and the logs: never its URL, which is its secret."""
    return WEBHOOK_PREFIX + hashlib.sha256(url.strip().encode()).hexdigest()[:10]


def multipart(message: dict[str, Any], picture: Picture) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    """``requests``' ``data`` and ``files`` for a message carrying ``picture``: the JSON as
    ``payload_json`` and the PNG as ``files[0]`` (the ``id`` of its entry in ``attachments``)."""
    return (
        {"payload_json": jsonlib.dumps(message, separators=(",", ":"))},
        {"files[0]": (attachment_name(picture), picture.png, "image/png")},
    )


def too_large(picture: Picture, limit: int) -> DeliveryError | None:
    """Said before any call: Discord would answer 413 (40005) after the bytes went up."""
    if len(picture.png) <= limit:
        return None
    return DeliveryError(
        f"{picture.filename} is {len(picture.png):,} bytes, over Discord's {limit // (1024 * 1024)} MiB",
        permanent=True,
        action="draw it smaller (bot/render/figure.py); this picture is not sent",
        code="file_too_large",
    )


def nonce(channel: str, key: str) -> str:
    """The nonce of one outbox row's post: the same row (alert key, channel) always gets the same
    one, so a second try within Discord's window returns the first message."""
    return hashlib.sha256(f"{channel}|{key}".encode()).hexdigest()[:NONCE_CHARS]


class _Redact(logging.Filter):
    """Webhook tokens out of urllib3's debug lines, which name every request's path: a bot that
    runs at DEBUG must not write a webhook's secret into its log."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            if any(secret in text for secret in self.secrets):
                for secret in self.secrets:
                    text = text.replace(secret, "***")
                record.msg, record.args = text, ()
        return True


_REDACT = _Redact()
logging.getLogger("urllib3.connectionpool").addFilter(_REDACT)


@dataclass
class _Bucket:
    remaining: int
    reset_at: float


class DiscordSink:
    platform = "discord"
    min_interval: float

    def __init__(
        self,
        api_url: str,
        bot_token: str | None,
        webhook_urls: Iterable[str] = (),
        *,
        min_interval: float = 1.0,
        update_interval: float = UPDATE_INTERVAL,
        timeout: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
    ):
        self.api_url = api_url.rstrip("/")
        self._token = bot_token
        self._webhooks = {fingerprint(url): url.strip() for url in webhook_urls if url.strip()}
        _REDACT.secrets.update(url.rstrip("/").rsplit("/", 1)[-1] for url in self._webhooks.values())
        self.min_interval = min_interval
        #: the gap between two card edits, all channels together (each channel's bucket still rules)
        self.update_interval = update_interval
        self.timeout = timeout
        self._now = monotonic
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_until = 0.0
        self._threads: set[str] = set()
        self._webhook_channels: dict[str, str] = {}
        #: channel → why it is disabled (an error only the operator can fix)
        self.disabled: dict[str, DeliveryError] = {}
        #: Discord refused the bot token (401): no bot call is made again until a restart
        self._unauthorized: DeliveryError | None = None

    # --- what the runtime asks ---------------------------------------------------------------

    @property
    def webhook_channels(self) -> list[str]:
        """The webhooks' names (``webhook:<fingerprint>``), the outbox's channels for them."""
        return list(self._webhooks)

    # --- Sink --------------------------------------------------------------------------------

    def send(self, alert: Alert, channel: str, *, thread_id: str | None = None, broadcast: bool = False) -> str | None:
        """One alert. With ``thread_id`` (a live card's id) in the thread started from the card;
        ``broadcast`` (a call, a lead change) goes to the channel instead, as a reply to the card,
        where everyone sees it. A webhook cannot start threads: its alerts go to its channel."""
        message = alert_message(alert)
        if thread_id and not self._is_webhook(channel):
            if broadcast:
                message["message_reference"] = {"message_id": thread_id, "fail_if_not_exists": False}
            else:
                self._ensure_thread(channel, thread_id, alert.facts, alert.race_key or "")
                return self._post(channel, message, alert.key, target=thread_id)
        return self._post(channel, message, alert.key)

    def send_digest(self, digest: Digest, channel: str) -> str | None:
        return self._post(channel, digest_message(digest), digest.key)

    def send_summary(self, alerts: Sequence[Alert], channel: str, held_minutes: int) -> str | None:
        return self._post(channel, summary_message(alerts, held_minutes), _group_key(alerts))

    def send_rollup(self, alerts: Sequence[Alert], channel: str, per_minute: int) -> str | None:
        return self._post(channel, rollup_message(alerts, per_minute), _group_key(alerts))

    # --- live cards ---------------------------------------------------------------------------

    def card_message(self, facts: RaceFacts) -> dict[str, Any]:
        return live_card(facts)

    def post_card(self, facts: RaceFacts, feed: str, channel: str) -> str | None:
        """A new card; no nonce (a card posted anew after a deletion must be a new message): the
        keeper looks for a card that may have landed (``find_card``) before posting one."""
        return self._post(channel, live_card(facts), None)

    def update_card(self, facts: RaceFacts, channel: str, message_id: str) -> None:
        message = live_card(facts)
        if self._is_webhook(channel):
            self._call("PATCH", self._webhook_route(channel, f"/messages/{message_id}"), channel, json=message)
        else:
            self._call("PATCH", f"/channels/{channel}/messages/{message_id}", channel, json=message)

    def find_card(self, channel: str, race_key: str, exclude: Iterable[str] = ()) -> str | None:
        """The newest card for ``race_key`` in the channel, other than the ``exclude``d (retired) ones."""
        retired = set(exclude)
        wanted = card_ref(race_key)
        for message in self._recent(channel, None):
            if wanted in refs_in(message) and message.get("id") not in retired:
                return str(message["id"])
        return None

    def channel_id(self, channel: str) -> str:
        return channel  # configured by id; a webhook's name is its own

    def remember_channel(self, channel: str, channel_id: str) -> None:
        """Nothing to learn: Discord channels are configured by id."""

    # --- pictures (UploadSink) ----------------------------------------------------------------

    def send_picture(
        self,
        picture: Picture,
        channel: str,
        *,
        thread_id: str | None = None,
        on_uploaded: Callable[[str], None] | None = None,
    ) -> str | None:
        """One message carrying ``picture``, in the card's thread when ``thread_id`` is given
        (started if no moment has opened it yet; a webhook has no threads: its channel). Returns
        the message id. ``on_uploaded`` is told the picture's marker before the POST, the one
        call that makes it visible: after a crash ``find_picture`` looks for it.

        The marker comes from the bytes and the place, not the outbox row: the figures are
        deterministic, so a retry of the same row draws the same bytes and gets the same nonce
        (Discord returns the first message). A card thread that is gone raises ``gone``, and the
        worker sends the picture to the channel instead."""
        webhook = self._is_webhook(channel)
        error = too_large(picture, WEBHOOK_FILE_MAX if webhook else BOT_FILE_MAX)
        if error is not None:
            raise error
        target = thread_id if thread_id and not webhook else None
        digest = hashlib.sha256(f"{target or channel}|".encode() + picture.png).hexdigest()[:REF_CHARS]
        message = picture_message(picture, "ref " + digest)
        if target is not None:
            # a deleted card answers Unknown Message here: ``gone``, and the worker uses the channel
            self._ensure_thread(channel, target, None, picture.title)
        if on_uploaded is not None:
            on_uploaded(digest + (_THREAD_SEPARATOR + target if target else ""))
        try:
            if webhook:
                route, params = self._webhook_route(channel, ""), {"wait": "true"}
            else:
                route, params = f"/channels/{target or channel}/messages", None
                message.update(nonce=nonce(target or channel, digest), enforce_nonce=True)
            reply = self._call(
                "POST", route, channel, params=params, files=multipart(message, picture), disable=target is None
            )
        except DeliveryError as exc:
            if target is not None and exc.code == "unknown_channel":
                # the thread was deleted (the channel answers for itself): nothing was posted
                raise MessageGone("the card's thread is gone", Gone.DELETED, code=exc.code) from None
            raise
        return str(reply["id"]) if isinstance(reply, dict) and reply.get("id") else None

    def find_picture(self, channel: str, file_id: str) -> str | None:
        """The message that carried the picture ``send_picture`` announced as ``file_id`` (its
        marker), found in the channel's or the thread's newest messages; None when it is not
        there (never posted, or the thread is gone)."""
        digest, _, thread = file_id.partition(_THREAD_SEPARATOR)
        wanted = "ref " + digest
        try:
            messages = self._recent(channel, thread or None)
        except DeliveryError as exc:
            if thread and exc.gone:
                return None
            raise
        for message in messages:
            if wanted in refs_in(message):
                return str(message["id"])
        return None

    # --- crash reconciliation ----------------------------------------------------------------

    def find_posted(self, channel: str, keys: Iterable[str], *, thread_id: str | None = None) -> dict[str, str]:
        """Which of ``keys`` are already in the channel (or the card's thread), with their message ids."""
        wanted = {ref(key): key for key in keys}
        found: dict[str, str] = {}
        for message in self._recent(channel, thread_id):
            for marker in refs_in(message) & wanted.keys():
                found.setdefault(wanted[marker], str(message["id"]))
        return found

    def _recent(self, channel: str, thread_id: str | None) -> list[dict[str, Any]]:
        """The newest messages of the channel or thread, up to ``HISTORY_LOOKBACK``."""
        if self._is_webhook(channel):
            if thread_id:
                return []  # a webhook's card has no thread
            target = self._webhook_channel(channel)
        else:
            target = thread_id or channel
        messages: list[dict[str, Any]] = []
        before: str | None = None
        while len(messages) < HISTORY_LOOKBACK:
            params: dict[str, Any] = {"limit": 100}
            if before:
                params["before"] = before
            try:
                # a thread or a webhook's channel not readable says nothing about the channel itself
                readable = not thread_id and not self._is_webhook(channel)
                page = self._call("GET", f"/channels/{target}/messages", channel, params=params, disable=readable)
            except DeliveryError as exc:
                if thread_id and exc.code == "unknown_channel":
                    return []  # no thread was started from the card: nothing was posted in it
                raise
            if not isinstance(page, list) or not page:
                break
            messages.extend(page)
            before = str(page[-1]["id"])
            if len(page) < 100:
                break
        return messages

    def _webhook_channel(self, channel: str) -> str:
        """The channel a webhook posts in (``GET /webhooks/{id}/{token}``), read with the bot token."""
        if not self._token:
            raise DeliveryError(
                "cannot read a webhook's channel without a bot token", permanent=True, action=NO_HISTORY_ACTION
            )
        if channel not in self._webhook_channels:
            hook = self._call("GET", self._webhook_route(channel, ""), channel)
            self._webhook_channels[channel] = str(hook["channel_id"])
        return self._webhook_channels[channel]

    # --- the wire ------------------------------------------------------------------------------

    def _post(self, channel: str, message: dict[str, Any], key: str | None, *, target: str | None = None) -> str | None:
        if self._is_webhook(channel):
            reply = self._call("POST", self._webhook_route(channel, ""), channel, json=message, params={"wait": "true"})
        else:
            body = dict(message)
            if key is not None:
                body.update(nonce=nonce(target or channel, key), enforce_nonce=True)
            reply = self._call("POST", f"/channels/{target or channel}/messages", channel, json=body, disable=target is None)
        return str(reply["id"]) if isinstance(reply, dict) and reply.get("id") else None

    def _ensure_thread(self, channel: str, card_id: str, facts: RaceFacts | None, race_key: str) -> None:
        """Start the card's thread the first time a moment goes in it (the thread's id is the card's)."""
        if card_id in self._threads:
            return
        try:
            self._call(
                "POST",
                f"/channels/{channel}/messages/{card_id}/threads",
                channel,
                json={"name": thread_name(facts, race_key), "auto_archive_duration": 1440},
            )
        except DeliveryError as exc:
            if exc.code != "thread_exists":
                raise
        self._threads.add(card_id)

    def _webhook_route(self, channel: str, tail: str) -> str:
        url = self._webhooks.get(channel)
        if url is None:
            raise DeliveryError(f"{channel} is not among DISCORD_WEBHOOK_URLS", permanent=True, code="unknown_webhook")
        return url + tail

    def _is_webhook(self, channel: str) -> bool:
        return channel.startswith(WEBHOOK_PREFIX)

    def _call(
        self,
        method: str,
        route: str,
        channel: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        disable: bool = True,
        files: tuple[dict[str, str], dict[str, tuple[str, bytes, str]]] | None = None,
    ) -> Any:
        """One request; a DeliveryError for anything but success. ``route`` is a path under the
        API (bot calls) or a webhook's whole URL. ``disable``: a 404/403 means the channel itself.
        ``files``: a multipart body (``multipart``) instead of ``json``."""
        if channel in self.disabled:
            raise self.disabled[channel]
        webhook = route.startswith(("http://", "https://"))
        if not webhook and self._unauthorized is not None:
            raise self._unauthorized  # a refused token stays refused: no more invalid requests
        major = channel if webhook else next((part for part in route.split("/") if part.isdigit()), channel)
        bucket = (method + " " + _template(route, webhook), major)
        self._check_limits(bucket)
        headers = {} if webhook else {"Authorization": f"Bot {self._token or ''}"}
        url = route if webhook else self.api_url + route
        try:
            if files is not None:
                resp = self._session.request(
                    method, url, data=files[0], files=files[1], params=params, headers=headers, timeout=self.timeout
                )
            else:
                resp = self._session.request(method, url, json=json, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            # the exception's text holds the URL, and a webhook's URL holds its token: name the type only
            raise DeliveryError(f"network error: {type(exc).__name__}", uncertain=True) from None
        self._note_limits(bucket, resp)
        if 200 <= resp.status_code < 300:
            return resp.json() if resp.content else None
        raise self._classify(resp, channel, disable)

    def _check_limits(self, bucket: tuple[str, str]) -> None:
        now = self._now()
        if self._global_until > now:
            raise DeliveryError("rate limited (global, waiting)", retry_after=self._global_until - now, code="global")
        state = self._buckets.get(bucket)
        if state is not None and state.remaining <= 0 and state.reset_at > now:
            raise DeliveryError("rate limit bucket spent (waiting)", retry_after=state.reset_at - now, code="bucket")

    def _note_limits(self, bucket: tuple[str, str], resp: requests.Response) -> None:
        remaining = _number(resp.headers.get("X-RateLimit-Remaining"))
        reset_after = _number(resp.headers.get("X-RateLimit-Reset-After"))
        if remaining is not None and reset_after is not None:
            self._buckets[bucket] = _Bucket(int(remaining), self._now() + reset_after)

    def _classify(self, resp: requests.Response, channel: str, disable: bool) -> DeliveryError:
        status = resp.status_code
        try:
            body = resp.json()
        except ValueError:
            body = None
        data = body if isinstance(body, dict) else {}
        code = data.get("code")
        if status == 429:
            wait = _number(data.get("retry_after"))
            if wait is None:
                wait = _number(resp.headers.get("Retry-After")) or 1.0
            is_global = bool(data.get("global")) or resp.headers.get("X-RateLimit-Global", "").lower() == "true"
            if is_global:
                self._global_until = max(self._global_until, self._now() + wait)
            return DeliveryError(
                f"rate limited (HTTP 429{', global' if is_global else ''})", retry_after=wait, code="rate_limited"
            )
        if status >= 500:
            return DeliveryError(f"Discord server error (HTTP {status})", uncertain=True)
        if status == 401:
            error = DeliveryError(
                "401: Unauthorized",
                permanent=True,
                action="DISCORD_BOT_TOKEN is wrong: copy the bot token again (Developer Portal, Bot, Reset Token)",
                code="unauthorized",
            )
            if self._unauthorized is None:
                self._unauthorized = error
                log.error(
                    "discord: the bot token was refused (401) — %s; no more calls with it until the bot restarts",
                    error.action,
                )
            return error
        if code == UNKNOWN_MESSAGE:
            return MessageGone(
                "Unknown Message", Gone.DELETED, action="someone deleted the live card", code="message_not_found"
            )
        if code == THREAD_ALREADY_CREATED:
            return DeliveryError("thread already created", code="thread_exists")
        if code in DISABLING:
            name, action = DISABLING[code]
            error = DeliveryError(f"{data.get('message', name)} (Discord {code})", permanent=True, action=action, code=name)
            if disable:
                self._disable(channel, error)
            return error
        if status == 413 or code == REQUEST_TOO_LARGE:
            return DeliveryError(
                "Request entity too large (Discord 40005)",
                permanent=True,
                action="the picture is over what Discord takes here (8 MiB by webhook, 25 MiB by the bot)",
                code="file_too_large",
            )
        if code == INVALID_FORM_BODY:
            return DeliveryError(
                "Invalid Form Body (Discord 50035)",
                permanent=True,
                action="a message exceeded Discord's limits (a bug: please report it)",
                code="invalid_form_body",
            )
        return DeliveryError(
            f"Discord error {code or status}: {str(data.get('message', ''))[:200]}", code=str(code or status)
        )

    def _disable(self, channel: str, error: DeliveryError) -> None:
        if channel in self.disabled:
            return
        self.disabled[channel] = error
        log.error(
            "discord %s: disabled (%s) — %s; nothing more is sent to it until the bot restarts", channel, error, error.action
        )


def _group_key(alerts: Sequence[Alert]) -> str:
    """One message for many rows (a rollup, a summary): its nonce comes from all their keys, so it
    can never be mistaken for the post of one of them alone."""
    return "group|" + "|".join(alert.key for alert in alerts)


def _template(route: str, webhook: bool) -> str:
    """A route without its ids, for the bucket key (the channel or webhook is the key's other half)."""
    if webhook:
        return "/webhooks/{id}/{token}" + ("/messages/{id}" if "/messages/" in route else "")
    parts = route.split("/")
    return "/".join("{id}" if part.isdigit() else part for part in parts)


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


__all__ = ["BOT_FILE_MAX", "WEBHOOK_FILE_MAX", "DiscordSink", "fingerprint", "multipart", "nonce", "too_large"]
