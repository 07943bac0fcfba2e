"""The Bolt app (slash commands) and its WSGI entry, with a health route beside it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.app.slack_oauth import oauth_enabled, oauth_settings, oauth_stores, register_uninstall
from config.settings import ConfigError, Secrets
from handlers import Services, register_listeners

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def create_bolt_app(
    services: Services, secrets: Secrets, client: WebClient | None = None, *, socket_mode: bool = False
) -> App:
    """``socket_mode``: requests arrive over the app's own WebSocket (bot/app/socket_mode.py), which
    Slack authenticates with the app-level token, so there is no signature to verify."""
    if not secrets.slack_signing_secret and not socket_mode:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: the app cannot verify Slack's requests")
    # Many workspaces (bot/app/slack_oauth.py): each request's token comes from the installation
    # store (Bolt's authorize), so the client carries none.
    stores = oauth_stores(services.store, secrets) if oauth_enabled(secrets) else None
    # Bolt takes the token from the client (a token= beside client= is ignored), so it goes here.
    client = client or WebClient(token=None if stores else secrets.slack_bot_token, base_url=secrets.slack_api_url)
    app = App(
        signing_secret=secrets.slack_signing_secret or "",
        oauth_settings=oauth_settings(secrets, stores) if stores else None,
        request_verification_enabled=not socket_mode,
        client=client,
        # auth.test at start-up would make the web process depend on Slack being up.
        token_verification_enabled=False,
        # Run listeners in the request thread and answer with their ack. Bolt's default hands each
        # listener to a 5-thread pool and polls for the ack every 10 ms, which alone costs 10 ms a
        # request and queues a burst behind five threads. Work after an ack goes in lazy listeners.
        process_before_response=True,
    )
    if stores:
        register_uninstall(app, services.store, stores)
    register_listeners(app, services)
    return app


def wsgi_app(app: App, path: str = "/slack/events", routes: Mapping[str, WSGIApp] | None = None) -> WSGIApp:
    """Bolt's WSGI handler answers 404 on every other path (but ``/slack/install`` and
    ``/slack/oauth_redirect`` with OAuth on), so the web process's other endpoints
    (a platform's interactions, health, metrics, pictures) come in as ``routes``: an exact path,
    or a prefix ending in ``/``, mapped to its own WSGI app. Bolt keeps everything else."""
    slack = SlackRequestHandler(app, path=path)
    exact = {p: a for p, a in (routes or {}).items() if not p.endswith("/")}
    prefixes = sorted(((p, a) for p, a in (routes or {}).items() if p.endswith("/")), key=lambda pa: -len(pa[0]))

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        where = environ.get("PATH_INFO") or "/"
        if where in exact:
            return exact[where](environ, start_response)
        for prefix, route in prefixes:
            if where.startswith(prefix):
                return route(environ, start_response)
        if where in ("/healthz", "/health"):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application
