"""What a platform sink promises the outbox worker, and the one error type of this edge."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from bot.core.digest import Digest
from bot.core.events import Alert, RaceFacts
from bot.render.picture import Picture


class DeliveryError(Exception):
    """A send failed. ``permanent`` errors need the operator (a missing channel, a bad token);
    the others are retried, after ``retry_after`` seconds when the platform said so (HTTP 429).
    ``uncertain`` errors (a lost answer, a 5xx) may hide a post that landed: the worker checks
    the channel before trying again. ``gone`` means the message to edit can no longer be edited
    (deleted, not ours, past the workspace's edit window): retrying the edit is pointless, a live
    card must be posted anew. ``code`` is the platform's own error name, for logs and tests."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        action: str | None = None,
        uncertain: bool = False,
        gone: bool = False,
        code: str | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.action = action
        self.uncertain = uncertain
        self.gone = gone
        self.code = code


class Sink(Protocol):
    """What every platform's sink does: post one alert, post one digest. The worker calls nothing
    else unless the sink also has one of the capabilities below (it checks with ``isinstance``
    against these runtime-checkable Protocols; cards still by ``supports_cards``)."""

    platform: str
    #: seconds between two posts to one channel (the platform's rate limit; 0 for a terminal)
    min_interval: float

    def send(self, alert: Alert, channel: str) -> str | None:
        """Post one alert; return the platform's message id (Slack ``ts``) or None."""
        ...

    def send_digest(self, digest: Digest, channel: str) -> str | None:
        """Post one digest (many races' routine news in one message); the message id or None."""
        ...


# --- optional capabilities: a sink that has one gets the behaviour that needs it ------------------


@runtime_checkable
class HistorySink(Protocol):
    """Can read a channel back: after an uncertain send the worker looks for the post before
    sending again (exactly once). Returns alert key → message id for the keys found."""

    def find_posted(self, channel: str, keys: Iterable[str], *, thread_ts: str | None = None) -> dict[str, str]: ...


@runtime_checkable
class SummarySink(Protocol):
    """Posts one summary of alerts held back while the platform was down."""

    def send_summary(self, alerts: Sequence[Alert], channel: str, held_minutes: int) -> str | None: ...


@runtime_checkable
class RollupSink(Protocol):
    """Posts one rollup of the alerts over a channel's budget of messages per minute."""

    def send_rollup(self, alerts: Sequence[Alert], channel: str, per_minute: int) -> str | None: ...


@runtime_checkable
class CardSink(Protocol):
    """Keeps one live card per race, edited in place (``supports_cards`` says it is switched on),
    and posts a race's alerts into its card's thread (``thread_ts``), optionally also to the channel."""

    supports_cards: bool
    update_interval: float

    def send(self, alert: Alert, channel: str, *, thread_ts: str | None = None, broadcast: bool = False) -> str | None: ...

    def card_message(self, facts: RaceFacts) -> dict[str, Any]: ...

    def post_card(self, facts: RaceFacts, feed: str, channel: str) -> str | None: ...

    def update_card(self, facts: RaceFacts, channel: str, ts: str) -> None: ...

    def find_card(self, channel: str, race_key: str, exclude: Iterable[str] = ()) -> str | None: ...

    def channel_id(self, channel: str) -> str: ...

    def remember_channel(self, channel: str, channel_id: str) -> None: ...


@runtime_checkable
class UploadSink(Protocol):
    """Uploads a picture into a channel (or a card's thread): the outbox's picture rows
    (``bot.core.picture_orders``). ``on_uploaded`` is told the file id before the upload is
    made visible, so the worker can record it; ``find_picture`` says whether that file was
    shared in the channel after all (a crash, a lost answer), with its message id."""

    def send_picture(
        self,
        picture: Picture,
        channel: str,
        *,
        thread_ts: str | None = None,
        on_uploaded: Callable[[str], None] | None = None,
    ) -> str | None: ...

    def find_picture(self, channel: str, file_id: str) -> str | None: ...
