"""What a platform sink promises the outbox worker, and the one error type of this edge."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from bot.core.digest import Digest
from bot.core.events import Alert, RaceFacts
from bot.render.picture import Picture


class DeliveryError(Exception):
    """A send failed. ``permanent`` errors need the operator (a missing channel, a bad token);
    the others are retried, after ``retry_after`` seconds when the platform said so (HTTP 429).
    ``uncertain`` errors (a lost answer, a 5xx) may hide a post that landed: the worker checks
    the channel before trying again. ``code`` is the platform's own error name, for logs and
    tests only: what the bot decides on is said in these neutral terms (and ``MessageGone``)."""

    #: the message to edit or reply under can no longer be edited (``MessageGone``)
    gone = False

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        action: str | None = None,
        uncertain: bool = False,
        code: str | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.action = action
        self.uncertain = uncertain
        self.code = code


class Gone(Enum):
    """Why a message can no longer be edited, in no platform's words: each sink translates its
    platform's errors into these, and the card keeper decides on them alone."""

    #: the message (or the thread started from it) no longer exists: someone deleted it
    DELETED = "deleted"
    #: it exists, but this bot cannot edit it (posted by another bot user: the app was reinstalled)
    NOT_OURS = "not ours"
    #: it exists, but the workspace allows edits only for a while after posting: every card's
    #: window closes, so a card posted anew would be lost again
    EDIT_WINDOW_CLOSED = "edit window closed"


class MessageGone(DeliveryError):
    """The message to edit (or whose thread to post in) can no longer be edited, ``because``:
    retrying is pointless; a live card must be posted anew (bot/delivery/live_cards.py) and an
    alert for its thread goes to the channel."""

    gone = True

    def __init__(self, message: str, because: Gone, *, action: str | None = None, code: str | None = None):
        super().__init__(message, action=action, code=code)
        self.because = because

    @property
    def message_exists(self) -> bool:
        """Whether the old message is still there (its thread may still take replies)."""
        return self.because is not Gone.DELETED


class Sink(Protocol):
    """What every platform's sink does: post one alert, post one digest. The worker calls nothing
    else unless the sink also has one of the capabilities below (it checks with ``isinstance``
    against these runtime-checkable Protocols)."""

    platform: str
    #: seconds between two posts to one channel (the platform's rate limit; 0 for a terminal)
    min_interval: float

    def send(self, alert: Alert, channel: str) -> str | None:
        """Post one alert; return the platform's message id (Slack's ``ts``, Discord's message id) or None."""
        ...

    def send_digest(self, digest: Digest, channel: str) -> str | None:
        """Post one digest (many races' routine news in one message); the message id or None."""
        ...


# --- optional capabilities: a sink that has one gets the behaviour that needs it ------------------


@runtime_checkable
class HistorySink(Protocol):
    """Can read a channel back: after an uncertain send the worker looks for the post before
    sending again (exactly once). Returns alert key → message id for the keys found."""

    def find_posted(self, channel: str, keys: Iterable[str], *, thread_id: str | None = None) -> dict[str, str]: ...


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
    """Keeps one live card per race, edited in place, and posts a race's alerts into its card's
    thread (``thread_id``: the card's message id), optionally also to the channel. A card that can
    no longer be edited raises ``MessageGone`` from ``update_card`` (and from ``send`` into its thread)."""

    update_interval: float

    def send(self, alert: Alert, channel: str, *, thread_id: str | None = None, broadcast: bool = False) -> str | None: ...

    def card_message(self, facts: RaceFacts) -> dict[str, Any]: ...

    def post_card(self, facts: RaceFacts, feed: str, channel: str) -> str | None: ...

    def update_card(self, facts: RaceFacts, channel: str, message_id: str) -> None: ...

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
        thread_id: str | None = None,
        on_uploaded: Callable[[str], None] | None = None,
    ) -> str | None: ...

    def find_picture(self, channel: str, file_id: str) -> str | None: ...
