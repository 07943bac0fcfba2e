"""What a platform sink promises the outbox worker, and the one error type of this edge."""

from __future__ import annotations

from typing import Protocol

from bot.core.events import Alert


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
    platform: str

    def send(self, alert: Alert, channel: str) -> str | None:
        """Post one alert; return the platform's message id (Slack ``ts``) or None."""
        ...
