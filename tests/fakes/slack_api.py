"""A local, Slack-compatible Web API server that records every call.

Why a real HTTP server instead of mocking ``WebClient``: the bot's delivery code depends on how
slack_sdk behaves on the wire (retry handlers, ``Retry-After``, non-JSON 5xx bodies, dropped
connections).  Serving those from loopback lets tests exercise the exact production code paths
while staying offline and deterministic.

Typical use::

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C1", text="hello")
        assert slack.posts("C1")[0]["text"] == "hello"

Everything mutable is guarded by one lock, so tests may inject faults from the test thread while
the bot posts from its own threads. The HTTP plumbing (ports, lock, outages, failure queues) is
``tests.fakes.loopback``, shared with the fake Discord.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl

from tests.fakes.loopback import Headers as Headers
from tests.fakes.loopback import LoopbackFake, LoopbackHandler
from tests.fakes.loopback import wait_for as wait_for

TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"
PERMALINK_HOST = "https://fake-slack.test"
BOT_SCOPES = "chat:write,chat:write.public,commands,channels:history,groups:history,files:write,files:read,im:write"

# Fields Slack accepts as JSON-encoded strings inside form posts (slack_sdk may send them either way).
JSON_FIELDS = frozenset({"blocks", "attachments", "metadata", "files"})
# Message fields copied from chat.postMessage / chat.update params into the stored message.
MESSAGE_FIELDS = ("text", "blocks", "attachments", "metadata")
DEFAULT_TS_BASE = 1_700_000_000.0
TS_STEP_MICROS = 100

#: methods called with the app-level token (``xapp-``), not the bot's
APP_LEVEL_METHODS = frozenset({"apps.connections.open"})
#: methods authenticated by the app's client id and secret (HTTP Basic), not by a token
CLIENT_AUTH_METHODS = frozenset({"oauth.v2.access"})
#: the path of an upload URL (files.getUploadURLExternal), served on the fake's second port as
#: Slack serves them from files.slack.com; the method name faults and recordings use for it.
UPLOAD_PATH = "/upload/v1/"
UPLOAD_METHOD = "files.upload_url"


@dataclass(frozen=True)
class Call:
    """One request the fake received, successful or not.

    ``method`` is the Web API method (``"chat.postMessage"``) or ``"response/<name>"`` for
    response-URL posts.  ``status`` is the HTTP status sent back (0 when the connection was
    dropped).  ``response`` is the JSON reply body, ``None`` for HTML errors and drops.
    ``answered`` is False when the call was carried out but its answer never reached the client
    (see ``FakeSlack.lose_next_answer``): ``status`` and ``response`` then say what Slack did.
    """

    method: str
    params: dict[str, Any]
    headers: Headers
    at: float
    status: int
    response: dict[str, Any] | None = None
    answered: bool = True

    @property
    def ok(self) -> bool:
        """True when Slack would have accepted the call (HTTP 200 and ``"ok": true``)."""
        return self.status == 200 and bool(self.response and self.response.get("ok"))


@dataclass(frozen=True)
class _Reply:
    """What the HTTP layer should write back; ``drop`` means close the socket without a response."""

    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    payload: dict[str, Any] | None = None
    drop: bool = False

    @classmethod
    def json(cls, payload: dict[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> _Reply:
        return cls(status, json.dumps(payload).encode(), headers=dict(headers or {}), payload=payload)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> _Reply:
        return cls(status, text.encode(), content_type=content_type)

    @classmethod
    def html_error(cls, status: int) -> _Reply:
        """Slack's load balancers answer 5xx with HTML, which slack_sdk must cope with."""
        page = f"<html><head><title>{status}</title></head><body><h1>{status} Service Error</h1></body></html>"
        return cls.text(page, status, content_type="text/html; charset=utf-8")

    @classmethod
    def dropped(cls) -> _Reply:
        return cls(0, drop=True)


