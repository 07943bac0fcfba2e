"""The figure functions bound to the store: ``(feed, race_key) → Picture | None`` per picture kind
(``bot.app.pictures`` looks them up, caches and delivers what they draw).

Why a binding here: the render layer's figures take data (the race, its history, the baseline,
the shapes) and never the store; the app is the one layer that may read the store and call
them. Each reads the race from the feed's latest stored snapshot (decoded once per version by
the store; only the race's state where the races are stored apart) and, for the chart, the
race's history rows (read from their own columns, no snapshot decoded).
A picture that cannot be drawn (no such race, no Democrat/Republican pair for a swing map, no
baseline, no shapes for the state) is ``None`` with one log line, never an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.core.model import Race
from bot.core.rules import RuleSettings
from bot.render.chart import race_chart
from bot.render.county_map import margin_map, swing_map
from bot.render.county_shapes import ShapesError
from bot.render.picture import Picture
from bot.store.database import Store
from bot.store.history import race_history

log = logging.getLogger("electionbot.pictures")

Figure = Callable[[str, str], Picture | None]


def bind_figures(store: Store, rules: RuleSettings) -> dict[str, Figure]:
    """One function per kind of ``bot.core.picture_orders.PICTURE_KINDS``."""

    def race_of(feed: str, race_key: str) -> Race | None:
        # the state's races only where a national feed is stored race by race: one state's
        # picture must not decode 7,000 races (``Store.state_snapshots``)
        state = race_key.split("-", 1)[0]
        snapshots = store.state_snapshots(state)
        for snapshot in snapshots if snapshots is not None else store.latest_snapshots():
            if snapshot.feed == feed:
                return snapshot.races.get(race_key)
        return None

    def chart(feed: str, race_key: str) -> Picture | None:
        race = race_of(feed, race_key)
        if race is None:
            return None
        return race_chart(race, race_history(store, feed, race_key), rules)

    def swing(feed: str, race_key: str) -> Picture | None:
        race = race_of(feed, race_key)
        if race is None:
            return None
        baseline = rules.context.baseline_for(race)
        if baseline is None:
            log.info("race %s: no baseline election configured, so no swing map", race_key)
            return None
        return _shaped(lambda: swing_map(race, baseline), race_key)

    def margins(feed: str, race_key: str) -> Picture | None:
        race = race_of(feed, race_key)
        return _shaped(lambda: margin_map(race), race_key) if race is not None else None

    return {"chart": chart, "swing_map": swing, "margin_map": margins}


def _shaped(draw: Callable[[], Picture | None], race_key: str) -> Picture | None:
    try:
        return draw()
    except ShapesError as exc:
        log.warning("race %s: no county map (%s)", race_key, exc)
        return None
