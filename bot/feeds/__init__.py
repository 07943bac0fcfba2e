"""Feed adapters (the input edge): bytes from AP, Clarity, CSV or our own JSON → ``Snapshot``."""

from bot.feeds.errors import FeedConfigError, FeedError
from bot.feeds.source import FeedSource, FeedSpec, make_source, source_kinds

__all__ = ["FeedConfigError", "FeedError", "FeedSource", "FeedSpec", "make_source", "source_kinds"]
