"""``kind = "ap"``: the AP Elections API (v2 JSON, with the v3 fields) → snapshots.

AP's reply is a tree (races → reportingUnits → candidates) whose quirks decide most of this
package (see ../shared/docs/feeds.md §1): race ids repeat across states, so a race is keyed by state postal
+ ``raceID``; the call is the ``winner`` flag on the *state* row (AP repeats it on county rows);
FIPS codes lose their leading zero; New England reports by town; initialization payloads carry
the roster on the race and no units; and after the first full request AP wants us to follow
``nextrequest``, whose replies hold only the races that changed.

One job a module: :mod:`.reply` (bytes → :class:`ApReply`, pure) reads each race with
:mod:`.races`, its rows with :mod:`.units`, its candidates and calls with :mod:`.candidates`,
its kind with :mod:`.flags` and every value with :mod:`.readers`; :mod:`.feed` (:class:`ApFeed`)
owns the request sequence, asking the URLs :mod:`.urls` builds, and reads the balance-of-power
reports :mod:`.trendtable` parses. Importing the package registers the ``ap`` kind.
"""

from __future__ import annotations

from bot.feeds.ap.feed import DEFAULT_KEY_ENV, DEFAULT_QUOTA_WAIT_SECONDS, MAX_TRUNCATED_FOLLOWS, ApFeed
from bot.feeds.ap.flags import GENERAL_RACE_TYPES, PRIMARY_RACE_TYPES
from bot.feeds.ap.reply import ApReply, parse_ap
from bot.feeds.ap.trendtable import carried_over, report_urls
from bot.feeds.ap.units import NEW_ENGLAND
from bot.feeds.ap.urls import is_mirror, with_json_format

__all__ = [
    "DEFAULT_KEY_ENV",
    "DEFAULT_QUOTA_WAIT_SECONDS",
    "GENERAL_RACE_TYPES",
    "MAX_TRUNCATED_FOLLOWS",
    "NEW_ENGLAND",
    "PRIMARY_RACE_TYPES",
    "ApFeed",
    "ApReply",
    "carried_over",
    "is_mirror",
    "parse_ap",
    "report_urls",
    "with_json_format",
]
