"""Secrets come from the environment only, and no value ever shows in a repr (logs, tracebacks)."""

from __future__ import annotations

from config.settings import DISCORD_API_URL, Secrets

ENV = {
    "SLACK_BOT_TOKEN": "xoxb-secret-bot",
    "SLACK_SIGNING_SECRET": "secret-signing",
    "SLACK_APP_TOKEN": "xapp-secret-app",
    "SLACK_CLIENT_ID": "123.456",
    "SLACK_CLIENT_SECRET": "secret-client",
    "DISCORD_BOT_TOKEN": "secret-discord-bot",
    "DISCORD_PUBLIC_KEY": "ab" * 32,
    "DISCORD_APPLICATION_ID": "1100",
    "DISCORD_WEBHOOK_URLS": " https://discord.test/api/webhooks/1/secret-a , ,https://discord.test/api/webhooks/2/secret-b",
    "DISCORD_API_URL": "http://127.0.0.1:9/api/v10",
    "PUBLIC_URL": "https://bot.example.org/",
    "LINK_SIGNING_KEY": "secret-link",
}


def test_every_platform_reads_its_own_variables() -> None:
    s = Secrets.from_env(ENV)
    assert s.slack_app_token == "xapp-secret-app" and s.slack_client_secret == "secret-client"
    assert s.discord_webhook_urls == (
        "https://discord.test/api/webhooks/1/secret-a",
        "https://discord.test/api/webhooks/2/secret-b",
    )
    assert s.discord_api_url == "http://127.0.0.1:9/api/v10/"
    assert s.public_url == "https://bot.example.org"
    assert s.discord_enabled and s.slack_enabled


def test_defaults_when_unset() -> None:
    s = Secrets.from_env({})
    assert s.discord_api_url == DISCORD_API_URL and s.discord_webhook_urls == ()
    assert not s.discord_enabled and not s.slack_enabled
    assert Secrets.from_env({"DISCORD_WEBHOOK_URLS": "https://discord.test/api/webhooks/1/x"}).discord_enabled


def test_no_value_shows_in_repr() -> None:
    shown = repr(Secrets.from_env(ENV))
    assert "secret" not in shown.replace("_secret", "").replace("secret=", "")
    for value in ENV.values():
        if "secret" in value:
            assert value.strip() not in shown
    assert "discord_bot_token=set" in shown and "slack_app_token=set" in shown


def test_where_alerts_go_without_a_bot_token() -> None:
    """A worker with OAuth only, or Discord only, posts there and does not also print every alert."""
    assert not Secrets.from_env({}).posts_somewhere
    oauth = Secrets.from_env({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"})
    assert oauth.slack_oauth_enabled and oauth.posts_somewhere and not oauth.slack_enabled
    assert not Secrets.from_env({"SLACK_CLIENT_ID": "1.2"}).slack_oauth_enabled  # both halves, or none
    assert Secrets.from_env({"DISCORD_BOT_TOKEN": "t"}).posts_somewhere
