"""electionbot: an election-night results bot for Slack (and Discord).

The core (model, margins, rules, diff, render) is pure; feeds, store, delivery and the
scheduler are the I/O edges around it.
"""

__version__ = "0.1.0"
