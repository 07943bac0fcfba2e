"""``kind = "clarity"``: Clarity/Scytl Election Night Reporting sites → snapshots.

A Clarity site is a folder per upload: ``{base}/current_ver.txt`` names the newest version and
everything under ``{base}/{version}/`` is immutable (../shared/docs/feeds.md §2). So a poll reads the tiny
version file and fetches nothing else unless the number changed; then ``json/en/summary.json``
(totals per contest) and ``reports/detailxml.zip`` → ``detail.xml`` (per county on a state site,
per precinct on a county site, split by vote type, which we sum).

Clarity's quirks decide the rest: the party and the incumbency hide in the choice text
("Donald J. Trump (I) (Rep)") while the party field says "NP"; ``TP``/``PR`` in summary.json count
*counties* on a state site; ``Precinct@percentReporting`` is a status code (4 = complete), not a
percentage; and winner flags (``W``) are display hints set by some counties, never calls.

One module per job: the URL (``site``), the poll and ``current_ver.txt`` (``feed``: the only
I/O), the zip (``archive``), ``detail.xml`` under defusedxml (``detail``) and each of its
contests with their county or precinct rows (``detail_contest``), ``summary.json``
(``summary``), the two together (``totals``), the test-mode flag (``election_settings``),
choices (``choices``) and the small values (``values``). Pure functions for tests and
benchmarks: :func:`parse_summary`, :func:`read_detail_zip`, :func:`parse_detail_xml`,
:func:`combine`.
"""

from __future__ import annotations

from bot.feeds.clarity.archive import MAX_DETAIL_BYTES, read_detail_zip
from bot.feeds.clarity.choices import parse_choice
from bot.feeds.clarity.detail import ClarityDetail, parse_detail_xml
from bot.feeds.clarity.election_settings import SETTINGS_PATHS, parse_test_mode
from bot.feeds.clarity.feed import ClarityFeed
from bot.feeds.clarity.site import Site, county_of, site_of
from bot.feeds.clarity.summary import parse_summary
from bot.feeds.clarity.totals import combine

__all__ = [
    "MAX_DETAIL_BYTES",
    "SETTINGS_PATHS",
    "ClarityDetail",
    "ClarityFeed",
    "Site",
    "combine",
    "county_of",
    "parse_choice",
    "parse_detail_xml",
    "parse_summary",
    "parse_test_mode",
    "read_detail_zip",
    "site_of",
]
