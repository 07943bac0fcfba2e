"""What listeners may use: the store (read-only for answers, plus channel subscriptions), the
rule settings, a clock (for "2 min ago" in ``/results status``), and the latest snapshots
decoded once per poll rather than once per request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.commands import Command
from bot.core.model import Snapshot
from bot.core.rules import RuleSettings
from bot.render.picture import Picture
from bot.store.database import Store, utcnow
from handlers.snapshots import LatestSnapshots


class PictureAnswers(Protocol):
    """``/results … chart | map``: the app's picture desk (bot/app/pictures.py), which a handler
    may not import: the ephemeral answer, and whether (then how) the picture goes by DM."""

    def command_answer(self, cmd: Command) -> dict[str, Any]: ...

    def wants_direct(self, cmd: Command) -> bool: ...

    def send_direct_later(self, cmd: Command, user_id: str, client: Any) -> None: ...

    def command_picture(self, cmd: Command) -> Picture | str:
        """The picture itself, or why there is none (Discord attaches it to the deferred answer)."""
        ...


@dataclass(frozen=True)
class Services:
    store: Store
    rules: RuleSettings
    clock: Callable[[], datetime] = field(default=utcnow)
    #: told of every command answered: (command kind, outcome, seconds); the app's metrics
    #: (bot/app/metrics.py), which a handler may not import. None: nobody is told.
    on_command: Callable[[str, str, float], None] | None = None
    #: the pictures (issue 17); None: ``/results … chart`` says they are not available here
    pictures: PictureAnswers | None = None
    _latest: LatestSnapshots = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen, so listeners cannot swap the store; the cache belongs to this store only.
        object.__setattr__(self, "_latest", LatestSnapshots(self.store))

    def latest_snapshots(self) -> list[Snapshot]:
        """Every feed's last snapshot, as the poller last committed it (possibly from another process)."""
        return self._latest.get()

    def current_snapshots(self) -> list[Snapshot] | None:
        """``latest_snapshots`` when that costs no decoding (nothing committed since the last
        read), else ``None``: ``LatestSnapshots.if_current``."""
        return self._latest.if_current()
