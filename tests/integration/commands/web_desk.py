"""The web process as production wires it (Bolt's ``/slack/events`` plus the Discord route the
secrets turn on), served on loopback for the tests that ask both platforms the same question."""

from __future__ import annotations

from bot.app.discord_app import discord_routes
from bot.app.slack_app import create_bolt_app, wsgi_app
from bot.store.database import Store
from config.settings import Secrets
from handlers import Services
from tests.fakes.discord_api import APPLICATION_ID
from tests.fakes.discord_signing import Signer
from tests.fakes.wsgi_server import ServedApp, serve_wsgi

from .conftest import RULES, SECRET


def serve_web(store: Store, signer: Signer, slack_url: str) -> ServedApp:
    """Started; use it in ``with``. Discord's API (for deferred answers) is a closed port."""
    secrets = Secrets(
        "xoxb-test",
        SECRET,
        slack_url,
        discord_public_key=signer.public_key,
        discord_application_id=APPLICATION_ID,
        discord_api_url="http://127.0.0.1:9/api/v10/",
    )
    services = Services(store, RULES)
    return serve_wsgi(wsgi_app(create_bolt_app(services, secrets), routes=discord_routes(services, secrets)))
