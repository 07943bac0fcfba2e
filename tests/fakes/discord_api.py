"""A local, Discord-compatible REST API (v10) server that records every call.

Why a real HTTP server rather than a mocked session: the bot's Discord code depends on how
Discord behaves on the wire — 429s with a JSON ``retry_after`` *and* rate-limit headers, per-route
buckets per channel or webhook, the global limit, ``nonce`` + ``enforce_nonce`` deduplication, 404s
with Discord's numeric error codes, dropped connections. Serving those from loopback exercises the
production code paths while staying offline and deterministic.

What it serves (the parts of Discord's API the bot uses, shaped as Discord documents them):

- bot-token routes (``Authorization: Bot <token>``): messages (create, edit, get, delete, list
  ``?limit=&before=&after=`` newest first), a thread started from a message (the thread's channel id
  is the message's id), application commands (bulk overwrite, global and per guild), ``/users/@me``
  and ``/oauth2/applications/@me``;
- webhooks (no auth header, the token is in the path): execute (``?wait=true``, ``?thread_id=``),
  edit/get/delete a webhook's message;
- interactions: ``POST /interactions/{id}/{token}/callback``, then ``@original`` and follow-ups
  under ``/webhooks/{application_id}/{token}``;
- files: any message route also takes ``multipart/form-data`` as Discord documents it (the
  message as ``payload_json``, each file as ``files[n]``, described by the ``attachments`` entry
  whose ``id`` is ``n``): the bytes, name and payload are recorded (``uploads``), the message
  carries its ``attachments`` and an embed's ``attachment://<name>`` becomes the attachment's URL.
  Over ``file_limit`` (25 MiB; ``webhook_file_limit``, 8 MiB, for incoming webhooks) → 413
  Request entity too large (40005).

Typical use::

    with FakeDiscord() as discord:
        requests.post(f"{discord.base_url}/channels/1/messages", headers=discord.auth_headers(),
                      json={"content": "hello", "allowed_mentions": {"parse": []}})
        assert discord.posts("1")[0]["content"] == "hello"

Everything mutable is guarded by one lock, so tests may inject faults from the test thread while
the bot posts from its own threads. Pass the test's controlled clock as ``clock`` so outages, rate
limit windows and the nonce window run on mocked time. The HTTP plumbing (port, lock, outages,
failure queues) is ``tests.fakes.loopback``, shared with the fake Slack.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import hashlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.loopback import Headers, LoopbackFake, LoopbackHandler

API_PREFIX = "/api/v10"
BOT_TOKEN = "fake-discord-bot-token"
APPLICATION_ID = "1100000000000000001"
BOT_USER_ID = "1100000000000000002"
BOT_USERNAME = "electionbot"
#: first snowflake handed out; later ones grow by SNOWFLAKE_STEP so they sort by creation.
SNOWFLAKE_BASE = 1_300_000_000_000_000_000
SNOWFLAKE_STEP = 4096
#: Discord checks an enforced nonce "for uniqueness in the past few minutes".
NONCE_WINDOW_SECONDS = 300.0
NONCE_MAX_CHARS = 25

# Discord's documented limits on what a message may carry.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_LIMITS = {"title": 256, "description": 4096, "footer.text": 2048, "author.name": 256}
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
ATTACHMENT_DESCRIPTION_MAX = 1024
#: what a bot (and an interaction) may upload in one message, and an incoming webhook
FILE_LIMIT = 25 * 1024 * 1024
WEBHOOK_FILE_LIMIT = 8 * 1024 * 1024

# JSON error codes (Discord's "JSON Error Codes" table).
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS = 50005
EMPTY_MESSAGE = 50006
REQUEST_TOO_LARGE = 40005
INVALID_FORM_BODY = 50035
ALREADY_ACKNOWLEDGED = 40060
THREAD_ALREADY_CREATED = 160004


@dataclass(frozen=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart request: ``index`` is the ``n``."""

    index: int
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Upload:
    """A file that landed in a message: where, in which message, and what the bot sent with it
    (``description`` is the attachment's alt text, ``payload`` the message's ``payload_json``)."""

    channel: str
    message_id: str
    filename: str
    data: bytes
    description: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request the fake received, successful or not.

    ``route`` is Discord's route template (``"POST /channels/{channel_id}/messages"``), ``ids`` the
    path's identifiers (``channel_id``, ``message_id``, ``webhook_id``…; a webhook's token is kept out
    of ``ids`` and recorded only as ``webhook_token``). ``body`` is the decoded JSON body (``{}`` when
    none), ``query`` the query string as a dict. ``status`` is the HTTP status (0: connection
    dropped), ``response`` the JSON reply (None for empty or HTML bodies). ``answered`` is False when
    the call was carried out but its answer never reached the client (``lose_next_answer``).
    A multipart call's ``body`` is its ``payload_json``, and ``files`` its ``files[n]`` parts.
    """

    method: str
    route: str
    path: str
    ids: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    headers: Headers
    at: float
    status: int
    response: Any = None
    answered: bool = True
    files: tuple[UploadedFile, ...] = ()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def channel(self) -> str | None:
        return self.ids.get("channel_id")


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    payload: Any = None
    drop: bool = False

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> _Reply:
        return cls(status, json.dumps(payload).encode(), headers=dict(headers or {}), payload=payload)

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> _Reply:
        return cls(status, b"", headers=dict(headers or {}))

    @classmethod
    def html_error(cls, status: int) -> _Reply:
        """Discord's edge (Cloudflare) answers outages with an HTML page, not JSON."""
        page = f"<html><head><title>{status}</title></head><body>{status} Service Unavailable</body></html>"
        return cls(status, page.encode(), content_type="text/html; charset=utf-8")

    @classmethod
    def dropped(cls) -> _Reply:
        return cls(0, drop=True)


