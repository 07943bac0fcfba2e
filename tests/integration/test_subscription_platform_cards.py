"""A subscription is its platform's: a Discord channel subscribed to Alabama gets Alabama's live
cards on a national feed, and a Slack channel that happens to carry the same id does not (the
worker's card decision, ``Grouping.card_for``, reads subscriptions by platform)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from bot.app.settings import load_recount_rules
from bot.core.rules import RuleSettings, race_facts
from bot.delivery.grouping import Grouping
from bot.rehearsal.scenarios import load_scenario
from bot.store import subscriptions
from bot.store.database import Store

RULES = RuleSettings(recount_rules=load_recount_rules())
CHANNEL = "1300000000000000001"


def test_a_discord_subscription_brings_cards_to_discord_only(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'cards.db'}")
    try:
        snap = load_scenario()[-1]
        race = next(iter(snap.races.values()))
        alert = SimpleNamespace(facts=race_facts(race, RULES, snap.generated_at), feed="national")
        grouping = Grouping(
            stored_races=lambda feed: 7000,  # a national feed: nothing is followed whole
            subscribed=lambda channel, platform: [
                s.scope for s in subscriptions.for_channel(store, channel, platform=platform)
            ],
        )
        assert not grouping.card_for("discord", CHANNEL, alert)
        subscriptions.subscribe(store, CHANNEL, "AL", "cards", platform="discord")
        assert grouping.card_for("discord", CHANNEL, alert)
        assert not grouping.card_for("slack", CHANNEL, alert)
    finally:
        store.close()
