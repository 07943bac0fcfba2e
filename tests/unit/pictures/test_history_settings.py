"""``[store] history_days``: config's default is the store's, and a day is the least it keeps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.store.history import DEFAULT_HISTORY_DAYS
from config.settings import StoreSettings


def test_config_default_is_the_stores() -> None:
    assert StoreSettings().history_days == DEFAULT_HISTORY_DAYS == 14


def test_history_days_below_one_is_refused() -> None:
    assert StoreSettings(history_days=1).history_days == 1
    with pytest.raises(ValidationError):
        StoreSettings(history_days=0)
