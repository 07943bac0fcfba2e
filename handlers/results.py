"""``/results`` and its "Share in channel" button: answers from the stored snapshot (never a feed
fetch), inside the 3 s ack.

Read-only answers are cached per (snapshot versions, canonical query): ``Services`` hands back
the same decoded ``Snapshot`` objects until a poll changes them, so a burst of ``/results alabama``
renders once per poll. Status and subscriptions always read the store.

The app runs listeners in the request thread and sends their ack as the HTTP answer (see
``bot.app.slack_app``), so anything that must happen after the ack, such as the share button's post to
``response_url``, is a lazy listener: Bolt runs it in its own thread once the ack is out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.core.commands import Command
from bot.render.slack_answers import SHARE_ACTION, slack_message
from handlers.answering import STORE_KINDS, AnswerCache, parse_cached, rendered_answer, store_answer
from handlers.services import Services

log = logging.getLogger("electionbot.commands")

SORRY = {"text": "Sorry, results are unavailable right now. Try again in a moment."}
PICTURES_OFF = "Pictures are not available on this server."


def is_direct_message(command: Mapping[str, Any]) -> bool:
    """Whether a slash command came from a direct message, in Slack's own terms: its payload names
    a DM's channel ``directmessage``; a DM's id starts with "D" (kept for payloads without the
    name). Slack's rule, so it lives in Slack's handler; the answer only hears ``direct_message``."""
    return command.get("channel_name") == "directmessage" or str(command.get("channel_id") or "").startswith("D")


def message_for(
    cmd: Command,
    services: Services,
    channel_id: str | None,
    cache: AnswerCache | None = None,
    share_button: bool = True,
    *,
    direct_message: bool = False,
    team_id: str | None = None,
) -> dict[str, Any]:
    """The Slack message (text + blocks) for one parsed command; subscriptions are per channel,
    never in a direct message, and remember the command's workspace (``team_id``)."""
    kind = cmd.kind
    if kind in STORE_KINDS:  # status and subscriptions: the neutral service, as Discord's handler
        return slack_message(
            store_answer(cmd, services, channel_id, platform="slack", direct_message=direct_message, team_id=team_id)
        )
    if kind == "picture":  # drawn and delivered by the app's picture desk (bot/app/pictures.py)
        if services.pictures is None:
            return {
                "text": PICTURES_OFF,
                "blocks": [{"type": "section", "text": {"type": "plain_text", "text": PICTURES_OFF}}],
            }
        return services.pictures.command_answer(cmd)
    query = (kind, cmd.canonical, cmd.word, cmd.suggestion, cmd.verb, cmd.length, share_button)
    return rendered_answer(cmd, services, cache, query, lambda ans: slack_message(ans, share_button=share_button))


#: how much of the query a log line keeps: the words of a command, not a pasted paragraph
QUERY_CHARS = 80


def _command_line(
    services: Services, command: Mapping[str, Any], kind: str, outcome: str, public: bool, seconds: float
) -> None:
    """One line per command: platform, the command's words (the query is about races, not people;
    cut to ``QUERY_CHARS``, and never the payload's token or response URL), its kind, outcome
    and latency (from the listener's start to the ack handed to Bolt)."""
    query = " ".join(str(command.get("text") or "").split())[:QUERY_CHARS]
    log.info(
        "command slack /results %r: %s %s in %.1f ms",
        query,
        kind,
        outcome,
        seconds * 1000,
        extra={
            "event": "command",
            "platform": "slack",
            "command": str(command.get("command") or "/results"),
            "query": query,
            "kind": kind,
            "outcome": outcome,
            "public": public,
            "latency_ms": round(seconds * 1000, 2),
        },
    )
    if services.on_command is not None:
        services.on_command(kind, outcome, seconds)


def _picture_by_dm(services: Services, command: Mapping[str, Any], client: WebClient) -> None:
    """After the ack: ``/results … chart`` without a public URL sends the picture into a DM with
    the asker; the desk uploads it in its own thread (longer than Slack's 3 s)."""
    if services.pictures is None:
        return
    try:
        cmd = parse_cached(command.get("text") or "")
    except Exception:  # already answered (and logged) in the ack
        return
    if services.pictures.wants_direct(cmd):
        services.pictures.send_direct_later(cmd, str(command.get("user_id") or ""), client)


def register(app: App, services: Services) -> None:
    cache = AnswerCache()

    def results_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        started = time.perf_counter()
        public = False
        kind, outcome = "unparsed", "error"
        try:
            cmd = parse_cached(command.get("text") or "")
            kind = cmd.kind
            public = cmd.share and cmd.read_only and cmd.kind != "help"
            message = message_for(
                cmd,
                services,
                command.get("channel_id"),
                cache,
                share_button=not public,
                direct_message=is_direct_message(command),
                team_id=command.get("team_id"),
            )
            # Only a real answer is posted for everyone; "did you mean" stays with the asker.
            public = public and any(b.get("type") == "header" for b in message.get("blocks", []))
            outcome = "answered"
        except Exception:  # the user still gets an answer inside the ack, and we get the trace
            log.exception("/results failed")
            message, public = dict(SORRY), False
        ack(response_type="in_channel" if public else "ephemeral", **message)
        _picture_by_dm(services, command, client)
        _command_line(services, command, kind, outcome, public, time.perf_counter() - started)

    def ack_share(ack: Ack) -> None:
        ack()

    def share_button(body: dict[str, Any], respond: Respond) -> None:
        try:
            actions = body.get("actions") or [{}]
            cmd = parse_cached(str(actions[0].get("value") or ""))
            if not cmd.read_only or cmd.kind == "help":
                respond(response_type="ephemeral", replace_original=False, text="That answer cannot be shared.")
                return
            message = message_for(cmd, services, None, cache, share_button=False)
            respond(response_type="in_channel", replace_original=False, **message)
        except Exception:
            log.exception("/results share failed")
            respond(response_type="ephemeral", replace_original=False, text=SORRY["text"])

    app.command("/results")(results_command)
    app.action(SHARE_ACTION)(ack=ack_share, lazy=[share_button])
