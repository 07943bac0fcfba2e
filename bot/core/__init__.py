"""The pure core: the results model, margins, alert rules, swing, balance and the /results grammar.

Plain functions over immutable data; imports only the standard library, pure data libraries
and ``bot.core`` (checked by import-linter, see pyproject.toml). No files, network, clock or database.
"""
