"""``python -m bot discord-register [--guild ID]`` against the fake Discord API: a bulk overwrite
that leaves exactly ``/results``, the same after a second run; a refused or missing token or id is
one line on stderr and exit status 2."""

from __future__ import annotations

import pytest

from bot.app.cli import main
from tests.fakes.discord_api import APPLICATION_ID, BOT_TOKEN, FakeDiscord

GUILD = "1200000000000000001"
GLOBAL = "PUT /applications/{application_id}/commands"
IN_GUILD = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


@pytest.fixture
def discord(monkeypatch: pytest.MonkeyPatch):
    with FakeDiscord() as fake:
        monkeypatch.setenv("DISCORD_API_URL", fake.base_url)
        monkeypatch.setenv("DISCORD_APPLICATION_ID", APPLICATION_ID)
        monkeypatch.setenv("DISCORD_BOT_TOKEN", BOT_TOKEN)
        yield fake


def commands(discord: FakeDiscord, route: str) -> list[dict]:
    return discord.calls_to(route)[-1].response


def test_registering_twice_leaves_one_results_command(discord: FakeDiscord, capsys) -> None:
    assert main(["discord-register"]) == 0
    first = commands(discord, GLOBAL)
    assert main(["discord-register"]) == 0
    second = commands(discord, GLOBAL)
    assert [c["name"] for c in second] == ["results"] and first == second  # same id: updated, not added
    option = second[0]["options"][0]
    assert (option["name"], option["type"], option["required"]) == ("query", 3, False)
    call = discord.calls_to(GLOBAL)[0]
    assert call.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    assert "every server" in capsys.readouterr().out


def test_a_guild_gets_its_own_command_list(discord: FakeDiscord, capsys) -> None:
    assert main(["discord-register", "--guild", GUILD]) == 0
    assert discord.calls_to(IN_GUILD)[0].ids["guild_id"] == GUILD and not discord.calls_to(GLOBAL)
    assert commands(discord, IN_GUILD)[0]["guild_id"] == GUILD
    assert f"guild {GUILD}" in capsys.readouterr().out


def test_a_refused_token_is_one_line_and_exit_2(discord: FakeDiscord, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "not-the-token")
    assert main(["discord-register"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "401" in err and "DISCORD_BOT_TOKEN" in err
    assert "not-the-token" not in err  # a secret is never printed


@pytest.mark.parametrize(
    "unset, says",
    [("DISCORD_APPLICATION_ID", "DISCORD_APPLICATION_ID is not set"), ("DISCORD_BOT_TOKEN", "DISCORD_BOT_TOKEN is not set")],
)
def test_a_missing_id_or_token_is_one_line_and_exit_2(
    discord: FakeDiscord, monkeypatch, capsys, unset: str, says: str
) -> None:
    monkeypatch.delenv(unset)
    assert main(["discord-register"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err
    assert not discord.calls  # nothing sent


def test_another_applications_id_is_refused_with_a_hint(discord: FakeDiscord, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "1999999999999999999")
    assert main(["discord-register"]) == 2
    assert "403" in capsys.readouterr().err