class _Rejected(Exception):
    def __init__(self, reply: _Reply) -> None:
        super().__init__(reply.payload)
        self.reply = reply


def _error(status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> _Rejected:
    payload: dict[str, Any] = {"message": message, "code": code}
    if errors:
        payload["errors"] = errors
    return _Rejected(_Reply.json(payload, status))


def _invalid(path: str, message: str, code: str = "BASE_TYPE_MAX_LENGTH") -> _Rejected:
    """400 Invalid Form Body (50035) with Discord's nested ``errors`` naming the offending field."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        errors = {part: errors}
    return _error(400, INVALID_FORM_BODY, "Invalid Form Body", errors)


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: float
    body: dict[str, Any] | None
    drop: bool
    channel: str | None
    is_global: bool = False
    lose_answer: bool = False
    #: only a request carrying files (``True``), only one without (``False``), or any (None)
    with_files: bool | None = None

    def matches(self, ids: Mapping[str, str], has_files: bool = False) -> bool:
        if self.with_files is not None and self.with_files != has_files:
            return False
        return self.channel is None or self.channel in (ids.get("channel_id"), ids.get("webhook_id"))


@dataclass
class _Window:
    """A fixed rate-limit window: ``count`` requests since ``start``."""

    start: float
    count: int = 0


#: (HTTP method, compiled path pattern, route template, handler name, auth) — first match wins.
_ROUTES: list[tuple[str, re.Pattern[str], str, str, str]] = []


def _route(method: str, template: str, handler: str, auth: str = "bot") -> None:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    _ROUTES.append((method, re.compile(f"^{pattern}$"), f"{method} {template}", handler, auth))


_route("GET", "/users/@me", "_me")
_route("GET", "/oauth2/applications/@me", "_application")
_route("POST", "/channels/{channel_id}/messages", "_create_message")
_route("GET", "/channels/{channel_id}/messages", "_list_messages")
_route("GET", "/channels/{channel_id}/messages/{message_id}", "_get_message")
_route("PATCH", "/channels/{channel_id}/messages/{message_id}", "_edit_message")
_route("DELETE", "/channels/{channel_id}/messages/{message_id}", "_delete_message")
_route("POST", "/channels/{channel_id}/messages/{message_id}/threads", "_start_thread")
_route("PUT", "/applications/{application_id}/commands", "_put_commands")
_route("GET", "/applications/{application_id}/commands", "_get_commands")
_route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", "_put_commands")
_route("GET", "/applications/{application_id}/guilds/{guild_id}/commands", "_get_commands")
_route("POST", "/interactions/{interaction_id}/{webhook_token}/callback", "_interaction_callback", "none")
_route("POST", "/webhooks/{webhook_id}/{webhook_token}", "_execute_webhook", "none")
_route("GET", "/webhooks/{webhook_id}/{webhook_token}", "_get_webhook", "none")
_route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "_webhook_get", "none")
_route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "_webhook_edit", "none")
_route("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", "_webhook_delete", "none")

#: routes whose buckets count per top-level resource (Discord's "major parameters").
_BUCKETED = {
    "POST /channels/{channel_id}/messages": "channel_id",
    "PATCH /channels/{channel_id}/messages/{message_id}": "channel_id",
    "POST /channels/{channel_id}/messages/{message_id}/threads": "channel_id",
    "POST /webhooks/{webhook_id}/{webhook_token}": "webhook_id",
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": "webhook_id",
}


def _total_embed_chars(embed: Mapping[str, Any]) -> int:
    """What Discord counts toward the 6,000 characters of a message's embeds."""
    total = len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
    total += len(str((embed.get("footer") or {}).get("text") or ""))
    total += len(str((embed.get("author") or {}).get("name") or ""))
    for item in embed.get("fields") or []:
        total += len(str(item.get("name") or "")) + len(str(item.get("value") or ""))
    return total


def validate_message(body: Mapping[str, Any], *, creating: bool = True, has_files: bool = False) -> None:
    """Refuse what Discord refuses with 400: over-long content or embeds, an empty message, a
    nonce over 25 characters. Raises ``_Rejected``; a public function so tests of the renderer can
    hold payloads to the same rules without a server."""
    content = body.get("content")
    if content is not None and len(str(content)) > CONTENT_MAX:
        raise _invalid("content", f"Must be {CONTENT_MAX} or fewer in length.")
    embeds = body.get("embeds") or []
    if not isinstance(embeds, list):
        raise _invalid("embeds", "Must be an array.", "LIST_TYPE_CONVERT")
    if len(embeds) > EMBEDS_MAX:
        raise _invalid("embeds", f"Must be {EMBEDS_MAX} or fewer in length.", "BASE_TYPE_BAD_LENGTH")
    for index, embed in enumerate(embeds):
        for name, limit in EMBED_LIMITS.items():
            outer, _, inner = name.partition(".")
            value = embed.get(outer)
            if inner and isinstance(value, Mapping):
                value = value.get(inner)
            elif inner:
                value = None
            if value is not None and len(str(value)) > limit:
                raise _invalid(f"embeds.{index}.{name}", f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_MAX:
            raise _invalid(f"embeds.{index}.fields", f"Must be {FIELDS_MAX} or fewer in length.", "BASE_TYPE_BAD_LENGTH")
        for number, item in enumerate(fields):
            for key, limit in (("name", FIELD_NAME_MAX), ("value", FIELD_VALUE_MAX)):
                text = str(item.get(key) or "")
                if not text.strip():
                    raise _invalid(f"embeds.{index}.fields.{number}.{key}", "This field is required", "BASE_TYPE_REQUIRED")
                if len(text) > limit:
                    raise _invalid(f"embeds.{index}.fields.{number}.{key}", f"Must be {limit} or fewer in length.")
        colour = embed.get("color")
        if colour is not None and not (isinstance(colour, int) and 0 <= colour <= 0xFFFFFF):
            raise _invalid(f"embeds.{index}.color", "Int value should be less than or equal to 16777215.", "NUMBER_TYPE_MAX")
    if sum(_total_embed_chars(embed) for embed in embeds) > EMBED_TOTAL_MAX:
        raise _invalid("embeds", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}", "MAX_EMBED_SIZE_EXCEEDED")
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > NONCE_MAX_CHARS:
        raise _invalid("nonce", f"Must be {NONCE_MAX_CHARS} or fewer in length.")
    for index, attachment in enumerate(body.get("attachments") or []):
        description = attachment.get("description") if isinstance(attachment, Mapping) else None
        if description is not None and len(str(description)) > ATTACHMENT_DESCRIPTION_MAX:
            raise _invalid(f"attachments.{index}.description", f"Must be {ATTACHMENT_DESCRIPTION_MAX} or fewer in length.")
    if creating and not str(content or "").strip() and not embeds and not has_files:
        raise _error(400, EMPTY_MESSAGE, "Cannot send an empty message")


class _Handler(LoopbackHandler):
    """Raw HTTP → ``FakeDiscord._handle``, with the HTTP method (Discord's routes use five)."""

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def answer(self, path: str, query: str, headers: Headers, body: bytes) -> _Reply:
        return self.server.fake._handle(self.command, path, query, headers, body)


class FakeDiscord(LoopbackFake):
    """Discord's REST API v10 on ``127.0.0.1:<random port>``.

    State tests may change directly (under no lock: set it before the bot runs, or use the
    methods): ``missing_channels`` (404 Unknown Channel), ``forbidden_channels`` (403 Missing
    Access), ``invalid_tokens``. Rate limits: ``bucket_limit``/``bucket_window`` per route and
    channel or webhook (Discord's per-route buckets; None = off), ``global_limit`` requests per
    second per bot token (None = off). Recorded: ``calls``, ``server_errors``.
    """

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        bucket_limit: int | None = None,
        bucket_window: float = 5.0,
        global_limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        latency: float = 0.0,
        nonce_window: float = NONCE_WINDOW_SECONDS,
        file_limit: int = FILE_LIMIT,
        webhook_file_limit: int = WEBHOOK_FILE_LIMIT,
    ) -> None:
        super().__init__(clock=clock, latency=latency)
        self.bot_token = bot_token
        self.file_limit = file_limit
        self.webhook_file_limit = webhook_file_limit
        self.bucket_limit = bucket_limit
        self.bucket_window = bucket_window
        self.global_limit = global_limit
        self.nonce_window = nonce_window
        self.missing_channels: set[str] = set()
        self.forbidden_channels: set[str] = set()
        self.invalid_tokens: set[str] = set()
        self.calls: list[Call] = []
        self._snowflakes = 0
        self._messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._nonces: dict[tuple[str, str, str], tuple[float, str]] = {}
        self._threads: dict[str, dict[str, Any]] = {}
        self._webhooks: dict[str, dict[str, str]] = {}
        self._interactions: dict[str, dict[str, Any]] = {}
        self._commands: dict[str, list[dict[str, Any]]] = {}
        #: attachment id → the bytes of the file (``uploads``)
        self._files: dict[str, bytes] = {}
        self._uploads: list[Upload] = []
        #: the files of the request being handled, for the handler's message (``_attach``)
        self._pending_files: tuple[UploadedFile, ...] = ()
        self._command_ids: dict[tuple[str, str, str], str] = {}
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global_window = _Window(start=float("-inf"))

    # ----------------------------------------------------------------- lifecycle

    name = "fake-discord"
    handler = _Handler

    @property
    def base_url(self) -> str:
        """What ``DISCORD_API_URL`` should hold: the v10 API base, no trailing slash."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bot {token or self.bot_token}"}

    def add_webhook(self, channel_id: str, *, name: str = "Election desk") -> str:
        """Create an incoming webhook on ``channel_id`` and return its URL (a secret, as in Discord)."""
        with self._lock:
            webhook_id = self._next_id()
            token = f"whtoken-{webhook_id[-6:]}-secret"
            self._webhooks[webhook_id] = {"id": webhook_id, "token": token, "channel_id": channel_id, "name": name}
            return f"{self.base_url}/webhooks/{webhook_id}/{token}"

    def delete_webhook(self, url: str) -> None:
        """Delete a webhook as a server admin would: its URL now answers 404 Unknown Webhook."""
        webhook_id = url.rstrip("/").split("/")[-2]
        with self._lock:
            self._webhooks.pop(webhook_id, None)

    def webhook_channel(self, url: str) -> str:
        return self._webhooks[url.rstrip("/").split("/")[-2]]["channel_id"]

    def open_interaction(self, interaction_id: str, token: str, *, ttl: float = 900.0) -> None:
        """Register an interaction Discord has sent (its token is valid 15 minutes)."""
        with self._lock:
            self._interactions[token] = {"id": interaction_id, "expires": self._clock() + ttl, "acked": False}

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        route: str = "*",
        status: int = 429,
        retry_after: float = 1.0,
        times: int = 1,
        body: dict[str, Any] | None = None,
        *,
        drop: bool = False,
        channel: str | None = None,
        is_global: bool = False,
        with_files: bool | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``route`` (a template such as
        ``"POST /channels/{channel_id}/messages"``, or ``"*"``) with a failure: by default a 429
        carrying Discord's JSON and headers; a 5xx is an HTML page; ``body`` gives any JSON error
        (``{"message": "Unknown Channel", "code": 10003}`` with ``status=404``). ``channel`` limits
        it to one channel id or webhook id, ``with_files=True`` to requests carrying files (a picture)."""
        self._queue_failures(
            route, _Failure(status, retry_after, body, drop, channel, is_global, with_files=with_files), times
        )

    def lose_next_answer(
        self,
        route: str = "POST /channels/{channel_id}/messages",
        times: int = 1,
        *,
        channel: str | None = None,
        with_files: bool | None = None,
    ) -> None:
        """Carry out the next ``times`` requests (a message lands), then drop the connection."""
        self._queue_failures(route, _Failure(200, 0.0, None, True, channel, lose_answer=True, with_files=with_files), times)

    def delete_message(self, channel_id: str, message_id: str) -> bool:
        """Delete a message as a moderator would (no call recorded)."""
        with self._lock:
            for message in self._messages.get(channel_id, []):
                if message["id"] == message_id:
                    self._messages[channel_id].remove(message)
                    return True
            return False

    # ----------------------------------------------------------------- inspection

    def calls_to(self, route: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.route == route]

    def posts(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Bodies of successful message creations by the bot token (optionally in one channel)."""
        return [
            call.body
            for call in self.calls_to("POST /channels/{channel_id}/messages")
            if call.ok and (channel_id is None or call.channel == channel_id)
        ]

    def webhook_posts(self, url: str | None = None) -> list[dict[str, Any]]:
        webhook_id = url.rstrip("/").split("/")[-2] if url else None
        return [
            call.body
            for call in self.calls_to("POST /webhooks/{webhook_id}/{webhook_token}")
            if call.ok and call.ids["webhook_id"] != APPLICATION_ID and webhook_id in (None, call.ids["webhook_id"])
        ]

    def uploads(self, channel_id: str | None = None) -> list[Upload]:
        """Every file that landed in a message, in order (a channel, a thread, a webhook's channel;
        ``""`` for an interaction's own messages), optionally in one channel or thread."""
        with self._lock:
            return [u for u in self._uploads if channel_id is None or u.channel == channel_id]

    def attachment_bytes(self, attachment_id: str) -> bytes:
        with self._lock:
            return self._files[attachment_id]

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Copies of the messages in a channel or thread, oldest first, edits applied."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel_id, []))

    def message_calls(self) -> list[Call]:
        """Every call that carried a message body (create, edit, webhook, follow-up, callback)."""
        with self._lock:
            return [call for call in self.calls if call.method in ("POST", "PATCH") and _carries_message(call)]

    def threads(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._threads)

    def interaction(self, token: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._interactions[token])

    # ----------------------------------------------------------------- request pipeline

    def _internal_error(self, exc: Exception) -> _Reply:
        return _Reply.json({"message": "fake internal error", "code": 0, "detail": repr(exc)}, 500)

    def _handle_locked(self, method: str, path: str, query: str, headers: Headers, raw: bytes) -> _Reply:
        at = self._clock()
        params = dict(parse_qsl(query, keep_blank_values=True))
        local = path.removeprefix(API_PREFIX) if path.startswith(API_PREFIX + "/") else None
        matched = self._match(method, local) if local is not None else None
        route, ids, handler, auth = matched or (f"{method} {path}", {}, None, "none")
        record_ids = {k: v for k, v in ids.items() if k != "webhook_token"}
        if "webhook_token" in ids:
            record_ids["webhook_token"] = ids["webhook_token"]
        files: tuple[UploadedFile, ...] = ()
        if str(headers.get("Content-Type", "")).startswith("multipart/"):
            body, files, parse_error = self._parse_multipart(str(headers.get("Content-Type")), raw)
        else:
            body, parse_error = self._parse(raw)

        def record(reply: _Reply, answered: bool = True) -> _Reply:
            self.calls.append(
                Call(
                    method, route, path, record_ids, params, body, headers, at, reply.status, reply.payload, answered, files
                )
            )
            return reply

        if (outage := self._outage(at)) is not None:
            return record(_Reply.dropped() if outage == "drop" else _Reply.html_error(503))
        injected = self._injected(route, ids, bool(files))
        if injected is not None and not injected.lose_answer:
            return record(self._failure_reply(injected, route, ids))
        if handler is None:
            return record(_Reply.json({"message": "404: Not Found", "code": 0}, 404))
        try:
            if auth == "bot":
                self._check_auth(headers)
            limited = self._rate_limit(route, ids, at, auth)
            if limited is not None:
                return record(limited)
            if parse_error is not None:
                raise parse_error
            self._pending_files = self._checked_files(files, body, route, ids)
            reply = getattr(self, handler)(ids, params, body, at)
        except _Rejected as rejected:
            reply = rejected.reply
        reply = _with_headers(reply, self._bucket_headers(route, ids, at))
        if injected is not None:  # lose_answer: done, but the client never hears
            record(reply, answered=False)
            return _Reply.dropped()
        return record(reply)

    @staticmethod
    def _match(method: str, path: str) -> tuple[str, dict[str, str], str, str] | None:
        for verb, pattern, template, handler, auth in _ROUTES:
            found = pattern.match(path)
            if verb == method and found:
                return template, dict(found.groupdict()), handler, auth
        return None

    @staticmethod
    def _parse(raw: bytes) -> tuple[dict[str, Any], _Rejected | None]:
        if not raw:
            return {}, None
        try:
            decoded = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {}, _error(400, INVALID_FORM_BODY, "The request body contains invalid JSON.")
        if isinstance(decoded, list):
            return {"_list": decoded}, None
        if not isinstance(decoded, dict):
            return {}, _error(400, INVALID_FORM_BODY, "Invalid Form Body")
        return decoded, None

    @staticmethod
    def _parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], tuple[UploadedFile, ...], _Rejected | None]:
        """``payload_json`` and ``files[n]`` of a ``multipart/form-data`` body (as Discord reads it:
        any other field is ignored; a form without ``payload_json`` is a message of files only)."""
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        if not form.is_multipart():
            return {}, (), _error(400, INVALID_FORM_BODY, "Invalid Form Body")
        body: dict[str, Any] = {}
        files: list[UploadedFile] = []
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(data, bytes):
                continue
            if name == "payload_json":
                try:
                    decoded = json.loads(data.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    return {}, (), _error(400, INVALID_FORM_BODY, "The request body contains invalid JSON.")
                if not isinstance(decoded, dict):
                    return {}, (), _error(400, INVALID_FORM_BODY, "Invalid Form Body")
                body = decoded
            elif (found := re.fullmatch(r"files\[(\d+)\]", name)) is not None:
                filename = part.get_filename() or ""
                files.append(UploadedFile(int(found.group(1)), filename, part.get_content_type(), data))
        return body, tuple(files), None

    def _checked_files(
        self, files: tuple[UploadedFile, ...], body: Mapping[str, Any], route: str, ids: Mapping[str, str]
    ) -> tuple[UploadedFile, ...]:
        """The files a message route may take: within the size limit (413, 40005), each named and
        described by its ``attachments`` entry when the payload lists them (400 otherwise)."""
        if not files:
            return ()
        incoming_webhook = "{webhook_token}" in route and ids.get("webhook_id") != APPLICATION_ID
        limit = self.webhook_file_limit if incoming_webhook else self.file_limit
        if sum(len(f.data) for f in files) > limit:
            raise _error(413, REQUEST_TOO_LARGE, "Request entity too large")
        listed = body.get("attachments")
        if listed is not None:
            known = {f.index for f in files}
            for index, attachment in enumerate(listed):
                if not isinstance(attachment, Mapping) or "id" not in attachment:
                    raise _invalid(f"attachments.{index}.id", "This field is required", "BASE_TYPE_REQUIRED")
                if str(attachment["id"]).isdigit() and int(attachment["id"]) < 1000 and int(attachment["id"]) not in known:
                    raise _invalid(f"attachments.{index}.id", "Unknown attachment", "ATTACHMENT_NOT_FOUND")
        return files

    def _attach(self, message: dict[str, Any], body: Mapping[str, Any], channel: str) -> None:
        """The files of the request being handled become the message's ``attachments`` (kept:
        the ones an edit's ``attachments`` lists by their existing id); an embed's
        ``attachment://<name>`` becomes that attachment's URL, or shows no image when none has the name."""
        files, self._pending_files = self._pending_files, ()
        if not files and "attachments" not in body:
            return
        described = {
            int(a["id"]): a for a in body.get("attachments") or [] if isinstance(a, Mapping) and str(a.get("id")).isdigit()
        }
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, Mapping)}
        attachments = [a for a in message.get("attachments") or [] if a["id"] in kept_ids]
        for file in sorted(files, key=lambda f: f.index):
            meta = described.get(file.index, {})
            attachment_id = self._next_id()
            filename = str(meta.get("filename") or file.filename)
            attachment = {
                "id": attachment_id,
                "filename": filename,
                "size": len(file.data),
                "url": f"http://127.0.0.1:{self.port}/attachments/{channel or 'interaction'}/{attachment_id}/{filename}",
                "content_type": file.content_type,
            }
            attachment["proxy_url"] = attachment["url"]
            description = str(meta["description"]) if meta.get("description") is not None else None
            if description is not None:
                attachment["description"] = description
            self._files[attachment_id] = file.data
            attachments.append(attachment)
            self._uploads.append(Upload(channel, str(message.get("id", "")), filename, file.data, description, dict(body)))
        message["attachments"] = attachments
        by_name = {a["filename"]: a["url"] for a in attachments}
        for embed in message.get("embeds") or []:
            for part in ("image", "thumbnail"):
                url = str((embed.get(part) or {}).get("url") or "")
                if url.startswith("attachment://"):
                    if url.removeprefix("attachment://") in by_name:
                        embed[part] = {"url": by_name[url.removeprefix("attachment://")]}
                    else:
                        embed.pop(part)

    def _injected(self, route: str, ids: Mapping[str, str], has_files: bool = False) -> _Failure | None:
        return self._take_failure(route, lambda failure: failure.matches(ids, has_files))

    def _failure_reply(self, failure: _Failure, route: str, ids: Mapping[str, str]) -> _Reply:
        if failure.drop:
            return _Reply.dropped()
        if failure.status == 429:
            return _rate_limited(failure.retry_after, is_global=failure.is_global, bucket=_bucket_hash(route))
        if failure.body is not None:
            return _Reply.json(failure.body, failure.status)
        if failure.status >= 500:
            return _Reply.html_error(failure.status)
        return _Reply.json({"message": "fake failure", "code": 0}, failure.status)

    def _check_auth(self, headers: Headers) -> None:
        authorization = str(headers.get("Authorization", ""))
        token = authorization.removeprefix("Bot ").strip() if authorization.startswith("Bot ") else ""
        if not token or token != self.bot_token or token in self.invalid_tokens:
            raise _error(401, 0, "401: Unauthorized")

    # ----------------------------------------------------------------- rate limits

    def _rate_limit(self, route: str, ids: Mapping[str, str], at: float, auth: str) -> _Reply | None:
        """The global limit (per bot, per second) first, then the route's bucket per channel/webhook."""
        if self.global_limit is not None and auth == "bot":
            window = self._global_window
            if at - window.start >= 1.0:
                window.start, window.count = at, 0
            if window.count >= self.global_limit:
                return _rate_limited(round(window.start + 1.0 - at, 3), is_global=True)
            window.count += 1
        key = self._bucket_key(route, ids)
        if key is None or self.bucket_limit is None:
            return None
        window = self._windows.get(key)
        if window is None or at - window.start >= self.bucket_window:
            window = self._windows[key] = _Window(start=at)
        if window.count >= self.bucket_limit:
            retry = round(window.start + self.bucket_window - at, 3)
            return _rate_limited(
                retry, bucket=_bucket_hash(route), limit=self.bucket_limit, reset_at=window.start + self.bucket_window
            )
        window.count += 1
        return None

    @staticmethod
    def _bucket_key(route: str, ids: Mapping[str, str]) -> tuple[str, str] | None:
        major = _BUCKETED.get(route)
        if major is None or ids.get("webhook_id") == APPLICATION_ID:
            return None
        return _bucket_hash(route), ids.get(major, "")

    def _bucket_headers(self, route: str, ids: Mapping[str, str], at: float) -> dict[str, str]:
        key = self._bucket_key(route, ids)
        if key is None or self.bucket_limit is None:
            return {}
        window = self._windows.get(key) or _Window(start=at)
        reset_after = max(0.0, window.start + self.bucket_window - at)
        return {
            "X-RateLimit-Limit": str(self.bucket_limit),
            "X-RateLimit-Remaining": str(max(0, self.bucket_limit - window.count)),
            "X-RateLimit-Reset": f"{window.start + self.bucket_window:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": key[0],
        }

    # ----------------------------------------------------------------- helpers

    def _next_id(self) -> str:
        self._snowflakes += 1
        return str(SNOWFLAKE_BASE + self._snowflakes * SNOWFLAKE_STEP)

    def _channel(self, ids: Mapping[str, str]) -> str:
        channel = ids["channel_id"]
        if not channel.isdigit() or channel in self.missing_channels:
            raise _error(404, UNKNOWN_CHANNEL, "Unknown Channel")
        if channel in self.forbidden_channels:
            raise _error(403, MISSING_ACCESS, "Missing Access")
        return channel

    def _find(self, channel: str, message_id: str) -> dict[str, Any]:
        for message in self._messages.get(channel, []):
            if message["id"] == message_id:
                return message
        raise _error(404, UNKNOWN_MESSAGE, "Unknown Message")

    def _new_message(self, channel: str, body: Mapping[str, Any], author: dict[str, Any], at: float) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self._next_id(),
            "type": 0,
            "channel_id": channel,
            "author": author,
            "content": str(body.get("content") or ""),
            "embeds": copy.deepcopy(list(body.get("embeds") or [])),
            "flags": int(body.get("flags") or 0),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "edited_timestamp": None,
            "timestamp": f"{at:.3f}",
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        self._attach(message, body, channel)
        self._messages[channel].append(message)
        return message

    def _bot_author(self) -> dict[str, Any]:
        return {"id": BOT_USER_ID, "username": BOT_USERNAME, "bot": True}

    def _apply_edit(self, message: dict[str, Any], body: Mapping[str, Any], at: float) -> None:
        validate_message(body, creating=False)
        for name in ("content", "embeds", "flags", "components"):
            if name in body:
                message[name] = copy.deepcopy(body[name])
        self._attach(message, body, str(message.get("channel_id") or ""))
        message["edited_timestamp"] = f"{at:.3f}"

    @staticmethod
    def _public(message: Mapping[str, Any]) -> dict[str, Any]:
        """What GET returns: Discord does not echo a nonce back outside the create answer."""
        shown = copy.deepcopy(dict(message))
        shown.pop("nonce", None)
        return shown

    def _webhook(self, ids: Mapping[str, str]) -> dict[str, str]:
        hook = self._webhooks.get(ids["webhook_id"])
        if hook is None or hook["token"] != ids["webhook_token"]:
            raise _error(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        return hook

    # ----------------------------------------------------------------- bot routes

    def _me(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        return _Reply.json({**self._bot_author(), "discriminator": "0", "global_name": None})

    def _application(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        return _Reply.json({"id": APPLICATION_ID, "name": "Electionbot", "bot": self._bot_author(), "flags": 0})

    def _create_message(
        self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float
    ) -> _Reply:
        channel = self._channel(ids)
        validate_message(body, has_files=bool(self._pending_files))
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((channel, BOT_USER_ID, str(nonce)))
            if seen is not None and at - seen[0] <= self.nonce_window:
                for message in self._messages.get(channel, []):
                    if message["id"] == seen[1]:
                        return _Reply.json(copy.deepcopy(message))
        message = self._new_message(channel, body, self._bot_author(), at)
        if nonce is not None:
            self._nonces[(channel, BOT_USER_ID, str(nonce))] = (at, message["id"])
        return _Reply.json(copy.deepcopy(message))

    def _list_messages(
        self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float
    ) -> _Reply:
        channel = self._channel(ids)
        try:
            limit = int(params.get("limit") or 50)
        except ValueError as exc:
            raise _invalid("limit", "Value is not int.", "NUMBER_TYPE_COERCE") from exc
        if not 1 <= limit <= 100:
            raise _invalid("limit", "int value should be between 1 and 100.", "NUMBER_TYPE_MAX")
        messages = list(self._messages.get(channel, []))
        if params.get("before"):
            messages = [m for m in messages if int(m["id"]) < int(params["before"])]
        if params.get("after"):
            messages = [m for m in messages if int(m["id"]) > int(params["after"])][:limit]
        page = list(reversed(messages))[:limit]
        return _Reply.json([self._public(m) for m in page])

    def _get_message(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        return _Reply.json(self._public(self._find(self._channel(ids), ids["message_id"])))

    def _edit_message(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        message = self._find(self._channel(ids), ids["message_id"])
        if message["author"].get("id") != BOT_USER_ID:
            raise _error(403, CANNOT_EDIT_OTHERS, "Cannot edit a message authored by another user")
        self._apply_edit(message, body, at)
        return _Reply.json(self._public(message))

    def _delete_message(
        self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float
    ) -> _Reply:
        channel = self._channel(ids)
        self._messages[channel].remove(self._find(channel, ids["message_id"]))
        return _Reply.empty()

    def _start_thread(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        channel = self._channel(ids)
        message = self._find(channel, ids["message_id"])
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise _invalid("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        if message["id"] in self._threads:
            raise _error(400, THREAD_ALREADY_CREATED, "A thread has already been created for this message")
        thread = {
            "id": message["id"],
            "type": 11,
            "parent_id": channel,
            "name": name,
            "thread_metadata": {"archived": False, "auto_archive_duration": int(body.get("auto_archive_duration") or 4320)},
        }
        self._threads[message["id"]] = thread
        message["thread"] = copy.deepcopy(thread)
        return _Reply.json(copy.deepcopy(thread), 201)

    def _put_commands(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        if ids["application_id"] != APPLICATION_ID:
            raise _error(403, MISSING_ACCESS, "Missing Access")
        commands = body.get("_list")
        if not isinstance(commands, list):
            raise _error(400, INVALID_FORM_BODY, "Invalid Form Body")
        scope = ids.get("guild_id", "")
        stored = []
        for command in commands:
            name = str(command.get("name") or "")
            if not re.fullmatch(r"[-_\w]{1,32}", name) or name != name.lower():
                raise _invalid("name", "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME")
            key = (scope, name, str(command.get("type", 1)))
            command_id = self._command_ids.setdefault(key, self._next_id())
            entry = {**copy.deepcopy(command), "id": command_id, "application_id": APPLICATION_ID, "version": command_id}
            entry.setdefault("type", 1)
            if scope:
                entry["guild_id"] = scope
            stored.append(entry)
        self._commands[scope] = stored
        return _Reply.json(copy.deepcopy(stored))

    def _get_commands(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        if ids["application_id"] != APPLICATION_ID:
            raise _error(403, MISSING_ACCESS, "Missing Access")
        return _Reply.json(copy.deepcopy(self._commands.get(ids.get("guild_id", ""), [])))

    # ----------------------------------------------------------------- interactions

    def _live_interaction(self, token: str, at: float) -> dict[str, Any]:
        interaction = self._interactions.get(token)
        if interaction is None or at > interaction["expires"]:
            raise _error(404, UNKNOWN_INTERACTION if interaction is None else UNKNOWN_WEBHOOK, "Unknown interaction")
        return interaction

    def _interaction_callback(
        self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float
    ) -> _Reply:
        interaction = self._interactions.get(ids["webhook_token"])
        if interaction is None or interaction["id"] != ids["interaction_id"] or at > interaction["expires"]:
            raise _error(404, UNKNOWN_INTERACTION, "Unknown interaction")
        if interaction["acked"]:
            raise _error(400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        kind = body.get("type")
        data = body.get("data") or {}
        if kind in (4, 7):
            validate_message(data)
        if kind not in (1, 4, 5, 6, 7):
            raise _invalid("type", "Value must be one of {1, 4, 5, 6, 7}.", "BASE_TYPE_CHOICES")
        interaction["acked"] = True
        interaction["callback"] = copy.deepcopy(dict(body))
        if kind in (4, 5):
            original = {
                "content": data.get("content") or "",
                "embeds": data.get("embeds") or [],
                "flags": data.get("flags") or 0,
            }
            if kind == 5:
                original["flags"] = int(original["flags"]) | 128  # LOADING: "Bot is thinking…"
            interaction["original"] = {**copy.deepcopy(original), "id": self._next_id()}
            interaction["followups"] = []
        return _Reply.empty(204)

    def _interaction_webhook(self, ids: Mapping[str, str], at: float) -> dict[str, Any]:
        interaction = self._live_interaction(ids["webhook_token"], at)
        if "original" not in interaction:
            raise _error(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        return interaction

    # ----------------------------------------------------------------- webhooks

    def _execute_webhook(
        self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float
    ) -> _Reply:
        validate_message(body, has_files=bool(self._pending_files))
        if ids["webhook_id"] == APPLICATION_ID:  # an interaction's follow-up
            interaction = self._interaction_webhook(ids, at)
            followup = {**copy.deepcopy(dict(body)), "id": self._next_id()}
            followup.pop("attachments", None)
            self._attach(followup, body, "")
            interaction["followups"].append(followup)
            return _Reply.json(copy.deepcopy(followup))
        hook = self._webhook(ids)
        channel = params.get("thread_id") or hook["channel_id"]
        if channel in self.missing_channels or (params.get("thread_id") and channel not in self._threads):
            raise _error(404, UNKNOWN_CHANNEL, "Unknown Channel")
        author = {"id": hook["id"], "username": str(body.get("username") or hook["name"]), "bot": True}
        message = self._new_message(channel, body, author, at)
        message["webhook_id"] = hook["id"]
        if params.get("wait", "").lower() == "true":
            return _Reply.json(self._public(message))
        return _Reply.empty(204)

    def _get_webhook(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        """The webhook object (no ``user`` with a token-authenticated GET, as in Discord)."""
        hook = self._webhook(ids)
        return _Reply.json(
            {"id": hook["id"], "type": 1, "channel_id": hook["channel_id"], "name": hook["name"], "token": hook["token"]}
        )

    def _webhook_message(self, ids: Mapping[str, str], params: Mapping[str, str], at: float) -> tuple[str, dict[str, Any]]:
        if ids["webhook_id"] == APPLICATION_ID:
            interaction = self._interaction_webhook(ids, at)
            if ids["message_id"] == "@original":
                return "", interaction["original"]
            for followup in interaction["followups"]:
                if followup["id"] == ids["message_id"]:
                    return "", followup
            raise _error(404, UNKNOWN_MESSAGE, "Unknown Message")
        hook = self._webhook(ids)
        channel = params.get("thread_id") or hook["channel_id"]
        message = self._find(channel, ids["message_id"])
        if message.get("webhook_id") != hook["id"]:
            raise _error(404, UNKNOWN_MESSAGE, "Unknown Message")
        return channel, message

    def _webhook_get(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        return _Reply.json(self._public(self._webhook_message(ids, params, at)[1]))

    def _webhook_edit(self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float) -> _Reply:
        channel, message = self._webhook_message(ids, params, at)
        self._apply_edit(message, body, at)
        if not channel and message.get("flags", 0) & 128:
            message["flags"] = int(message["flags"]) & ~128  # a deferred answer is no longer "thinking"
        return _Reply.json(self._public(message))

    def _webhook_delete(
        self, ids: Mapping[str, str], params: Mapping[str, str], body: Mapping[str, Any], at: float
    ) -> _Reply:
        channel, message = self._webhook_message(ids, params, at)
        if channel:
            self._messages[channel].remove(message)
        elif ids["message_id"] == "@original":
            self._interactions[ids["webhook_token"]].pop("original")
        return _Reply.empty()


def _carries_message(call: Call) -> bool:
    if call.route.endswith("/callback"):
        return call.body.get("type") in (4, 7)
    return call.route in {
        "POST /channels/{channel_id}/messages",
        "PATCH /channels/{channel_id}/messages/{message_id}",
        "POST /webhooks/{webhook_id}/{webhook_token}",
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
    }


def message_body(call: Call) -> dict[str, Any]:
    """The message a call carried: an interaction callback's ``data``, else the body itself."""
    return dict(call.body.get("data") or {}) if call.route.endswith("/callback") else dict(call.body)


def _bucket_hash(route: str) -> str:
    """A stable opaque bucket id per route, as Discord's ``X-RateLimit-Bucket`` is."""
    return hashlib.sha1(route.encode()).hexdigest()[:16]


def _rate_limited(
    retry_after: float, *, is_global: bool = False, bucket: str | None = None, limit: int = 5, reset_at: float | None = None
) -> _Reply:
    """Discord's 429: JSON ``message``/``retry_after`` (float seconds)/``global`` and the headers."""
    retry_after = max(0.0, float(retry_after))
    payload = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
    headers = {
        "Retry-After": str(max(1, round(retry_after + 0.4999))),
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    else:
        headers.update(
            {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Reset": f"{(reset_at if reset_at is not None else retry_after):.3f}",
                "X-RateLimit-Bucket": bucket or "unknown",
            }
        )
    return _Reply.json(payload, 429, headers)


def _with_headers(reply: _Reply, headers: Mapping[str, str]) -> _Reply:
    if not headers or reply.status == 429:
        return reply
    return _Reply(reply.status, reply.body, reply.content_type, {**headers, **reply.headers}, reply.payload, reply.drop)
