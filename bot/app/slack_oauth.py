"""Many workspaces (issue 16): the app installed by OAuth in every newsroom of a network.

On when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are both set; otherwise nothing here runs
and the app is the single-workspace install of ``SLACK_BOT_TOKEN``, exactly as before.

- ``/slack/install`` and ``/slack/oauth_redirect`` are Bolt's own OAuth flow (``OAuthSettings``):
  the state goes in a cookie and in slack_sdk's SQLAlchemy state store, the code is exchanged by
  ``oauth.v2.access`` and the installation saved in slack_sdk's SQLAlchemy installation store,
  both in the store's own database, so the web process that installs and the worker that posts
  share them as they share everything else.
- Their tables (``slack_installations``, ``slack_bots``, ``slack_oauth_states``) are slack_sdk's:
  defined by its own ``MetaData`` and created by its ``create_tables`` at start (``CREATE ... IF
  NOT EXISTS`` per table), not by our Alembic revisions. slack_sdk owns their shape and changes it
  in its releases (columns were added for token rotation); a revision of ours would freeze one
  version's copy and fight the library's. They are left out of ``Base.metadata``, so the
  schema-vs-models test and the start-up check see only our tables.
- Delivery: a channel's workspace is the ``team_id`` its subscription stored (the slash
  command's payload); its bot token comes from the installation store at each post, so a
  reinstall (a new token) or an uninstall takes effect at the next message. A channel with no
  workspace (the config's ``[alerts] channels``) uses ``SLACK_BOT_TOKEN`` when it is set.
- ``app_uninstalled`` and ``tokens_revoked`` (bot tokens): Bolt's token revocation listeners
  delete the installation, then the workspace's subscriptions are removed, its queued alerts
  skipped and its live cards frozen, with one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from sqlalchemy.exc import DBAPIError

from bot.delivery.sink import DeliveryError
from bot.delivery.slack import make_client
from bot.store.database import Store
from bot.store.subscriptions import remove_team, team_of
from config.settings import Secrets

if TYPE_CHECKING:  # imported when OAuth is on: they load sqlalchemy.ext.asyncio (greenlet)
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

log = logging.getLogger("electionbot.slack")

#: what the bot does: post alerts and cards, answer /results, read its own channel history after
#: a crash, upload pictures and DM them (README's scope list, the same as a manual install's).
BOT_SCOPES = (
    "chat:write",
    "chat:write.public",
    "commands",
    "channels:history",
    "groups:history",
    "files:write",
    "files:read",
    "im:write",
)
#: how long an install link's state is good for (slack_sdk's default is 10 minutes)
STATE_EXPIRATION_SECONDS = 600


def oauth_enabled(secrets: Secrets) -> bool:
    return secrets.slack_oauth_enabled


@dataclass(frozen=True)
class OAuthStores:
    installations: SQLAlchemyInstallationStore
    states: SQLAlchemyOAuthStateStore


def oauth_stores(store: Store, secrets: Secrets) -> OAuthStores:
    """slack_sdk's two stores on the store's engine, their tables created if missing."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    installations = SQLAlchemyInstallationStore(client_id=secrets.slack_client_id or "", engine=store.engine, logger=log)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=store.engine, logger=log)
    for create in (installations.create_tables, states.create_tables):
        try:
            create()  # type: ignore[no-untyped-call]  # slack_sdk leaves create_tables unannotated
        except DBAPIError:  # another process created them between the check and the CREATE
            create()  # type: ignore[no-untyped-call]  # as above
    return OAuthStores(installations, states)


def oauth_settings(secrets: Secrets, stores: OAuthStores) -> OAuthSettings:
    """Bolt's flow; a redirect to Slack's authorize page straight away (no page of our own)."""
    return OAuthSettings(
        client_id=secrets.slack_client_id,
        client_secret=secrets.slack_client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=f"{secrets.public_url}/slack/oauth_redirect" if secrets.public_url else None,
        install_page_rendering_enabled=False,
        installation_store=stores.installations,
        state_store=stores.states,
    )


def register_uninstall(app: App, store: Store, stores: OAuthStores) -> None:
    """``app_uninstalled`` and ``tokens_revoked``: Bolt's revocation listeners delete what the
    installation store holds; then the workspace stops getting alerts (``forget_team``).
    Bolt runs only the first listener matching an event, so these are the only ones."""
    revocation = TokenRevocationListeners(stores.installations)

    @app.event("app_uninstalled")
    def app_uninstalled(context: BoltContext) -> None:
        revocation.handle_app_uninstalled_events(context)
        forget_team(store, context.team_id, "uninstalled the app")

    @app.event("tokens_revoked")
    def tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        revocation.handle_tokens_revoked_events(event, context)
        if (event.get("tokens") or {}).get("bot"):  # user tokens alone: the bot still posts
            forget_team(store, context.team_id, "revoked the bot token")


def forget_team(store: Store, team_id: str | None, why: str) -> None:
    if not team_id:
        return
    removed = remove_team(store, team_id)
    log.warning(
        "Slack workspace %s %s: %d channel(s) unsubscribed, %d queued alert(s) skipped, %d live card(s) frozen",
        team_id,
        why,
        len(removed.channels),
        removed.skipped,
        removed.cards_frozen,
    )


class TeamClients:
    """``SlackSink(client_for=...)``: the client holding the bot token of a channel's workspace.

    Read at each call (an indexed row and the installation's bot row): a workspace reinstalled
    in the web process posts with its new token at the next message of any worker."""

    def __init__(
        self, store: Store, installations: SQLAlchemyInstallationStore, api_url: str, default: WebClient | None
    ) -> None:
        self.store = store
        self.installations = installations
        self.api_url = api_url
        self.default = default
        self._clients: dict[str, WebClient] = {}

    def __call__(self, channel: str) -> WebClient:
        team = team_of(self.store, channel)
        if team is None:
            if self.default is None:
                raise DeliveryError(
                    f"{channel} belongs to no installed workspace",
                    permanent=True,
                    action="subscribe the channel with /results subscribe (it records the workspace), or set SLACK_BOT_TOKEN",
                    code="no_installation",
                )
            return self.default
        bot = self.installations.find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise DeliveryError(
                f"the workspace {team} of {channel} has no installation",
                permanent=True,
                action="reinstall the app in that workspace (/slack/install)",
                code="no_installation",
            )
        client = self._clients.get(bot.bot_token)
        if client is None:
            client = self._clients[bot.bot_token] = make_client(bot.bot_token, self.api_url)
        return client


def team_clients(store: Store, secrets: Secrets) -> Callable[[str], WebClient] | None:
    """The sink's ``client_for`` with OAuth on; None without (one token everywhere)."""
    if not oauth_enabled(secrets):
        return None
    stores = oauth_stores(store, secrets)
    default = make_client(secrets.slack_bot_token, secrets.slack_api_url) if secrets.slack_bot_token else None
    return TeamClients(store, stores.installations, secrets.slack_api_url, default)
