"""What listeners may use: the store (read-only for answers, plus channel subscriptions), the
rule settings, and a clock (for "2 min ago" in ``/results status``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from bot.rules import RuleSettings
from bot.store import Store, utcnow


@dataclass(frozen=True)
class Services:
    store: Store
    rules: RuleSettings
    clock: Callable[[], datetime] = field(default=utcnow)
