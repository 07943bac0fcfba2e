"""Feed adapters (the input edge): bytes from AP, Clarity, CSV or our own JSON → ``Snapshot``.

The kinds a config may name and ``make_source``: ``bot.feeds.kinds``.
"""
