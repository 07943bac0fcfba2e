"""Errors only the operator can fix, logged once each with what to do.

On election night a missing channel or a missing scope would otherwise repeat on every alert
and every card edit; one clear line per channel, cause and kind of call is what gets read.
"""

from __future__ import annotations

import logging

from bot.delivery.sink import DeliveryError

log = logging.getLogger("electionbot.delivery")

#: what failed, and what happens now (the two halves of the line).
DELIVER = ("cannot deliver", "alerts for this channel are set aside")
HISTORY_CHECK = ("cannot check the channel for duplicates", "posting without that check")
CARD_EDIT = ("cannot keep the live card up to date", "trying again in a while; alerts are not held up")
#: what the duplicate check after a crash or a lost answer needs. Without it the alert is posted
#: anyway: a possible duplicate beats a lost call.
HISTORY_ACTION = (
    "checking for duplicates needs the channels:history and groups:history scopes, the bot in the channel "
    "(/invite @electionbot) and the channel configured by id"
)


class OperatorLog:
    def __init__(self) -> None:
        self._said: set[tuple[str, str, str, str]] = set()

    def permanent(
        self, platform: str, channel: str, exc: DeliveryError, what: tuple[str, str] = DELIVER, *, action: str | None = None
    ) -> None:
        marker = (platform, channel, str(exc), what[0])
        if marker in self._said:
            return
        self._said.add(marker)
        action = action or exc.action
        hint = f" — {action}" if action else ""
        log.error("%s %s: %s (%s)%s; %s", platform, channel, what[0], exc, hint, what[1])
