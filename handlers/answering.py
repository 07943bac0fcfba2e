"""The neutral answer service every platform's listener calls: a parsed ``/results`` command and
where it was asked → the ``Answer`` to render (``bot.core.answer``). No platform here: each
handler decides what its platform calls a direct message and renders the answer itself.

Status and subscriptions read or write the store on every call; read-only answers come from the
latest snapshots (``Services.latest_snapshots``, decoded once per poll).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from functools import lru_cache
from typing import Any

from bot.core.answer import Answer
from bot.core.commands import Command, parse
from bot.core.model import Snapshot
from bot.render.answer_parts import tracked_states
from bot.render.answers import answer_command
from bot.render.status_answers import (
    no_dm_answer,
    status_answer,
    subscribed_answer,
    subscriptions_answer,
    unsubscribed_answer,
)
from bot.store import subscriptions
from handlers.services import Services

#: A channel id as Slack (C0123ABCD) or Discord (a snowflake of digits) writes one.
CHANNEL_ID = re.compile(r"^[A-Z0-9]{2,30}$")
STORE_KINDS = ("status", "subscribe", "unsubscribe", "subscriptions")
#: Commands answered from one state's races.
STATE_KINDS = ("state", "swing")


def store_answer(
    cmd: Command,
    services: Services,
    channel_id: str | None,
    *,
    platform: str,
    direct_message: bool,
    team_id: str | None = None,
) -> Answer:
    """Status and subscriptions: what needs the store rather than the snapshots. Subscriptions
    are per channel of one platform, never in a direct message; a Slack subscription remembers
    its workspace (``team_id``), whose bot token posts there when the app is installed by OAuth."""
    store = services.store
    kind = cmd.kind
    if kind == "status":
        return status_answer(
            store.health(), store.backlog(), services.latest_snapshots(), services.clock(), store.delivery_failures()
        )
    if not channel_id or not CHANNEL_ID.match(channel_id) or direct_message:
        return no_dm_answer()
    if kind == "subscriptions":
        return subscriptions_answer(subscriptions.describe(subscriptions.for_channel(store, channel_id, platform=platform)))
    assert cmd.state is not None
    if kind == "subscribe":
        level = cmd.level or "all"
        created = subscriptions.subscribe(store, channel_id, cmd.state, level, platform=platform, team_id=team_id)
        return subscribed_answer(cmd.state, level, tracked_states(services.latest_snapshots()), created)
    return unsubscribed_answer(cmd.state, subscriptions.unsubscribe(store, channel_id, cmd.state, platform=platform))


def answer_for(cmd: Command, services: Services, channel_id: str | None, *, platform: str, direct_message: bool) -> Answer:
    """Any ``/results`` command's answer."""
    if cmd.kind in STORE_KINDS:
        return store_answer(cmd, services, channel_id, platform=platform, direct_message=direct_message)
    return answer_command(cmd, services.latest_snapshots(), services.rules)


#: ``parse`` is a pure function of the text and a burst repeats the same few texts, so the
#: grammar runs once per distinct text (a tenth of a request's own work otherwise).
parse_cached = lru_cache(maxsize=1024)(parse)


class AnswerCache:
    """A small LRU of rendered messages (one per platform's handler); a new snapshot version
    makes old keys unreachable."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._making: dict[Hashable, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The cached value, else ``make()``'s, made once however many threads ask for it at once.

        Why: a poll changes the key of every request in flight, and each of twenty threads
        rendering the same answer (a state's races, after decoding them) was a burst of CPU that
        every one of them waited out: the p99 during polls. The others wait for the one making it
        and get its value (or its exception)."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
            making = self._making.get(key)
            mine = making is None
            if making is None:
                making = self._making[key] = Future()
        if not mine:
            return making.result()
        try:
            value = make()
        except BaseException as exc:
            making.set_exception(exc)
            raise
        else:
            making.set_result(value)
            self.put(key, value)
            return value
        finally:
            with self._lock:
                self._making.pop(key, None)

    def get(self, key: Hashable) -> dict[str, Any] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Hashable, value: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def _state_of(cmd: Command) -> str | None:
    return cmd.state if cmd.kind in STATE_KINDS and cmd.state and cmd.read_only else None


def _snapshots_key(snapshots: Sequence[Snapshot]) -> tuple[Hashable, ...]:
    return tuple((s.feed, s.generated_at, s.version, id(s)) for s in snapshots)


def _state_key(services: Services, state: str, query: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
    return ("state", tuple(sorted(services.store.snapshot_versions().items())), state, *query)


def rendered_answer(
    cmd: Command,
    services: Services,
    cache: AnswerCache | None,
    query: tuple[Hashable, ...],
    render: Callable[[Answer], dict[str, Any]],
) -> dict[str, Any]:
    """A read-only ``/results`` rendered by ``render`` (a platform's), once per snapshots and
    ``query`` (the command's meaning and the platform's options) when there is a cache.

    A state's answer comes from that state's races (``Store.state_snapshots``): it names no other
    state's race, so it is the same answer without decoding a national snapshot after each
    commit, keyed by the stored versions. A state with no race takes the whole read (that answer
    lists the tracked states), as do small feeds and every other command."""
    state = _state_of(cmd)
    if state is not None and cache is not None:
        return cache.get_or_make(
            _state_key(services, state, query), lambda: _from_snapshots(cmd, services, cache, query, render, state)
        )
    return _from_snapshots(cmd, services, cache, query, render, state)


def _from_snapshots(
    cmd: Command,
    services: Services,
    cache: AnswerCache | None,
    query: tuple[Hashable, ...],
    render: Callable[[Answer], dict[str, Any]],
    state: str | None,
) -> dict[str, Any]:
    found = services.store.state_snapshots(state) if state is not None else None
    snapshots = found if found is not None and any(snap.races for snap in found) else services.latest_snapshots()

    def make() -> dict[str, Any]:
        return render(answer_command(cmd, snapshots, services.rules))

    if cache is None or not cmd.read_only:
        return make()
    return cache.get_or_make((_snapshots_key(snapshots), *query), make)


def cached_answer(
    cmd: Command, services: Services, cache: AnswerCache, query: tuple[Hashable, ...]
) -> dict[str, Any] | None:
    """What ``rendered_answer`` would return, if it is cached for what the store holds now, with
    no decoding and nothing rendered (one small versions query); else ``None``."""
    if cmd.kind in STORE_KINDS or not cmd.read_only:
        return None
    state = _state_of(cmd)
    if state is not None:
        return cache.get(_state_key(services, state, query))
    snapshots = services.current_snapshots()
    return None if snapshots is None else cache.get((_snapshots_key(snapshots), *query))
