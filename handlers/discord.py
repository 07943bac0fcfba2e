"""``POST /discord/interactions``: Discord's HTTP interactions endpoint, a plain WSGI app beside
Bolt's ``/slack/events`` (``bot.app.slack_app.wsgi_app(..., routes=...)``).

Discord POSTs each interaction signed with Ed25519 and waits 3 s for the HTTP answer
(https://discord.com/developers/docs/interactions/receiving-and-responding):

- PING (type 1) → PONG ``{"type": 1}`` (Discord's check when the URL is saved);
- ``/results [query]`` (type 2): the same grammar and numbers as Slack's (``bot.core.commands``,
  ``handlers.answering``), answered as an ephemeral message (type 4, flags 64), or in the channel
  when the query says ``share``;
- the "Share in channel" button (type 3, ``custom_id`` ``results_share:<query>``): the answer
  posted in the channel;
- ``/results alabama chart | map | map margin``: deferred at once (a cold drawing takes seconds),
  then the picture (the app's cached one) edits the deferred response as an attachment
  (multipart); with ``share`` it goes to the channel as a follow-up.

An answer that is not ready within ``defer_after`` seconds (the store busy) is deferred (type 5,
Discord shows "thinking…") and completed from a worker thread by editing the original response
(``PATCH /webhooks/{application_id}/{token}/messages/@original``, the token is good for 15 min).
Every message says ``allowed_mentions: {"parse": []}``: nothing in a query or a feed pings.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Protocol

from bot.core.answer import Answer, AnswerKind
from bot.core.commands import Command
from bot.render.discord_answers import (
    EPHEMERAL,
    NO_PINGS,
    SHARE_PREFIX,
    discord_message,
    picture_answer,
    sorry_message,
)
from bot.render.picture import Picture
from handlers.answering import STORE_KINDS, AnswerCache, answer_for, cached_answer, parse_cached, rendered_answer
from handlers.discord_signature import refusal, verify_key
from handlers.services import Services

log = logging.getLogger("electionbot.discord")

#: Interaction types (Discord's "Interaction Type") and response types ("Interaction Callback Type").
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT = 1, 2, 3
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 1, 4, 5
COMMAND_NAME = "results"
INTERACTIONS_PATH = "/discord/interactions"
#: An interaction is a few KB (the command, its options, who and where); anything far larger is not Discord's.
MAX_BODY = 64 * 1024
#: Discord waits 3 s for the HTTP answer; past this we defer and finish by editing @original.
DEFER_AFTER = 2.0
#: Tries to edit @original while Discord may not yet have our deferral (404 Unknown Webhook).
EDIT_TRIES = 5
EDIT_BACKOFF = 0.4
SORRY = "Sorry, results are unavailable right now. Try again in a moment."
#: how much of the query a log line keeps: the words of a command, not a pasted paragraph
QUERY_CHARS = 80
NOT_SHAREABLE = "That answer cannot be shared."
SHARED = "Shared in the channel."
PICTURES_OFF = "Pictures are not available on this server; /results with a state gives its numbers."

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Message = dict[str, Any]


class InteractionWebhook(Protocol):
    """The interaction's own webhook, authorised by its token (the app gives it: a handler makes
    no HTTP call of its own). Each returns the HTTP status; ``OSError`` when Discord is unreachable."""

    def edit_original(self, token: str, data: Message, picture: Picture | None = None) -> int:
        """``PATCH /webhooks/{application_id}/{token}/messages/@original`` (multipart with ``picture``)"""
        ...

    def follow_up(self, token: str, data: Message, picture: Picture | None = None) -> int:
        """``POST /webhooks/{application_id}/{token}``: a new message (its own ``flags``)."""
        ...


class DiscordInteractions:
    """The WSGI app. ``clock`` (seconds since the epoch) judges the signature's timestamp;
    ``executor`` runs answers (a thread pool by default); ``webhook`` completes deferred ones."""

    def __init__(
        self,
        services: Services,
        public_key: str,
        webhook: InteractionWebhook,
        *,
        clock: Callable[[], float] = time.time,
        defer_after: float = DEFER_AFTER,
        executor: Executor | None = None,
    ) -> None:
        self.services = services
        self.key = verify_key(public_key)
        self.webhook = webhook
        self.clock = clock
        self.defer_after = defer_after
        self.executor = executor or ThreadPoolExecutor(max_workers=8, thread_name_prefix="discord-answer")
        self.cache = AnswerCache()

    # --- HTTP -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _reply(start_response, "405 Method Not Allowed", {"error": "POST only"}, [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return _reply(start_response, "411 Length Required", {"error": "Content-Length required"})
        if length < 0 or length > MAX_BODY:
            return _reply(start_response, "413 Content Too Large", {"error": f"at most {MAX_BODY} bytes"})
        body = environ["wsgi.input"].read(length) if length else b""
        why = refusal(self.key, environ, body, self.clock())
        if why is not None:
            log.info("discord: refused an interaction (%s)", why)
            return _reply(start_response, "401 Unauthorized", {"error": "invalid request signature"})
        try:
            interaction = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _reply(start_response, "400 Bad Request", {"error": "body is not JSON"})
        if not isinstance(interaction, dict):
            return _reply(start_response, "400 Bad Request", {"error": "body is not a JSON object"})
        kind = interaction.get("type")
        if kind == PING:
            return _reply(start_response, "200 OK", {"type": PONG})
        if kind == APPLICATION_COMMAND:
            return _reply(start_response, "200 OK", self.command(interaction))
        if kind == MESSAGE_COMPONENT:
            return _reply(start_response, "200 OK", self.component(interaction))
        return _reply(start_response, "400 Bad Request", {"error": f"unsupported interaction type {kind!r}"})

    # --- interactions -----------------------------------------------------------------------

    def command(self, interaction: Mapping[str, Any]) -> Message:
        started = time.perf_counter()
        data = interaction.get("data") or {}
        if data.get("name") != COMMAND_NAME:
            return _now(sorry_message(f"Unknown command; try /{COMMAND_NAME} help."), public=False)
        query = _query(data)
        cmd = parse_cached(query)
        public = cmd.share and cmd.read_only and cmd.kind != "help"
        channel_id = str(interaction.get("channel_id") or (interaction.get("channel") or {}).get("id") or "")
        # Discord's DM: an interaction from no server carries no guild_id (Slack's rule is in its handler)
        direct_message = not interaction.get("guild_id")

        def answer() -> Message:
            return self.message(cmd, channel_id, direct_message, share_button=not public)

        if cmd.kind == "picture":
            reply = self._picture(interaction, cmd)
            self._told("/results", query, cmd.kind, reply, started)
            return reply
        ready = self._ready(cmd, share_button=not public)
        reply = _now(ready, public) if ready is not None else self._respond(interaction, answer, public)
        self._told("/results", query, cmd.kind, reply, started)
        return reply

    def component(self, interaction: Mapping[str, Any]) -> Message:
        started = time.perf_counter()
        custom_id = str((interaction.get("data") or {}).get("custom_id") or "")
        if not custom_id.startswith(SHARE_PREFIX):
            return _now(sorry_message("That button is not the bot's."), public=False)
        query = custom_id[len(SHARE_PREFIX) :]
        cmd = parse_cached(query)
        if not cmd.read_only or cmd.kind == "help":
            return _now(sorry_message(NOT_SHAREABLE), public=False)
        ready = self._ready(cmd, share_button=False)
        if ready is not None:
            reply = _now(ready, True)
        else:
            reply = self._respond(interaction, lambda: self.message(cmd, None, False, share_button=False), True)
        self._told("share", query, cmd.kind, reply, started)
        return reply

    def _told(self, command: str, query: str, kind: str, reply: Message, started: float) -> None:
        """One line per interaction, as Slack's handler writes one per command (the query's words
        cut to ``QUERY_CHARS``; never the interaction's token), and the app's metrics told."""
        seconds = time.perf_counter() - started
        data = reply.get("data") or {}
        outcome = "deferred" if reply.get("type") == DEFERRED_CHANNEL_MESSAGE else "answered"
        if data.get("content") == _SORRY_CONTENT:
            outcome = "error"
        words = " ".join(query.split())[:QUERY_CHARS]
        log.info(
            "command discord %s %r: %s %s in %.1f ms",
            command,
            words,
            kind,
            outcome,
            seconds * 1000,
            extra={
                "event": "command",
                "platform": "discord",
                "command": command,
                "query": words,
                "kind": kind,
                "outcome": outcome,
                "public": data.get("flags") == 0,
                "latency_ms": round(seconds * 1000, 2),
            },
        )
        if self.services.on_command is not None:
            self.services.on_command(kind, outcome, seconds)

    def message(self, cmd: Command, channel_id: str | None, direct_message: bool, share_button: bool) -> Message:
        """The rendered answer; read-only answers come from the cache while the snapshots stand."""
        if cmd.kind in STORE_KINDS:
            answer = answer_for(cmd, self.services, channel_id, platform="discord", direct_message=direct_message)
            return discord_message(answer, share_button=share_button)

        def render(answer: Answer) -> Message:
            message = discord_message(answer, share_button=share_button)
            message["_shareable"] = answer.kind in (AnswerKind.CARD, AnswerKind.LIST)
            return message

        return rendered_answer(cmd, self.services, self.cache, _query_key(cmd, share_button), render)

    def _ready(self, cmd: Command, share_button: bool) -> Message | None:
        """A read-only answer already rendered for the snapshots the store still holds, or ``None``.

        Why: the answer of a burst is in the cache, and handing it to the executor and waiting for
        it there cost every request two thread switches under one GIL (the p99's tail at 20
        concurrent). The check is the one small versions query; what needs more (a new snapshot to
        decode, a store command) goes through ``_respond``, which defers past ``defer_after``."""
        if cmd.kind == "picture":
            return None
        return cached_answer(cmd, self.services, self.cache, _query_key(cmd, share_button))

    def _respond(self, interaction: Mapping[str, Any], answer: Callable[[], Message], public: bool) -> Message:
        """Type 4 with the answer when it is ready in time; else type 5 now and @original later.

        The deferral is always ephemeral: whether an answer may be shared is known only once it is
        made ("did you mean" stays with the asker), and a deferred message keeps the deferral's
        visibility. A shared answer then goes to the channel as a follow-up of its own."""
        future = self.executor.submit(_safely, answer)
        try:
            message = future.result(timeout=self.defer_after)
        except FutureTimeout:
            token = str(interaction.get("token") or "")
            future.add_done_callback(lambda done: self._complete(token, done, public))
            return {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": EPHEMERAL}}
        return _now(message, public)

    def _complete(self, token: str, done: Future[Message], public: bool) -> None:
        data = _data(done.result(), public)
        try:
            if data["flags"] == 0:  # shared: the asker is told, the channel gets the answer
                told = {"content": SHARED, "embeds": [], "components": [], "allowed_mentions": NO_PINGS}
                status = self._edit(token, told)
                if status < 300:
                    status = self.webhook.follow_up(token, data)
            else:
                status = self._edit(token, {k: v for k, v in data.items() if k != "flags"})
        except OSError as exc:
            log.warning("discord: could not complete a deferred /results (%s)", type(exc).__name__)
            return
        if status >= 300:
            log.warning("discord: completing a deferred /results answered HTTP %d", status)

    def _picture(self, interaction: Mapping[str, Any], cmd: Command) -> Message:
        """A picture is never ready within 3 s for sure (a cold chart draws for seconds on a busy
        host) and an interaction's HTTP answer cannot carry a file: deferred (privately) at once,
        then completed with the picture as an attachment (``_send_picture``)."""
        if self.services.pictures is None:
            return _now(sorry_message(PICTURES_OFF), public=False)
        token = str(interaction.get("token") or "")
        self.executor.submit(self._send_picture, token, cmd)
        return {"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": EPHEMERAL}}

    def _send_picture(self, token: str, cmd: Command) -> None:
        """The deferred picture: @original edited with it (only the asker sees it), or with
        ``share`` "Shared in the channel." and the picture as a follow-up in the channel. No
        picture (no race, nothing drawn yet) is said privately, never shared."""
        assert self.services.pictures is not None
        try:
            found: Picture | str = self.services.pictures.command_picture(cmd)
        except Exception:
            log.exception("discord /results %s: could not draw the picture", cmd.canonical)
            found = SORRY
        try:
            if isinstance(found, str):
                status = self._edit(token, sorry_message(found))
            elif cmd.share:
                told = {"content": SHARED, "embeds": [], "components": [], "allowed_mentions": NO_PINGS}
                status = self._edit(token, told)
                if status < 300:
                    status = self.webhook.follow_up(token, {**picture_answer(found), "flags": 0}, found)
            else:
                status = self._edit(token, picture_answer(found), found)
        except OSError as exc:
            log.warning("discord: could not send the picture for /results (%s)", type(exc).__name__)
            return
        if status >= 300:
            log.warning("discord: sending the picture for /results answered HTTP %d", status)

    def _edit(self, token: str, data: Message, picture: Picture | None = None) -> int:
        """Edit @original; a 404 means Discord may not have our deferral yet: tried again."""
        for _ in range(EDIT_TRIES - 1):
            status = self._edit_once(token, data, picture)
            if status != 404:
                return status
            time.sleep(EDIT_BACKOFF)
        return self._edit_once(token, data, picture)

    def _edit_once(self, token: str, data: Message, picture: Picture | None) -> int:
        if picture is None:  # as before pictures: webhooks that take no files keep working
            return self.webhook.edit_original(token, data)
        return self.webhook.edit_original(token, data, picture)


_SORRY_CONTENT = sorry_message(SORRY)["content"]


def _query_key(cmd: Command, share_button: bool) -> tuple[Hashable, ...]:
    """What a rendered read-only answer depends on besides the snapshots: the query's meaning."""
    return (cmd.kind, cmd.canonical, cmd.word, cmd.suggestion, cmd.verb, cmd.length, share_button)


def _safely(answer: Callable[[], Message]) -> Message:
    try:
        return answer()
    except Exception:  # the asker still gets an answer, and we get the trace
        log.exception("discord /results failed")
        return {**sorry_message(SORRY), "_sorry": True}


def _data(message: Message, public: bool) -> Message:
    """The message as sent: ephemeral unless shared, and only a real answer is shared
    ("did you mean" and errors stay with the asker)."""
    shared = public and bool(message.get("_shareable"))
    data = {k: v for k, v in message.items() if not k.startswith("_")}
    data["flags"] = 0 if shared else EPHEMERAL
    return data


def _now(message: Message, public: bool) -> Message:
    return {"type": CHANNEL_MESSAGE, "data": _data(message, public)}


def _query(data: Mapping[str, Any]) -> str:
    for option in data.get("options") or []:
        if isinstance(option, Mapping) and option.get("name") == "query":
            return str(option.get("value") or "")
    return ""


def _reply(
    start_response: Callable[..., Any],
    status: str,
    payload: Mapping[str, Any],
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *(headers or [])])
    return [body]