class _Rejected(Exception):
    """Raised inside a method implementation to short-circuit with a specific reply."""

    def __init__(self, reply: _Reply) -> None:
        super().__init__(reply.payload)
        self.reply = reply


def _api_error(code: str) -> _Rejected:
    """Slack reports application errors as HTTP 200 with ``{"ok": false, "error": code}``."""
    return _Rejected(_Reply.json({"ok": False, "error": code}))


#: marks the injected "carry out, then drop the answer" reply (compared by identity).
_LOSE_ANSWER: dict[str, Any] = {"lose_answer": True}


def _rate_limited(retry_after: int) -> _Reply:
    return _Reply.json({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)})


@dataclass(frozen=True)
class _Failure:
    """A queued injected failure (see ``FakeSlack.fail_next``)."""

    status: int
    retry_after: int
    body: dict[str, Any] | str | None
    drop: bool
    channel: str | None = None
    lose_answer: bool = False

    def matches(self, params: Mapping[str, Any]) -> bool:
        return self.channel is None or params.get("channel") == self.channel

    def reply(self) -> _Reply:
        if self.drop:
            return _Reply.dropped()
        if isinstance(self.body, dict):
            headers = {"Retry-After": str(self.retry_after)} if self.status == 429 else {}
            return _Reply.json(self.body, self.status, headers)
        if isinstance(self.body, str):
            return _Reply.text(self.body, self.status)
        if self.status == 429:
            return _rate_limited(self.retry_after)
        if self.status >= 500:
            return _Reply.html_error(self.status)
        return _Reply.json({"ok": False, "error": "fake_failure"}, self.status)


def _flag(value: Any) -> bool:
    """Slack booleans arrive as ``true``/``1`` in forms and as real booleans in JSON."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes"}


def _ts_key(ts: Any) -> Decimal:
    """Exact ordering for Slack timestamps ("1700000000.000100"); floats would lose the micros."""
    try:
        return Decimal(str(ts))
    except InvalidOperation as exc:
        raise _api_error("invalid_ts_oldest") from exc


def _int_param(params: Mapping[str, Any], name: str, default: int, error: str) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise _api_error(error) from exc


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    """Turn JSON-encoded ``blocks``/``attachments``/``metadata`` strings into structures."""
    for name in JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value.strip():
            try:
                params[name] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise _api_error("invalid_json") from exc
    return params


def _parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Merge query-string and body params the way Slack does (body wins).

    slack_sdk sends "GET" methods as POSTs with a query string, chat methods as JSON, and the rest
    form-encoded, so all three shapes must land in one dict.
    """
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        params.update(_parse_body(content_type, body))
    return _decode_json_fields(params)


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.lower().startswith("application/json"):
        try:
            decoded = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _api_error("invalid_json") from exc
        if not isinstance(decoded, dict):
            raise _api_error("invalid_json")
        return decoded
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise _api_error("invalid_form_data") from exc


class _Handler(LoopbackHandler):
    """Raw HTTP → ``FakeSlack._handle``. The second port (``uploads``, Slack's files.slack.com)
    serves upload URLs only, and only it serves them."""

    def answer(self, path: str, query: str, headers: Headers, body: bytes) -> _Reply:
        if bool(self.server.options.get("uploads")) != path.startswith(UPLOAD_PATH):
            path = "/not-served-here" + path
        return self.server.fake._handle(path, query, headers, body)


