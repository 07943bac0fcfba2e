"""The figures bound to the store (bot/app/figures.py): what ``/results … chart | map`` and the
call's pictures draw is the render layer's picture of the stored race and its stored history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.figures import bind_figures
from bot.app.settings import rule_settings, settings_from_dict
from bot.core.context import ContextSettings
from bot.rehearsal.scenarios import load_scenario
from bot.render.chart import race_chart
from bot.render.county_map import margin_map, swing_map
from bot.store.database import Store
from tests.databases import db_url
from tests.unit.pictures.alabama import KEY, baseline, history

FEED = "al-2017"


def test_the_bound_figures_draw_the_stored_night(tmp_path: Path) -> None:
    store = Store(db_url(tmp_path / "bot.db"))
    for n, snapshot in enumerate(load_scenario()):
        store.commit_poll(snapshot, {}, {}, [], datetime(2026, 11, 3, tzinfo=UTC) + timedelta(minutes=n))
    plain = rule_settings(settings_from_dict({"feeds": [{"name": FEED, "kind": "json", "url": "http://x.invalid/"}]}))
    rules = replace(plain, context=ContextSettings(baselines={"AL": baseline()}))
    figures = bind_figures(store, rules)
    race = load_scenario()[-1].races[KEY]
    assert figures["chart"](FEED, KEY) == race_chart(race, history(), rules)
    assert figures["swing_map"](FEED, KEY) == swing_map(race, baseline())
    assert figures["margin_map"](FEED, KEY) == margin_map(race)
    # no baseline configured: no swing map (said once in the log), the others as before
    assert bind_figures(store, plain)["swing_map"](FEED, KEY) is None
    assert figures["chart"](FEED, "AL-9999") is None and figures["chart"]("other-feed", KEY) is None
    store.close()
