"""The Alabama 2017 night as the pictures see it: the bundled scenario, its race, its history
(one point per snapshot whose count or call moved, as the store keeps them) and the rules as
configured (the recount line from config/recount_rules.toml)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from bot.app.context_files import scenario_baseline
from bot.app.settings import rule_settings, settings_from_dict
from bot.core.history import HistoryPoint, point_of
from bot.core.model import Race, Snapshot
from bot.core.rules import RuleSettings
from bot.core.swing import Baseline
from bot.rehearsal.scenarios import DEFAULT_SCENARIO, load_scenario

KEY = "AL-1000"
CENTRAL = ZoneInfo("America/Chicago")


@cache
def night() -> tuple[Snapshot, ...]:
    return tuple(load_scenario())


def race(index: int = -1) -> Race:
    return night()[index].races[KEY]


def history(upto: int | None = None) -> list[HistoryPoint]:
    points: list[HistoryPoint] = []
    for snapshot in night()[:upto]:
        point = point_of(snapshot.races[KEY], snapshot.generated_at)
        if point is not None and not point.same_count(points[-1] if points else None):
            points.append(point)
    return points


@cache
def rules() -> RuleSettings:
    return rule_settings(settings_from_dict({"feeds": [{"name": "al-2017", "kind": "json", "url": "http://x.invalid/"}]}))


@cache
def baseline() -> Baseline:
    found = scenario_baseline(DEFAULT_SCENARIO)
    assert found is not None
    return found


def local(moment) -> str:  # noqa: ANN001
    return moment.astimezone(CENTRAL).strftime("%H:%M")
