"""``python -m bot discord-register [--guild ID]``: create or update the ``/results`` slash command.

A bulk overwrite (``PUT /applications/{id}/commands``, or ``.../guilds/{guild}/commands``) sets
the application's whole command list to exactly ours, so running it twice changes nothing
(https://discord.com/developers/docs/interactions/application-commands#bulk-overwrite-global-application-commands).
A guild's commands update at once (for trying it out); global ones reach every server the app
is in. Authorised with the bot token (``DISCORD_BOT_TOKEN``); the ids come from the Developer Portal.
"""

from __future__ import annotations

from typing import Any

import requests

from bot.core.commands import MAX_INPUT
from config.settings import ConfigError, Secrets
from handlers.discord import COMMAND_NAME

#: The one command: ``/results`` with one optional free-text option, the same text as Slack's.
RESULTS_COMMAND: dict[str, Any] = {
    "name": COMMAND_NAME,
    "type": 1,  # CHAT_INPUT: a slash command
    "description": "Election results from the bot's latest poll: a state, a county, close, balance, status…",
    "options": [
        {
            "type": 3,  # STRING
            "name": "query",
            "description": "e.g. alabama · alabama jefferson · close · balance senate · status · subscribe alabama · help",
            "required": False,
            "max_length": MAX_INPUT,
        }
    ],
    "dm_permission": True,
}
TIMEOUT = 15


def register(secrets: Secrets, guild: str | None = None, session: requests.Session | None = None) -> list[dict[str, Any]]:
    """Overwrite the command list; returns what Discord now holds. ``ConfigError`` (one line) for
    a missing id or token, a refused token (401), a wrong application (403) or any other refusal."""
    app_id = (secrets.discord_application_id or "").strip()
    token = (secrets.discord_bot_token or "").strip()
    if not app_id:
        raise ConfigError("DISCORD_APPLICATION_ID is not set (Developer Portal → your app → General Information)")
    if not app_id.isdigit():
        raise ConfigError(f"DISCORD_APPLICATION_ID must be the application's numeric id, not {app_id[:24]!r}")
    if not token:
        raise ConfigError("DISCORD_BOT_TOKEN is not set (Developer Portal → your app → Bot → Reset Token)")
    base = secrets.discord_api_url.rstrip("/")
    url = f"{base}/applications/{app_id}" + (f"/guilds/{guild}" if guild else "") + "/commands"
    http = session or requests.Session()
    try:
        reply = http.put(url, json=[RESULTS_COMMAND], headers={"Authorization": f"Bot {token}"}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ConfigError(f"cannot reach Discord at {base} ({type(exc).__name__})") from None
    if reply.status_code == 401:
        raise ConfigError("Discord refused DISCORD_BOT_TOKEN (401 Unauthorized): reset the token in the Developer Portal")
    if reply.status_code == 403:
        where = f"guild {guild}" if guild else "this application"
        raise ConfigError(
            f"Discord refused to register commands for {where} (403): check DISCORD_APPLICATION_ID, and that the app "
            "was invited with the applications.commands scope"
        )
    if reply.status_code >= 300:
        raise ConfigError(f"Discord refused the command ({reply.status_code}): {_reason(reply)}")
    body = reply.json()
    return body if isinstance(body, list) else []


def _reason(reply: requests.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200]
    return str(body.get("message") if isinstance(body, dict) else body)[:200]
