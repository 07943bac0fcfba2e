"""Chat listeners, thin: parse the command, read the store, render, respond.

Each group exposes ``register(app, services)``, as in Slack's Bolt starter template.
"""

from __future__ import annotations

from slack_bolt import App

from handlers import results
from handlers.services import Services


def register_listeners(app: App, services: Services) -> None:
    results.register(app, services)


__all__ = ["Services", "register_listeners"]
