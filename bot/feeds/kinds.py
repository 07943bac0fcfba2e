"""Every feed kind the bot can poll, by the name a config file gives it ("ap", "clarity", "csv", "json").

Importing an adapter module registers its kind (``bot.feeds.source.register``); this module is the
one place that imports them all, so ``source`` never imports an adapter (no registry cycle).
"""

from __future__ import annotations

import importlib

from bot.feeds import json_feed  # noqa: F401  (registers "json")
from bot.feeds.http import FeedHttp
from bot.feeds.source import REGISTRY, FeedSource, FeedSpec, Recorder

for _optional in ("bot.feeds.ap", "bot.feeds.clarity", "bot.feeds.csv_feed"):
    try:
        importlib.import_module(_optional)
    except ModuleNotFoundError as exc:  # an adapter whose own dependency is missing is left out, not fatal
        if exc.name != _optional:
            raise


def source_kinds() -> tuple[str, ...]:
    return tuple(sorted(REGISTRY))


def make_source(spec: FeedSpec, http: FeedHttp | None = None, recorder: Recorder | None = None) -> FeedSource:
    try:
        cls = REGISTRY[spec.kind]
    except KeyError:
        raise ValueError(f"unknown feed kind {spec.kind!r} (known: {', '.join(sorted(REGISTRY))})") from None
    return cls(spec, http or FeedHttp(spec.name), recorder)
