"""An in-memory chat platform behind the sink contract (bot/delivery/sink.py), for the worker's
unit tests: no socket, no thread, no sleep.

It implements every member the worker and the card keeper use (``Sink`` and all five optional
capabilities), keeps each channel's messages and each card's thread as a platform would (so
``find_posted``, ``find_card`` and ``find_picture`` read back what really landed), records every
call with the time on the injected clock, and fails the way platforms fail:

- ``rate_limit_next``: a 429 with a Retry-After (``DeliveryError.retry_after``); nothing lands;
- ``fail_next``: a 5xx; nothing lands, but the answer is ``uncertain`` as a real 5xx is;
- ``lose_next_answer``: the post lands, then the answer is lost (``uncertain``): only
  ``find_posted`` can tell the worker it is there;
- ``refuse_next``: any other ``DeliveryError`` (a ``MessageGone(NOT_OURS)``, a missing scope);
- ``missing_channels``: a channel that is gone (permanent, with what to do); every call to it
  is refused, as Discord's disabled channels are;
- ``delete_message``: someone deletes a message (a live card): ``update_card`` then raises
  ``MessageGone(DELETED)``, as both real sinks do (tests/integration/delivery/test_sink_contract_behaviour.py
  runs the same checks against all three, so this fake cannot drift from the real ones unseen);
- ``bug_on``: not a platform's failure but a renderer or client bug: every post carrying that
  alert key raises the given exception (never a ``DeliveryError``), before anything lands or,
  ``after_post``, once the post has landed (a reply the client cannot read);
- ``min_gap``: the platform's own pace per channel: a post sooner than that after the last one
  in its channel is answered 429 with the rest of the gap, as FakeSlack's
  ``rate_limit_per_channel_per_second`` does: an oracle for the worker's pacing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.digest import Digest
from bot.core.events import Alert, RaceFacts
from bot.delivery.sink import DeliveryError, Gone, MessageGone
from bot.render.picture import Picture

#: the calls that make something visible in a channel: the platform paces these per channel
POSTS = frozenset({"send", "send_digest", "send_summary", "send_rollup", "post_card", "send_picture"})
MISSING_ACTION = "check the channel in the config"


@dataclass
class Message:
    """One message as the platform keeps it: the alert keys it carries (``find_posted`` reads
    them back), the race of a card, the file of a picture, the thread it went into."""

    id: str
    channel: str
    kind: str  # alert | digest | summary | rollup | card | picture
    keys: tuple[str, ...] = ()
    race_key: str | None = None
    thread_id: str | None = None
    broadcast: bool = False
    file_id: str | None = None
    facts: RaceFacts | None = None
    edits: int = 0


@dataclass
class Call:
    """One call the worker made, in order: what, where, when (the injected clock) and how it ended."""

    method: str
    channel: str
    at: float
    #: ok | rate_limited | server_error | lost | refused | gone | bug
    outcome: str = "ok"
    keys: tuple[str, ...] = ()
    thread_id: str | None = None
    message_id: str | None = None


@dataclass
class _Fault:
    method: str
    channel: str | None
    error: Callable[[], DeliveryError]
    lands: bool
    outcome: str

    def matches(self, method: str, channel: str) -> bool:
        return self.method in ("*", method) and self.channel in (None, channel)


@dataclass
class MemorySink:
    """``clock`` is a monotonic clock (seconds) the test controls: call times, ``min_gap``."""

    clock: Callable[[], float]
    platform: str = "memory"
    min_interval: float = 1.0
    update_interval: float = 0.0
    #: the platform's own limit between two posts in one channel (None: no limit of its own)
    min_gap: float | None = None
    missing_channels: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    _messages: dict[str, Message] = field(default_factory=dict)
    _deleted: set[str] = field(default_factory=set)
    _faults: list[_Fault] = field(default_factory=list)
    _last_post: dict[str, float] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _unanswered: dict[int, Callable[[], DeliveryError]] = field(default_factory=dict)
    _bugs: dict[str, tuple[Callable[[], Exception], bool]] = field(default_factory=dict)

    # --- failing the way platforms fail ---------------------------------------------------

    def rate_limit_next(self, method: str, retry_after: float, times: int = 1, *, channel: str | None = None) -> None:
        self._queue(
            method,
            channel,
            lambda: DeliveryError("rate limited (HTTP 429)", retry_after=retry_after, code="ratelimited"),
            times,
            lands=False,
            outcome="rate_limited",
        )

    def fail_next(self, method: str, times: int = 1, *, channel: str | None = None) -> None:
        self._queue(
            method,
            channel,
            lambda: DeliveryError("server error (HTTP 503)", uncertain=True),
            times,
            lands=False,
            outcome="server_error",
        )

    def lose_next_answer(self, method: str, times: int = 1, *, channel: str | None = None) -> None:
        self._queue(
            method,
            channel,
            lambda: DeliveryError("network error: the answer was lost", uncertain=True),
            times,
            lands=True,
            outcome="lost",
        )

    def refuse_next(self, method: str, error: DeliveryError, times: int = 1, *, channel: str | None = None) -> None:
        self._queue(method, channel, lambda: error, times, lands=False, outcome="gone" if error.gone else "refused")

    def bug_on(self, key: str, error: Callable[[], Exception], *, after_post: bool = False) -> None:
        """Every post carrying alert ``key`` raises ``error()`` until ``fix`` (a bug is not a blip)."""
        self._bugs[key] = (error, after_post)

    def fix(self, key: str) -> None:
        self._bugs.pop(key, None)

    def delete_message(self, message_id: str) -> bool:
        """Someone deletes a message in the client (no call is recorded); its thread replies stay."""
        if message_id not in self._messages or message_id in self._deleted:
            return False
        self._deleted.add(message_id)
        return True

    def _queue(
        self, method: str, channel: str | None, error: Callable[[], DeliveryError], times: int, *, lands: bool, outcome: str
    ) -> None:
        self._faults.extend(_Fault(method, channel, error, lands, outcome) for _ in range(times))

    # --- what the test reads back ---------------------------------------------------------

    def messages(self, channel: str) -> list[Message]:
        """What the channel shows (not deleted, not thread replies unless broadcast), oldest first."""
        return [
            m
            for m in self._messages.values()
            if m.channel == channel and m.id not in self._deleted and (m.thread_id is None or m.broadcast)
        ]

    def thread(self, card_id: str) -> list[Message]:
        return [m for m in self._messages.values() if m.thread_id == card_id]

    def posted_keys(self, channel: str) -> list[str]:
        """Every alert key that landed in the channel or its threads, in post order, once per
        message that carried it (a duplicate post shows up twice)."""
        return [k for m in self._messages.values() if m.channel == channel and m.kind != "card" for k in m.keys]

    def cards(self, channel: str) -> list[Message]:
        return [m for m in self._messages.values() if m.channel == channel and m.kind == "card"]

    def pictures(self, channel: str) -> list[Message]:
        return [m for m in self._messages.values() if m.channel == channel and m.kind == "picture"]

    def calls_to(self, method: str, channel: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and channel in (None, c.channel)]

    def posts(self, channel: str | None = None) -> list[Call]:
        """Every post attempt (answered or not), in order: the pacing the platform saw."""
        return [c for c in self.calls if c.method in POSTS and channel in (None, c.channel)]

    # --- Sink ---------------------------------------------------------------------------------

    def send(self, alert: Alert, channel: str, *, thread_id: str | None = None, broadcast: bool = False) -> str | None:
        return self._post("send", channel, "alert", (alert.key,), thread_id=thread_id, broadcast=broadcast)

    def send_digest(self, digest: Digest, channel: str) -> str | None:
        return self._post("send_digest", channel, "digest", (digest.key,))

    # --- SummarySink, RollupSink ------------------------------------------------------------

    def send_summary(self, alerts: Sequence[Alert], channel: str, held_minutes: int) -> str | None:
        return self._post("send_summary", channel, "summary", tuple(a.key for a in alerts))

    def send_rollup(self, alerts: Sequence[Alert], channel: str, per_minute: int) -> str | None:
        return self._post("send_rollup", channel, "rollup", tuple(a.key for a in alerts))

    # --- HistorySink --------------------------------------------------------------------------

    def find_posted(self, channel: str, keys: Iterable[str], *, thread_id: str | None = None) -> dict[str, str]:
        call = self._call("find_posted", channel, thread_id=thread_id)
        wanted = set(keys)
        where = self.thread(thread_id) if thread_id else self.messages(channel)
        found: dict[str, str] = {}
        for message in reversed(where):  # newest first, as the platforms read history
            for key in message.keys:
                if key in wanted and key not in found and message.kind != "card":
                    found[key] = message.id
        self._answer(call)
        return found

    # --- CardSink -------------------------------------------------------------------------------

    def card_message(self, facts: RaceFacts) -> dict[str, Any]:
        return facts.to_dict()

    def post_card(self, facts: RaceFacts, feed: str, channel: str) -> str | None:
        return self._post("post_card", channel, "card", (), race_key=facts.race_key, facts=facts)

    def update_card(self, facts: RaceFacts, channel: str, message_id: str) -> None:
        call = self._call("update_card", channel, message_id=message_id)
        card = self._messages.get(message_id)
        if card is None or card.channel != channel or message_id in self._deleted:
            call.outcome = "gone"
            raise MessageGone("message_not_found", Gone.DELETED, action="someone deleted the live card", code="not_found")
        card.facts = facts
        card.edits += 1
        self._answer(call)

    def find_card(self, channel: str, race_key: str, exclude: Iterable[str] = ()) -> str | None:
        call = self._call("find_card", channel)
        retired = set(exclude)
        found = next(
            (
                m.id
                for m in reversed(self.messages(channel))
                if m.kind == "card" and m.race_key == race_key and m.id not in retired
            ),
            None,
        )
        self._answer(call)
        return found

    def channel_id(self, channel: str) -> str:
        return self._ids.get(channel, channel)

    def remember_channel(self, channel: str, channel_id: str) -> None:
        self._ids.setdefault(channel, channel_id)

    # --- UploadSink -------------------------------------------------------------------------------

    def send_picture(
        self,
        picture: Picture,
        channel: str,
        *,
        thread_id: str | None = None,
        on_uploaded: Callable[[str], None] | None = None,
    ) -> str | None:
        """Slack's shape: the file id is told before the share (the commit point), then the share
        is the post that may fail, land unanswered or be refused (a deleted card's thread)."""
        file_id = f"F{next(self._counter)}"
        if on_uploaded is not None:
            on_uploaded(file_id)
        if thread_id is not None and thread_id in self._deleted:
            call = self._call("send_picture", channel, thread_id=thread_id)
            call.outcome = "gone"
            raise MessageGone("the card's thread is gone", Gone.DELETED, code="thread_not_found")
        self._post("send_picture", channel, "picture", (), thread_id=thread_id, file_id=file_id)
        return file_id

    def find_picture(self, channel: str, file_id: str) -> str | None:
        call = self._call("find_picture", channel)
        found = next((m.id for m in self._messages.values() if m.channel == channel and m.file_id == file_id), None)
        self._answer(call)
        return found

    # --- the "wire" -------------------------------------------------------------------------------

    def _call(self, method: str, channel: str, **fields: Any) -> Call:
        """Records the call, then refuses it if the channel is gone or a queued fault says so.
        A fault that lets the call land (a lost answer) is raised by ``_answer``, after it landed."""
        call = Call(method, channel, self.clock(), **fields)
        self.calls.append(call)
        if channel in self.missing_channels:
            call.outcome = "refused"
            raise DeliveryError("channel_not_found", permanent=True, action=MISSING_ACTION, code="channel_not_found")
        fault = next((f for f in self._faults if f.matches(method, channel)), None)
        if fault is not None:
            self._faults.remove(fault)
            call.outcome = fault.outcome
            if not fault.lands:
                raise fault.error()
            self._unanswered[id(call)] = fault.error
        return call

    def _answer(self, call: Call) -> None:
        """The call was carried out; its answer may still be lost on the way back."""
        lost = self._unanswered.pop(id(call), None)
        if lost is not None:
            raise lost()

    def _post(self, method: str, channel: str, kind: str, keys: tuple[str, ...], **fields: Any) -> str:
        bug = next((self._bugs[k] for k in keys if k in self._bugs), None)
        if bug is not None and not bug[1]:
            self.calls.append(Call(method, channel, self.clock(), "bug", keys, fields.get("thread_id")))
            raise bug[0]()
        call = self._call(method, channel, keys=keys, thread_id=fields.get("thread_id"))
        if self.min_gap is not None and channel in self._last_post:
            left = self._last_post[channel] + self.min_gap - call.at
            if left > 0:
                self._unanswered.pop(id(call), None)
                call.outcome = "rate_limited"
                raise DeliveryError("rate limited (HTTP 429): posted too fast", retry_after=left, code="ratelimited")
        self._last_post[channel] = call.at
        message = Message(f"M{next(self._counter)}", channel, kind, keys, **fields)
        self._messages[message.id] = message
        call.message_id = message.id
        if bug is not None:  # landed; the client then fails on the reply
            call.outcome = "bug"
            raise bug[0]()
        self._answer(call)
        return message.id
