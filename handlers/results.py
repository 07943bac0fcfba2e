"""``/results``: answers from the stored snapshot (never a feed fetch), inside the 3 s ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.answers import answer
from handlers.services import Services

log = logging.getLogger("electionbot.commands")


def register(app: App, services: Services) -> None:
    def results_command(ack: Ack, command: dict[str, Any]) -> None:
        try:
            message = answer(command.get("text") or "", services.store.latest_snapshots(), services.rules).slack()
        except Exception:  # the user still gets an answer inside the ack, and we get the trace
            log.exception("/results failed")
            message = {"text": "Sorry, results are unavailable right now. Try again in a moment."}
        ack(response_type="ephemeral", **message)

    app.command("/results")(results_command)
