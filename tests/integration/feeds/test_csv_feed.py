"""OpenElections-style CSV → snapshot: races per office, counties summed from precincts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.codec.errors import FeedConfigError, FeedError
from bot.core.model import Level
from bot.feeds.csv_feed import CsvFeed, parse_csv
from bot.feeds.source import FeedSpec
from tests.fakes.feed_server import FeedServer, Reply

from .samples import CSV_FIXTURES, fast_http

AL_CSV = (CSV_FIXTURES / "20171212__al__special__general__precinct.csv").read_bytes()
SENATE = "AL-united-states-senator"
HEADER = b"county,precinct,office,district,party,candidate,votes\n"


def test_every_office_is_a_race_and_turnout_rows_are_not() -> None:
    snap = parse_csv(AL_CSV, "al-csv", "AL")
    assert list(snap.races) == [SENATE, "AL-4-mill-school-tax-district-no-1"]


def test_state_and_county_totals_are_summed_from_precincts() -> None:
    race = parse_csv(AL_CSV, "al-csv", "al").races[SENATE]
    assert [(c.id, c.name, c.party, c.pseudo) for c in race.candidates] == [
        ("doug-jones", "Doug Jones", "DEM", False),
        ("roy-s-moore", "Roy S. Moore", "REP", False),
        ("write-ins", "Write-ins", "NON", True),
    ]
    state = race.state_unit
    assert state is not None and state.name == "Alabama"
    assert dict(state.votes) == {
        "doug-jones": 815 + 400 + 91 + 5 + 300,
        "roy-s-moore": 950 + 600 + 70 + 9 + 700,
        "write-ins": 38 + 12 + 3 + 20,
    }
    autauga = race.unit("Autauga")
    assert autauga is not None and autauga.level is Level.COUNTY
    assert (autauga.precincts_reporting, autauga.precincts_total) == (3, 3)
    precinct = race.unit("Autauga/0040 E_MEMORIAL CHRISTIAN")
    assert precinct is not None and precinct.level is Level.PRECINCT and precinct.votes["doug-jones"] == 815
    assert race.unit("StClair") is not None  # the file's spelling is kept


def test_over_and_under_votes_are_not_candidates() -> None:
    race = parse_csv(AL_CSV, "al-csv", "AL").races[SENATE]
    assert {"Over Votes", "Under Votes"}.isdisjoint(c.name for c in race.candidates)


def test_a_blank_votes_cell_lists_the_precinct_without_reporting_it() -> None:
    race = parse_csv(AL_CSV, "al-csv", "AL").races["AL-4-mill-school-tax-district-no-1"]
    st_clair = race.unit("StClair")
    assert st_clair is not None and (st_clair.precincts_reporting, st_clair.precincts_total) == (1, 2)
    assert race.unit("StClair/PROVISONAL").votes == {}  # type: ignore[union-attr]


def test_offices_filter_and_custom_write_in_names() -> None:
    data = HEADER + b"A,1,Mayor,,,Ann,5\nA,1,Mayor,,,Scattered,2\nA,1,Sheriff,,,Bo,3\n"
    snap = parse_csv(data, "f", "AL", offices=["mayor"], write_in_names=["Scattered"])
    (race,) = snap.races.values()
    assert race.office == "Mayor" and race.candidates[1].pseudo and race.candidates[1].id == "write-ins"


def test_district_makes_separate_races_and_county_only_rows_work() -> None:
    data = b"county,office,district,candidate,votes\nA,State House,1,Ann,5\nA,State House,2,Bo,3\nB,State House,1,Ann,4\n"
    snap = parse_csv(data, "f", "AL", generated_at=datetime(2017, 12, 13, tzinfo=UTC), election_date=date(2017, 12, 12))
    assert list(snap.races) == ["AL-state-house-1", "AL-state-house-2"]
    one = snap.races["AL-state-house-1"]
    assert one.seat == "1" and one.state_unit.votes == {"ann": 9}  # type: ignore[union-attr]
    assert one.unit("A").precincts_total is None  # type: ignore[union-attr]
    assert snap.election_date == date(2017, 12, 12)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"county,precinct,office,candidate\nA,1,Mayor,Ann\n", "lacks votes"),
        (HEADER + b"A,1,Mayor,,,Ann,-3\n", "line 2.*whole number"),
        (HEADER + b"A,1,Mayor,,,Ann,10.5\n", "whole number"),
        (HEADER + b"A,1,Mayor,,,Ann,many\n", "not a number"),
        (HEADER + b"A,1,Mayor,,,Ann,nan\n", "whole number"),
        (HEADER + b"A,1,Mayor,,,Ann,inf\n", "whole number"),
        (HEADER + b"A,1,,,,Ann,3\n", "must not be empty"),
        (HEADER + b",1,Mayor,,,Ann,3\n", "county must not be empty"),
        (HEADER + b'A,1,"Mayor,,,Ann,3\n', "line"),
        (b"\xff\xfecounty", "not UTF-8"),
    ],
)
def test_malformed_csv_is_a_feed_error(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_csv(data, "f", "AL")


def test_an_unknown_state_is_a_config_error() -> None:
    with pytest.raises(FeedConfigError, match="not a US state"):
        parse_csv(AL_CSV, "f", "Atlantis")


def csv_feed(server: FeedServer, **options: object) -> CsvFeed:
    return CsvFeed(FeedSpec("al-csv", "csv", server.url("/al.csv"), 30, {"state": "AL", **options}), fast_http("al-csv"))


def test_polled_over_http_with_etag(server: FeedServer) -> None:
    server.route("/al.csv", Reply(200, AL_CSV, {"Content-Type": "text/csv"}, etag='"c1"'))
    feed = csv_feed(server, election_date="2017-12-12")
    snap = feed.poll(None)
    assert snap is not None and snap.election_date == date(2017, 12, 12)
    assert feed.poll(snap) is None
    assert server.requests_to("/al.csv")[-1].headers.get("if-none-match") == '"c1"'


def test_an_html_page_is_not_a_csv(server: FeedServer) -> None:
    server.route("/al.csv", Reply.text("<html>gone</html>", content_type="text/html"))
    with pytest.raises(FeedError, match="text/html") as caught:
        csv_feed(server).poll(None)
    assert caught.value.feed == "al-csv"


def test_a_csv_feed_needs_a_state(server: FeedServer) -> None:
    server.route("/al.csv", Reply(200, AL_CSV, {"Content-Type": "text/csv"}))
    with pytest.raises(FeedConfigError, match="options.state"):
        CsvFeed(FeedSpec("al-csv", "csv", server.url("/al.csv")), fast_http()).poll(None)
