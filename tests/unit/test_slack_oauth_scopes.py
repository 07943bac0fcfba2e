"""The scopes an OAuth install asks for are the manifest's: a workspace installed by OAuth can do
everything a manually installed one can (post, read its history after a crash, upload pictures)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app.slack_oauth import BOT_SCOPES, oauth_enabled
from config.settings import Secrets

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def manifest_bot_scopes() -> set[str]:
    text = MANIFEST.read_text()
    block = text.split("  scopes:\n    bot:\n", 1)[1].split("\nsettings:", 1)[0]
    return set(re.findall(r"^      - ([a-z:.]+)\s*$", block, flags=re.MULTILINE))


def test_an_oauth_install_asks_for_the_manifests_bot_scopes() -> None:
    assert manifest_bot_scopes() == set(BOT_SCOPES)
    assert len(BOT_SCOPES) == len(set(BOT_SCOPES)) == 8


def test_oauth_is_on_only_with_both_the_client_id_and_its_secret() -> None:
    base = Secrets("xoxb-test", "s", "http://127.0.0.1:9/")
    assert not oauth_enabled(base)
    assert not oauth_enabled(Secrets("xoxb-test", "s", "http://127.0.0.1:9/", slack_client_id="1.2"))
    assert not oauth_enabled(Secrets("xoxb-test", "s", "http://127.0.0.1:9/", slack_client_secret="x"))
    assert oauth_enabled(Secrets(None, "s", "http://127.0.0.1:9/", slack_client_id="1.2", slack_client_secret="x"))
