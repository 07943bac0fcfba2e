"""``[alerts]`` follow lists, key races, the digest threshold and the budget: check-config names
the key of a bad value; good values reach the follow book the poller and worker share."""

from __future__ import annotations

import pytest

from bot.app.settings import ConfigError, follow_book, settings_from_dict

FEED = {"name": "x", "kind": "json", "url": "http://127.0.0.1/"}


def _alerts(**alerts: object):
    return settings_from_dict({"feeds": [FEED], "alerts": alerts})


@pytest.mark.parametrize(
    ("alerts", "named", "said"),
    [
        ({"follow": {"states": ["GA", "Gorgia"]}}, "alerts.follow.states", "unknown state 'Gorgia'"),
        ({"follow": {"offices": ["senate", "dogcatcher"]}}, "alerts.follow.offices", "unknown office 'dogcatcher'"),
        ({"follow": {"races": ["GA1234"]}}, "alerts.follow.races", "'GA1234' is not a race key"),
        ({"follow": {"race": ["GA-1"]}}, "alerts.follow.race", "Extra inputs"),
        ({"channel_follow": {"C01": {"states": ["ZZ"]}}}, "alerts.channel_follow.C01.states", "unknown state 'ZZ'"),
        ({"key_races": ["AL-1000", "XX-1"]}, "alerts.key_races", "'XX-1' is not a race key"),
        ({"digest_after_races": -1}, "alerts.digest_after_races", "greater than or equal to 0"),
        ({"messages_per_minute": 601}, "alerts.messages_per_minute", "less than or equal to 600"),
        ({"unexpected_tries": 0}, "alerts.unexpected_tries", "greater than or equal to 1"),
    ],
)
def test_a_bad_follow_setting_names_its_key(alerts, named, said) -> None:
    with pytest.raises(ConfigError) as err:
        _alerts(**alerts)
    assert named in str(err.value) and said in str(err.value)


def test_defaults_keep_a_small_night_as_it_was() -> None:
    alerts = _alerts().alerts
    assert (alerts.digest_after_races, alerts.messages_per_minute, alerts.follow_all_up_to) == (5, 10, 20)
    book = follow_book(alerts)
    assert book.default.everything is None and not book.channels and not book.key_races


def test_follow_lists_are_normalised_for_the_follow_book() -> None:
    alerts = _alerts(
        key_races=["al-1000"],
        follow={"states": ["Georgia"], "offices": ["S", "governor"], "key_races": True},
        channel_follow={"C01": {"all": True}},
    ).alerts
    book = follow_book(alerts)
    assert book.key_races == frozenset({"AL-1000"})
    assert (
        book.default.states == frozenset({"GA"})
        and book.default.offices == frozenset({"senate", "governor"})
        and book.default.key_races
    )
    assert book.for_channel("C01").everything is True and book.for_channel("C02") is book.default


def test_configs_defaults_are_the_bots_constants() -> None:
    """config imports no bot module, so it writes these defaults itself; they must not drift."""
    from bot.core.digest import DIGEST_AFTER_RACES
    from bot.core.follow import SMALL_FEED
    from bot.delivery.budget import MESSAGES_PER_MINUTE
    from bot.delivery.worker import UNEXPECTED_TRIES
    from config import settings as config

    assert (config.DIGEST_AFTER_RACES, config.MESSAGES_PER_MINUTE, config.SMALL_FEED, config.UNEXPECTED_TRIES) == (
        DIGEST_AFTER_RACES,
        MESSAGES_PER_MINUTE,
        SMALL_FEED,
        UNEXPECTED_TRIES,
    )


def test_config_alone_refuses_to_validate_without_the_bots_vocabulary() -> None:
    """The checks need the feed kinds, states and offices; without them nothing is half-checked."""
    from pydantic import ValidationError

    from config import settings as config

    with pytest.raises(ValidationError, match="vocabulary"):
        config.Settings.model_validate({"feeds": [{"name": "a", "kind": "json", "url": "u"}]})
