"""Discord's interactions endpoint wired for the web process: the WSGI app of
``handlers.discord`` with the key from ``DISCORD_PUBLIC_KEY`` and the one HTTP call it needs
(completing a deferred answer), which a handler may not make itself (``make lint``'s contracts).
"""

from __future__ import annotations

from typing import Any

import requests

from bot.delivery.discord import BOT_FILE_MAX, multipart, too_large
from bot.render.picture import Picture
from config.settings import ConfigError, Secrets
from handlers.discord import INTERACTIONS_PATH, DiscordInteractions, WSGIApp
from handlers.discord_signature import BadPublicKey
from handlers.services import Services

#: Seconds for one call completing a deferred answer (the interaction's token lasts 15 minutes).
EDIT_TIMEOUT = 10


class InteractionWebhookClient:
    """The interaction's own webhook (``/webhooks/{application_id}/{token}``), authorised by its
    token, not the bot's: edits @original and sends follow-ups (``handlers.discord.InteractionWebhook``)."""

    def __init__(self, api_url: str, application_id: str, session: requests.Session | None = None) -> None:
        self.base = f"{api_url.rstrip('/')}/webhooks/{application_id}"
        self.http = session or requests.Session()

    def edit_original(self, token: str, data: dict[str, Any], picture: Picture | None = None) -> int:
        return self._send("PATCH", f"{self.base}/{token}/messages/@original", data, picture)

    def follow_up(self, token: str, data: dict[str, Any], picture: Picture | None = None) -> int:
        return self._send("POST", f"{self.base}/{token}", data, picture)

    def _send(self, method: str, url: str, data: dict[str, Any], picture: Picture | None) -> int:
        """JSON, or with a picture ``multipart/form-data`` (``payload_json`` + ``files[0]``, the
        sink's encoding), refused before the call over Discord's 25 MiB (413 as Discord would)."""
        if picture is None:
            return self.http.request(method, url, json=data, timeout=EDIT_TIMEOUT).status_code
        if too_large(picture, BOT_FILE_MAX) is not None:
            return 413
        form, files = multipart(data, picture)
        return self.http.request(method, url, data=form, files=files, timeout=EDIT_TIMEOUT).status_code


def discord_routes(services: Services, secrets: Secrets) -> dict[str, WSGIApp]:
    """``{"/discord/interactions": app}`` when ``DISCORD_PUBLIC_KEY`` is set, else nothing (a
    Slack-only deployment serves no Discord endpoint). A key that is not 32 bytes of hex is a
    ``ConfigError`` (one line, exit 2); without ``DISCORD_APPLICATION_ID`` a deferred answer
    cannot be completed, so it is required too."""
    if not secrets.discord_public_key:
        return {}
    if not secrets.discord_application_id:
        raise ConfigError("DISCORD_PUBLIC_KEY is set but DISCORD_APPLICATION_ID is not: both come from the Developer Portal")
    webhook = InteractionWebhookClient(secrets.discord_api_url, secrets.discord_application_id)
    try:
        app = DiscordInteractions(services, secrets.discord_public_key, webhook)
    except BadPublicKey as exc:
        raise ConfigError(str(exc)) from None
    return {INTERACTIONS_PATH: app}
