"""The runtime builds the Discord sink from the config and the environment, as production does:
configured channels (with the bot token) and webhooks become targets beside Slack's; a Discord
subscription is a target too; nothing is built when there is nowhere to post; and a night
polled through the runtime reaches FakeDiscord with the same alerts as FakeSlack."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app.runtime import Runtime
from bot.app.settings import settings_from_dict
from bot.codec import native
from bot.delivery.discord import DiscordSink, fingerprint
from bot.rehearsal.replay_server import ReplayServer
from bot.rehearsal.scenarios import load_scenario
from bot.store import subscriptions
from config.settings import Secrets
from tests.fakes.discord_api import BOT_TOKEN, FakeDiscord
from tests.fakes.slack_api import FakeSlack

CHANNEL = "1000000000000000001"
HOOK = "http://127.0.0.1:9/api/v10/webhooks/77/secret-token"


def settings(url: str = "http://127.0.0.1:9/feed", **alerts: object):
    return settings_from_dict(
        {"feeds": [{"name": "al-2017", "kind": "json", "url": url}], "alerts": {"channels": ["C1"], **alerts}}
    )


def secrets(**fields: object) -> Secrets:
    base = Secrets.from_env({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    return replace(base, **fields)  # type: ignore[arg-type]


def targets(runtime: Runtime) -> list[tuple[str, str]]:
    return [(t.platform, t.channel) for t in runtime.pollers[0].targets()]


def test_discord_channels_and_webhooks_are_targets_beside_slack(tmp_path: Path) -> None:
    runtime = Runtime.build(
        settings(discord_channels=[CHANNEL]),
        secrets(discord_bot_token=BOT_TOKEN, discord_webhook_urls=(HOOK,)),
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
    )
    try:
        assert isinstance(runtime.sinks["discord"], DiscordSink) and "slack" in runtime.sinks
        assert targets(runtime) == [("slack", "C1"), ("discord", CHANNEL), ("discord", fingerprint(HOOK))]
        assert "secret-token" not in repr(targets(runtime))
        subscriptions.subscribe(runtime.store, "1000000000000000009", "AL", "quiet", platform="discord")
        assert ("discord", "1000000000000000009") in targets(runtime)
    finally:
        runtime.close()


def test_no_discord_sink_without_a_place_to_post(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        runtime = Runtime.build(
            settings(discord_channels=[CHANNEL]),
            secrets(discord_webhook_urls=()),
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        )
    try:
        assert "discord" not in runtime.sinks and targets(runtime) == [("slack", "C1")]
    finally:
        runtime.close()
    runtime = Runtime.build(
        settings(discord_channels=[CHANNEL]),
        secrets(discord_webhook_urls=(HOOK,)),
        database_url=f"sqlite:///{tmp_path / 'db2.sqlite'}",
    )
    try:  # a webhook but no bot token: the webhook only, and the channel list said once in the log
        assert targets(runtime) == [("slack", "C1"), ("discord", fingerprint(HOOK))]
        assert any("discord_channels is set but DISCORD_BOT_TOKEN is not" in r.getMessage() for r in caplog.records)
    finally:
        runtime.close()


def test_a_bad_channel_id_is_refused_by_the_config() -> None:
    with pytest.raises(Exception, match="discord_channels"):
        settings(discord_channels=["#general"])


def test_a_polled_night_reaches_discord_with_slacks_alerts(tmp_path: Path) -> None:
    bodies = [native.dumps(snapshot) for snapshot in load_scenario()[:20]]
    with ReplayServer(bodies) as server, FakeSlack() as slack, FakeDiscord() as discord:
        runtime = Runtime.build(
            settings(server.url, discord_channels=[CHANNEL], style="messages"),
            secrets(
                slack_api_url=slack.base_url,
                discord_bot_token=BOT_TOKEN,
                discord_api_url=discord.base_url + "/",
            ),
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
            min_interval=0.0,
        )
        try:
            for _ in bodies:
                runtime.pollers[0].poll()
                server.advance()
            for _ in range(20):
                runtime.worker.deliver_due()
            slack_count = len(slack.posts("C1"))
            assert slack_count >= 3
            assert len(discord.posts(CHANNEL)) == slack_count
            assert all(p["allowed_mentions"] == {"parse": []} for p in discord.posts(CHANNEL))
        finally:
            runtime.close()


def test_check_config_says_where_discord_alerts_go(tmp_path: Path, monkeypatch, capsys) -> None:
    from bot.app.cli import main

    config = tmp_path / "bot.toml"
    config.write_text(
        '[[feeds]]\nname = "x"\nkind = "json"\nurl = "http://127.0.0.1/"\n'
        f'[alerts]\nchannels = ["C1"]\ndiscord_channels = ["{CHANNEL}"]\n'
    )
    monkeypatch.setenv("DISCORD_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("DISCORD_WEBHOOK_URLS", f"{HOOK}, {HOOK}2")
    assert main(["check-config", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"discord: bot token set; channels: {CHANNEL}; webhooks: 2" in out
    assert "secret-token" not in out and BOT_TOKEN not in out
