"""Discord's interactions endpoint wired for the web process: the WSGI app of
``handlers.discord`` with the key from ``DISCORD_PUBLIC_KEY`` and the one HTTP call it needs
(completing a deferred answer), which a handler may not make itself (``make lint``'s contracts).
"""

from __future__ import annotations

from typing import Any

import requests

from config.settings import ConfigError, Secrets
from handlers.discord import INTERACTIONS_PATH, DiscordInteractions, EditOriginal, WSGIApp
from handlers.discord_signature import BadPublicKey
from handlers.services import Services

#: Seconds for one edit of a deferred answer (the interaction's token lasts 15 minutes).
EDIT_TIMEOUT = 10


def original_editor(api_url: str, application_id: str, session: requests.Session | None = None) -> EditOriginal:
    """``PATCH {api}/webhooks/{application_id}/{token}/messages/@original``: the interaction's own
    webhook, authorised by its token (no bot token)."""
    http = session or requests.Session()
    base = api_url.rstrip("/")

    def edit(token: str, data: dict[str, Any]) -> int:
        url = f"{base}/webhooks/{application_id}/{token}/messages/@original"
        return http.patch(url, json=data, timeout=EDIT_TIMEOUT).status_code

    return edit


def discord_routes(services: Services, secrets: Secrets) -> dict[str, WSGIApp]:
    """``{"/discord/interactions": app}`` when ``DISCORD_PUBLIC_KEY`` is set, else nothing (a
    Slack-only deployment serves no Discord endpoint). A key that is not 32 bytes of hex is a
    ``ConfigError`` (one line, exit 2); without ``DISCORD_APPLICATION_ID`` a deferred answer
    cannot be completed, so it is required too."""
    if not secrets.discord_public_key:
        return {}
    if not secrets.discord_application_id:
        raise ConfigError("DISCORD_PUBLIC_KEY is set but DISCORD_APPLICATION_ID is not: both come from the Developer Portal")
    editor = original_editor(secrets.discord_api_url, secrets.discord_application_id)
    try:
        app = DiscordInteractions(services, secrets.discord_public_key, editor)
    except BadPublicKey as exc:
        raise ConfigError(str(exc)) from None
    return {INTERACTIONS_PATH: app}