class FakeSlack(LoopbackFake):
    """Slack Web API + response-URL endpoint on ``127.0.0.1:<random port>``.

    Public state tests may mutate directly: ``missing_channels``, ``not_in_channels``,
    ``invalid_tokens`` (sets) and ``rate_limit_per_channel_per_second``.  Recorded state:
    ``calls`` (list of ``Call``), ``responses`` (list of ``(name, json_body)``), ``server_errors``.
    """

    def __init__(
        self,
        *,
        rate_limit_per_channel_per_second: float | None = None,
        ts_base: float = DEFAULT_TS_BASE,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``ts_base`` seeds message timestamps (first ts is ``ts_base + 0.0001``); pass
        ``time.time()`` if the code under test compares ts with the wall clock.  ``latency`` delays
        every answer, for exercising client timeouts.  ``clock`` stamps calls (``Call.at``) and
        times outages and the rate limit: pass the same controlled clock as the code under test
        to run a long outage or real-sized pacing without waiting for it."""
        super().__init__(clock=clock, latency=latency)
        self.rate_limit_per_channel_per_second = rate_limit_per_channel_per_second
        self.missing_channels: set[str] = set()
        self.not_in_channels: set[str] = set()
        self.invalid_tokens: set[str] = set()
        #: OAuth (issue 16): code → the installation oauth.v2.access answers for it (``authorize``)
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        #: the app's credentials oauth.v2.access accepts: (client_id, client_secret)
        self.oauth_client: tuple[str, str] = ("", "")
        #: channel names ("#elections") and their ids: chat.postMessage takes either and answers
        #: with the id; every other method, like Slack's, knows the channel by its id only.
        self.channel_ids: dict[str, str] = {}
        self.calls: list[Call] = []
        #: what apps.connections.open answers (Socket Mode): a ws:// URL on loopback, or None
        self.socket_mode_url: str | None = None
        self.responses: list[tuple[str, Any]] = []
        self._ts_base_micros = round(ts_base * 1_000_000)
        self._ts_counter = 0
        self._messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._last_post_at: dict[str, float] = {}
        #: file id → the file as files.info shows it, plus "bytes" (None until the upload URL got them)
        self._files: dict[str, dict[str, Any]] = {}
        #: upload URL token → file id
        self._upload_tokens: dict[str, str] = {}
        self._file_counter = 0
        self._methods: dict[str, Callable[[dict[str, Any], float], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.open": self._conversations_open,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
        }

    # ----------------------------------------------------------------- lifecycle

    name = "fake-slack"
    handler = _Handler

    def _open(self) -> None:
        self._serve_on()
        self._serve_on("-uploads", uploads=True)

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def upload_root_url(self) -> str:
        """Where upload URLs point: the fake's second loopback port (Slack's files.slack.com)."""
        return f"http://127.0.0.1:{self._port_of(1)}"

    @property
    def base_url(self) -> str:
        """Pass to ``WebClient(base_url=...)``; slack_sdk appends the method name."""
        return f"{self.root_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A URL to put in a slash-command payload so Bolt's ``respond()`` lands in ``responses``."""
        return f"{self.root_url}/response/{name}"

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        body: dict[str, Any] | str | None = None,
        *,
        drop: bool = False,
        channel: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` (``"*"`` = any) with a failure.

        Defaults mimic Slack: 429 carries ``Retry-After`` and ``{"ok":false,"error":"ratelimited"}``;
        5xx carry an HTML page.  ``body`` overrides the payload (a dict is sent as JSON, so
        ``status=200, body={"ok": False, "error": "msg_too_long"}`` fakes any Slack error);
        ``drop=True`` closes the connection without answering.  With ``channel`` only calls
        for that channel take these failures (other channels' calls pass them by).
        """
        self._queue_failures(method, _Failure(status, retry_after, body, drop, channel), times)

    def lose_next_answer(self, method: str, times: int = 1, *, channel: str | None = None) -> None:
        """Carry out the next ``times`` calls to ``method`` as usual (a post lands), then close
        the connection without answering: what a timeout after Slack acted looks like."""
        self._queue_failures(method, _Failure(200, 0, None, True, channel, lose_answer=True), times)

    def delete_message(self, channel: str, ts: str) -> bool:
        """Remove a message as a person would in the Slack client (no call is recorded); its
        thread replies stay. Returns False when there was no such message."""
        with self._lock:
            for message in self._messages.get(channel, []):
                if message["ts"] == str(ts):
                    self._messages[channel].remove(message)
                    return True
            return False

    # ----------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call to ``method``, failures included, in arrival order."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Params of successful ``chat.postMessage`` calls (optionally for one channel), in order."""
        return [
            call.params
            for call in self.calls_to("chat.postMessage")
            if call.ok and (channel is None or call.params.get("channel") == channel)
        ]

    def uploads(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Files shared by ``files.completeUploadExternal`` (optionally into one channel, by id),
        in share order, each as files.info shows it plus ``bytes``, ``channel`` and ``thread_ts``
        (one entry per share: a file completed twice is listed twice)."""
        with self._lock:
            shared = []
            for file in self._files.values():
                for share in file["_shares"]:
                    if channel is None or share["channel"] == self.channel_ids.get(channel, channel):
                        shared.append({**self._file_view(file), "bytes": file["bytes"], **share})
            return sorted(shared, key=lambda f: _ts_key(f["ts"]))

    def file(self, file_id: str) -> dict[str, Any] | None:
        """A file the fake knows (completed or not) with its ``bytes``; None for an unknown id."""
        with self._lock:
            file = self._files.get(file_id)
            return {**self._file_view(file), "bytes": file["bytes"]} if file is not None else None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Copies of the messages currently in ``channel`` (post order, edits applied, deletions gone)."""
        with self._lock:
            return copy.deepcopy(self._messages.get(self.channel_ids.get(channel, channel), []))

    def add_message(self, channel: str, text: str = "", *, user: str = BOT_USER_ID, **fields: Any) -> dict[str, Any]:
        """Seed history (e.g. a message left by a previous bot run) without going through HTTP."""
        with self._lock:
            message = self._new_message({"text": text, **fields}, user=user)
            self._messages[channel].append(message)
            return copy.deepcopy(message)

    def wait_for_posts(self, count: int, channel: str | None = None, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` successful posts exist and return them all."""

        def enough() -> tuple[list[dict[str, Any]]] | None:
            posts = self.posts(channel)
            return (posts,) if len(posts) >= count else None  # tuple: an empty list would read as "not yet"

        try:
            return wait_for(enough, timeout)[0]
        except AssertionError:
            got = [post.get("text") for post in self.posts(channel)]
            raise AssertionError(
                f"wanted {count} post(s) to {channel or 'any channel'} within {timeout}s; got {got}"
            ) from None

    def reset(self) -> None:
        """Forget recordings, messages, queued faults, outages and channel/token rules.

        Lists are cleared in place so references a test already holds stay live.  Constructor
        options (rate limit, latency, ts base) are kept; ts keep increasing so they stay unique.
        """
        with self._lock:
            self.calls.clear()
            self.responses.clear()
            self.server_errors.clear()
            self.missing_channels.clear()
            self.not_in_channels.clear()
            self.invalid_tokens.clear()
            self._messages.clear()
            self._files.clear()
            self._upload_tokens.clear()
            self._last_post_at.clear()
            self._failures.clear()
            self._outage_until = float("-inf")

    # ----------------------------------------------------------------- request pipeline

    def _internal_error(self, exc: Exception) -> _Reply:
        return _Reply.json({"ok": False, "error": "fake_internal_error", "detail": repr(exc)}, status=500)

    def _handle_locked(self, path: str, query: str, headers: Headers, body: bytes) -> _Reply:
        at = self._clock()
        method, kind = self._route(path)
        params, parse_error = self._safe_parse(query, headers.get("Content-Type", ""), body, kind)
        reply = self._injected_reply(method, at, params)
        if reply is not None and reply.payload is _LOSE_ANSWER and kind == "api":
            done = parse_error or self._api_reply(method, params, headers, at)
            self.calls.append(Call(method, params, headers, at, done.status, done.payload, answered=False))
            return _Reply.dropped()
        if reply is None and kind == "api":
            reply = parse_error or self._api_reply(method, params, headers, at)
        elif reply is None and kind == "response":
            reply = self._response_reply(method.removeprefix("response/"), params, parse_error)
        elif reply is None and kind == "upload":
            reply = self._upload_reply(path.removeprefix(UPLOAD_PATH), body)
        elif reply is None:
            reply = _Reply.text("not found", status=404)
        self.calls.append(Call(method, params, headers, at, reply.status, reply.payload))
        return reply

    @staticmethod
    def _route(path: str) -> tuple[str, Literal["api", "response", "upload", "other"]]:
        if path.startswith(UPLOAD_PATH):
            return UPLOAD_METHOD, "upload"
        if path.startswith("/api/"):
            return path.removeprefix("/api/"), "api"
        if path.startswith("/response/"):
            return "response/" + path.removeprefix("/response/"), "response"
        return path, "other"

    @staticmethod
    def _safe_parse(query: str, content_type: str, body: bytes, kind: str) -> tuple[dict[str, Any], _Reply | None]:
        """Parse params up front so even failed calls are recorded with what was sent."""
        if kind == "response":
            content_type = "application/json"  # Slack's response URLs only take JSON
        if kind == "upload":
            return {"length": len(body)}, None  # the bytes are the file, not parameters
        try:
            return _parse_params(query, content_type, body), None
        except _Rejected as rejected:
            return {}, rejected.reply

    def _injected_reply(self, method: str, at: float, params: Mapping[str, Any] | None = None) -> _Reply | None:
        """Outages win over queued failures; queued failures are consumed one per request (the
        first one whose channel filter the call matches)."""
        if (outage := self._outage(at)) is not None:
            return _Reply.dropped() if outage == "drop" else _Reply.html_error(503)
        failure: _Failure | None = self._take_failure(method, lambda f: f.matches(params or {}))
        if failure is None:
            return None
        return _Reply(0, payload=_LOSE_ANSWER, drop=True) if failure.lose_answer else failure.reply()

    def _api_reply(self, method: str, params: dict[str, Any], headers: Headers, at: float) -> _Reply:
        implementation = self._methods.get(method)
        try:
            if method in CLIENT_AUTH_METHODS:
                params = {**params, "_basic": headers.get("Authorization", "")}
            else:
                self._check_auth(headers, app_level=method in APP_LEVEL_METHODS)
            if implementation is None:
                raise _api_error("unknown_method")
            result = implementation(params, at)
        except _Rejected as rejected:
            return rejected.reply
        return _Reply.json(result, headers={"X-OAuth-Scopes": BOT_SCOPES} if method == "auth.test" else None)

    def _response_reply(self, name: str, params: dict[str, Any], parse_error: _Reply | None) -> _Reply:
        """hooks.slack.com answers plain ``ok`` (or ``invalid_payload`` with 400)."""
        if parse_error is not None:
            return _Reply.text("invalid_payload", status=400)
        self.responses.append((name, params))
        return _Reply.text("ok")

    def _upload_reply(self, token: str, body: bytes) -> _Reply:
        """The upload URL: takes the file's bytes once (a POST of the raw bytes, as slack_sdk
        sends them) and answers ``OK - <length>`` like files.slack.com; no token needed (the URL
        is the secret). Bytes of another length than announced are refused (HTTP 400)."""
        file_id = self._upload_tokens.get(token)
        if file_id is None:
            return _Reply.text("invalid upload URL", status=404)
        file = self._files[file_id]
        if len(body) != file["size"]:
            return _Reply.text(f"length mismatch: announced {file['size']}, got {len(body)}", status=400)
        file["bytes"] = bytes(body)
        return _Reply.text(f"OK - {len(body)}")

    def _check_auth(self, headers: Headers, *, app_level: bool = False) -> None:
        """A bot token (``xoxb-``); an app-level one (``xapp-``) where Slack wants it (``app_level``)."""
        authorization = headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        if app_level and not token.startswith("xapp-"):
            raise _api_error("not_allowed_token_type" if token else "not_authed")
        if not app_level and not token.startswith("xoxb-"):
            raise _api_error("not_authed")
        if token in self.invalid_tokens:
            raise _api_error("invalid_auth")

    # ----------------------------------------------------------------- helpers for methods

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_base_micros + self._ts_counter * TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_message(self, params: Mapping[str, Any], *, user: str = BOT_USER_ID) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "message", "user": user, "text": params.get("text") or "", "ts": self._next_ts()}
        if user == BOT_USER_ID:
            message.update(bot_id=BOT_ID, app_id=APP_ID, team=TEAM_ID)
        for name in MESSAGE_FIELDS[1:]:
            if params.get(name) is not None:
                message[name] = copy.deepcopy(params[name])  # never alias what Call.params recorded
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
            if _flag(params.get("reply_broadcast", False)):
                message["subtype"] = "thread_broadcast"
        return message

    def _require_channel(self, params: Mapping[str, Any], *, by_name: bool = False) -> str:
        """The channel id; a name (see ``channel_ids``) only where Slack takes one (``by_name``)."""
        channel = str(params.get("channel") or "")
        if not channel or channel in self.missing_channels:
            raise _api_error("channel_not_found")
        if channel in self.not_in_channels:
            raise _api_error("not_in_channel")
        if channel in self.channel_ids:
            if not by_name:
                raise _api_error("channel_not_found")
            channel = self.channel_ids[channel]
        return channel

    def _find(self, channel: str, ts: Any, error: str = "message_not_found") -> dict[str, Any]:
        for message in self._messages.get(channel, []):
            if message["ts"] == str(ts):
                return message
        raise _api_error(error)

    def _check_rate_limit(self, channel: str, at: float) -> None:
        rate = self.rate_limit_per_channel_per_second
        last = self._last_post_at.get(channel)
        if rate and last is not None and at - last < 1.0 / rate:
            raise _Rejected(_rate_limited(1))

    def _render(self, message: Mapping[str, Any], include_metadata: bool) -> dict[str, Any]:
        rendered = copy.deepcopy(dict(message))
        if not include_metadata:
            rendered.pop("metadata", None)
        return rendered

    def _note_reply(self, channel: str, reply: Mapping[str, Any]) -> None:
        """Keep the parent's thread bookkeeping the way Slack shows it in history."""
        thread_ts = reply["thread_ts"]
        for parent in self._messages.get(channel, []):
            if parent["ts"] == thread_ts:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
                parent["latest_reply"] = reply["ts"]
                return

    # ----------------------------------------------------------------- Web API methods

    def _apps_connections_open(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        """Socket Mode's WebSocket URL: set ``socket_mode_url`` (tests/fakes/socket_mode.py serves one)."""
        if self.socket_mode_url is None:
            raise RuntimeError("apps.connections.open: set FakeSlack.socket_mode_url to a ws:// URL first")
        return {"ok": True, "url": self.socket_mode_url}

    def authorize(self, code: str, team_id: str, team_name: str, bot_token: str) -> None:
        """What Slack's authorize page does when a workspace admin approves the app: a one-time
        ``code`` that oauth.v2.access exchanges for that workspace's bot token."""
        self.oauth_codes[code] = {"team": {"id": team_id, "name": team_name}, "access_token": bot_token}

    def _oauth_v2_access(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        """Slack's answer shape (a bot token install); the code is good once, the client
        credentials come as HTTP Basic (slack_sdk) or as form fields."""
        basic = str(params.get("_basic") or "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic.removeprefix("Basic ")).decode().partition(":")
        else:
            client_id, secret = str(params.get("client_id") or ""), str(params.get("client_secret") or "")
        if (client_id, secret) != self.oauth_client:
            raise _api_error("invalid_client_id" if client_id != self.oauth_client[0] else "bad_client_secret")
        grant = self.oauth_codes.pop(str(params.get("code") or ""), None)
        if grant is None:
            raise _api_error("invalid_code")
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": "U0ADMIN"},
            "scope": BOT_SCOPES,
            "token_type": "bot",
            "access_token": grant["access_token"],
            "bot_user_id": BOT_USER_ID,
            "team": dict(grant["team"]),
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _auth_test(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"{PERMALINK_HOST}/",
            "team": "Fake Election Desk",
            "user": "electionbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        channel = self._require_channel(params, by_name=True)
        if not any(params.get(name) for name in ("text", "blocks", "attachments")):
            raise _api_error("no_text")
        self._check_rate_limit(channel, at)
        message = self._new_message(params)
        self._messages[channel].append(message)
        self._last_post_at[channel] = at
        if "thread_ts" in message:
            self._note_reply(channel, message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_update(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        channel = self._require_channel(params)
        message = self._find(channel, params.get("ts"))
        if message.get("user") != BOT_USER_ID:
            raise _api_error("cant_update_message")
        for name in MESSAGE_FIELDS:
            if params.get(name) is not None:
                message[name] = copy.deepcopy(params[name])
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        channel = self._require_channel(params)
        message = self._find(channel, params.get("ts"))
        self._messages[channel].remove(message)
        return {"ok": True, "channel": channel, "ts": message["ts"]}

    def _chat_post_ephemeral(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        self._require_channel(params)
        if not params.get("user"):
            raise _api_error("user_not_in_channel")
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_get_permalink(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        channel = self._require_channel(params)
        message = self._find(channel, params.get("message_ts"))
        permalink = f"{PERMALINK_HOST}/archives/{channel}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
            permalink += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _conversations_history(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        channel = self._require_channel(params)
        inclusive = _flag(params.get("inclusive", False))
        oldest = _ts_key(params.get("oldest") or 0)
        latest = _ts_key(params["latest"]) if params.get("latest") else None
        visible = [
            message
            for message in self._messages.get(channel, [])
            if self._is_history_visible(message) and self._in_window(message["ts"], oldest, latest, inclusive)
        ]
        newest_first = list(reversed(visible))
        return self._page(newest_first, params, "messages")

    def _conversations_replies(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        channel = self._require_channel(params)
        root = self._find(channel, params.get("ts"), error="thread_not_found")
        root_ts = root.get("thread_ts", root["ts"])
        thread = [m for m in self._messages.get(channel, []) if m["ts"] == root_ts or m.get("thread_ts") == root_ts]
        return self._page(thread, params, "messages")

    def _conversations_open(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        """A DM with one user: its id is ``D`` + the user id (stable, as Slack's is for a pair)."""
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise _api_error("users_list_not_supplied" if not users else "not_enough_users")
        return {"ok": True, "channel": {"id": "D" + users[0].removeprefix("U")}}

    def _files_get_upload_url_external(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        if not filename:
            raise _api_error("invalid_arguments")
        size = _int_param(params, "length", 0, "invalid_arguments")
        if size <= 0:
            raise _api_error("invalid_arguments")
        self._file_counter += 1
        file_id = f"F{self._file_counter:08d}"
        token = f"{file_id}-{self._file_counter * 7919:x}"
        self._upload_tokens[token] = file_id
        self._files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": filename,
            "size": size,
            "alt_txt": params.get("alt_txt") or None,
            "mimetype": "image/png" if filename.lower().endswith(".png") else "application/octet-stream",
            "bytes": None,
            "_shares": [],
        }
        return {"ok": True, "upload_url": f"{self.upload_root_url}{UPLOAD_PATH}{token}", "file_id": file_id}

    def _files_complete_upload_external(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        """Shares the uploaded files into ``channel_id`` (its ``thread_ts`` when given) as one
        message carrying ``files``, the way Slack shows an upload in history. A file whose bytes
        never reached its upload URL is refused; one completed before is shared again (as
        Slack would): that is the duplicate the bot's crash check prevents."""
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise _api_error("invalid_arguments")
        files = []
        for entry in entries:
            file = self._files.get(str((entry or {}).get("id") or ""))
            if file is None or file["bytes"] is None:
                raise _api_error("file_not_found" if file is None else "file_upload_not_complete")
            files.append((file, entry))
        channel_id = params.get("channel_id") or params.get("channels")
        if not channel_id:  # not shared anywhere: a private file
            for file, entry in files:
                file["title"] = entry.get("title") or file["title"]
            return {"ok": True, "files": [self._file_view(f) for f, _ in files]}
        if str(channel_id).startswith("#"):
            raise _api_error("channel_not_found")  # ids only here: a name is no channel
        channel = self._require_channel({"channel": channel_id})
        thread_ts = params.get("thread_ts") or None
        if thread_ts:
            self._find(channel, thread_ts, error="invalid_thread_ts")
        self._check_rate_limit(channel, at)
        for file, entry in files:
            file["title"] = entry.get("title") or file["title"]
        message = self._new_message({"text": params.get("initial_comment") or "", "thread_ts": thread_ts})
        message["upload"] = True
        message["files"] = [self._file_view(f) for f, _ in files]
        self._messages[channel].append(message)
        self._last_post_at[channel] = at
        if thread_ts:
            self._note_reply(channel, message)
        for file, _ in files:
            file["_shares"].append({"channel": channel, "ts": message["ts"], "thread_ts": thread_ts})
        return {"ok": True, "files": [self._file_view(f) for f, _ in files]}

    def _files_info(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        file = self._files.get(str(params.get("file") or ""))
        if file is None:
            raise _api_error("file_not_found")
        return {"ok": True, "file": self._file_view(file)}

    @staticmethod
    def _file_view(file: Mapping[str, Any]) -> dict[str, Any]:
        """A file as Slack describes it: ``channels``/``ims`` it is in, ``shares`` by channel
        with each share's ts (and thread_ts), never the bytes."""
        shares: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for share in file["_shares"]:
            kind = "private" if share["channel"][:1] in ("D", "G") else "public"
            entry: dict[str, Any] = {"ts": share["ts"]}
            if share["thread_ts"]:
                entry["thread_ts"] = share["thread_ts"]
            shares.setdefault(kind, {}).setdefault(share["channel"], []).append(entry)
        channels = list(dict.fromkeys(s["channel"] for s in file["_shares"]))
        view = {k: copy.deepcopy(v) for k, v in file.items() if k not in ("bytes", "_shares")}
        view.update(
            channels=[c for c in channels if not c.startswith("D")],
            ims=[c for c in channels if c.startswith("D")],
            shares=shares,
        )
        return view

    @staticmethod
    def _is_history_visible(message: Mapping[str, Any]) -> bool:
        """Thread replies stay out of channel history unless broadcast, as in Slack."""
        thread_ts = message.get("thread_ts")
        return not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"

    @staticmethod
    def _in_window(ts: str, oldest: Decimal, latest: Decimal | None, inclusive: bool) -> bool:
        key = _ts_key(ts)
        if inclusive:
            return key >= oldest and (latest is None or key <= latest)
        return key > oldest and (latest is None or key < latest)

    def _page(self, messages: list[dict[str, Any]], params: Mapping[str, Any], key: str) -> dict[str, Any]:
        """Cursor pagination with the cursor being a plain offset (opaque to well-behaved clients)."""
        limit = max(1, min(_int_param(params, "limit", 100, "invalid_limit"), 1000))
        start = _int_param(params, "cursor", 0, "invalid_cursor")
        page = messages[start : start + limit]
        has_more = start + limit < len(messages)
        include_metadata = _flag(params.get("include_all_metadata", False))
        return {
            "ok": True,
            key: [self._render(message, include_metadata) for message in page],
            "has_more": has_more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
        }
