"""A channel's own message budget (``[alerts.channel_messages_per_minute]``): the count at which a
channel's next message becomes a rollup is its own, pinned at the boundary; the others keep the
default. The worker's side (real Slack sink, fake Slack) is tests/integration/delivery/test_channel_budget.py."""

from __future__ import annotations

import pytest

from bot.app.settings import ConfigError, settings_from_dict
from bot.delivery.budget import WINDOW, Budget

FEED = {"name": "x", "kind": "json", "url": "http://127.0.0.1/"}
DESK, STATE, QUIET, OTHER = ("slack", "#desk"), ("slack", "C0STATE"), ("slack", "C0QUIET"), ("slack", "C0OTHER")


def _spend(budget: Budget, key: tuple[str, str], n: int, at: float = 1000.0) -> list[int]:
    """What is left before each of ``n`` messages at ``at``, then after the last."""
    left = []
    for _ in range(n):
        left.append(budget.left(key, at))
        budget.spent(key, at)
    return [*left, budget.left(key, at)]


def test_a_channel_with_its_own_budget_runs_out_at_its_own_count_and_the_others_at_the_default() -> None:
    budget = Budget(10, {"C0STATE": 3, "#desk": 11})
    assert _spend(budget, STATE, 3) == [3, 2, 1, 0]
    assert _spend(budget, DESK, 11) == list(range(11, -1, -1))
    assert _spend(budget, OTHER, 10) == list(range(10, -1, -1))
    assert (budget.limit(STATE), budget.limit(DESK), budget.limit(OTHER)) == (3, 11, 10)


def test_the_same_channel_name_on_another_platform_has_its_own_window() -> None:
    budget = Budget(10, {"C0STATE": 2})
    _spend(budget, STATE, 2)
    assert budget.left(("discord", "C0STATE"), 1000.0) == 2


def test_zero_for_a_channel_means_no_budget_there_even_with_a_default() -> None:
    budget = Budget(10, {"C0QUIET": 0})
    assert _spend(budget, QUIET, 50)[-1] >= 1 << 20  # never runs out
    assert budget.left(OTHER, 1000.0) == 10 and budget.enabled


def test_a_channel_budget_works_without_a_default_one() -> None:
    budget = Budget(0, {"C0STATE": 2})
    assert budget.enabled
    assert _spend(budget, STATE, 2) == [2, 1, 0]
    assert budget.left(OTHER, 1000.0) >= 1 << 20
    assert not Budget(0, {"C0QUIET": 0}).enabled and not Budget(0).enabled


def test_a_channel_budget_is_a_minute_of_the_feeds_clock() -> None:
    budget = Budget(10, {"C0STATE": 2})
    _spend(budget, STATE, 2, at=1000.0)
    assert budget.left(STATE, 1000.0 + WINDOW - 0.001) == 0
    assert budget.left(STATE, 1000.0 + WINDOW) == 2  # a minute later, both have left the window


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_a_budget_that_is_not_a_count_is_refused_naming_the_channel(bad: object) -> None:
    with pytest.raises(ValueError, match="C0STATE"):
        Budget(10, {"C0STATE": bad})  # type: ignore[dict-item]  # what a caller bypassing config could pass


def test_config_reads_per_channel_budgets() -> None:
    alerts = settings_from_dict(
        {"feeds": [FEED], "alerts": {"channel_messages_per_minute": {"#desk": 60, "C0QUIET": 0}}}
    ).alerts
    assert alerts.channel_messages_per_minute == {"#desk": 60, "C0QUIET": 0}
    assert settings_from_dict({"feeds": [FEED]}).alerts.channel_messages_per_minute == {}


@pytest.mark.parametrize(
    ("value", "said"),
    [({"C01": 601}, "less than or equal to 600"), ({"C01": -1}, "greater than or equal to 0"), ({"": 5}, "at least 1")],
)
def test_a_bad_channel_budget_names_its_key(value: object, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_dict({"feeds": [FEED], "alerts": {"channel_messages_per_minute": value}})
    assert "alerts.channel_messages_per_minute" in str(err.value) and said in str(err.value)
