"""What listeners may use: the store (read-only for answers) and the rule settings."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules import RuleSettings
from bot.store import Store


@dataclass(frozen=True)
class Services:
    store: Store
    rules: RuleSettings
