"""/results balance with AP's trendtable, end to end: an AP feed reads a results reply and its
trendtable report from disk, the poll's snapshot goes into a SQLite store, and the answer comes
back through Bolt's WSGI handler for a signed request exactly as Slack sends it."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app.poller import Poller
from bot.core.model import Snapshot
from bot.feeds.ap import ApFeed
from bot.feeds.source import FeedSpec
from tests.fakes.feed_server import FeedServer, Reply
from tests.integration.commands.conftest import RULES, texts
from tests.integration.feeds.samples import AP_FIXTURES, SHARED_SAMPLES, fast_http, needs_shared

SENATE_TRENDS = AP_FIXTURES / "20171213_senate_trends.json"
HOUSE_TRENDS = Path(__file__).resolve().parents[2] / "unit" / "context" / "trendtable_house.json"
SHARED_TRENDS = SHARED_SAMPLES / "ap" / "20160818_senate_trends.json"
BEFORE_CALL, AFTER_CALL, TEST_NIGHT = (
    "20171212_al_senate_full.json",
    "20171212_al_senate_delta2.json",
    "20171212_al_senate_test.json",
)


def ap_snapshot(reply: str, *reports: Path) -> Snapshot:
    """One poll of an AP feed reading a saved reply and its trendtable reports from disk."""
    spec = FeedSpec("ap-2017", "ap", str(AP_FIXTURES / reply), options={"trendtables": [str(r) for r in reports]})
    snap = ApFeed(spec, fast_http("ap-2017")).poll(None)
    assert snap is not None and len(snap.balance) == len(reports)
    return snap


def expected_parties(path: Path) -> dict[str, tuple[int, int, int, int, int]]:
    """(seats shown, won, leading, holdovers, net winners) per AP title, read here with json alone."""
    out = {}
    for party in json.loads(path.read_text(encoding="utf-8"))["trendtable"]["party"]:
        trend = {k: int(v) for pair in party["trend"] for k, v in pair.items()}
        net = {k: int(v) for pair in party["NetChange"]["trend"] for k, v in pair.items()}
        out[party["title"]] = (
            trend["Won"] + trend["Leading"] + trend["Holdovers"],
            trend["Won"],
            trend["Leading"],
            trend["Holdovers"],
            net["Winners"],
        )
    return out


def party_text(plural: str, figures: tuple[int, int, int, int, int]) -> str:
    seats, won, leading, holdovers, net = figures
    return f"{plural} {seats} ({won} won, {leading} leading, {holdovers} holdovers, net {net:+d})".replace("-", "−")


@needs_shared
def test_the_shared_senate_report_appears_next_to_the_computed_tally(context_bot):
    said = texts(context_bot(ap_snapshot(BEFORE_CALL, SHARED_TRENDS)).answer("balance senate"))
    figures = expected_parties(SHARED_TRENDS)
    assert figures["Dem"] == (53, 23, 0, 30, 2)  # 23 won + 30 holdovers
    assert "*Senate*: Republicans 51, Democrats 48, 1 undecided · majority 51" in said
    assert "• Alabama U.S. Senate (special): not called (held by the Republicans)" in said  # AP: raceType "Special General"
    line = next(line for line in said.splitlines() if line.startswith("*AP*"))
    assert line == (
        "*AP*: U.S. Senate: "
        + ", ".join(
            party_text(p, figures[t]) for p, t in (("Democrats", "Dem"), ("Republicans", "GOP"), ("Others", "Others"))
        )
        + " · AP's report of 10:59 a.m. EST on Thursday, November 29, 2012"
    )


def test_without_seats_configured_the_answer_is_ap_count_alone(make_bot):
    said = texts(make_bot(ap_snapshot(AFTER_CALL, SENATE_TRENDS)).answer("balance senate"))
    figures = expected_parties(SENATE_TRENDS)
    assert "Senate: balance of power" in said
    assert (
        f"*AP*: U.S. Senate: {party_text('Republicans', figures['GOP'])}, {party_text('Democrats', figures['Dem'])}" in said
    )
    assert "AP's report of 10:30 p.m. EST on Tuesday, December 12, 2017" in said
    assert "*Senate*:" not in said and "no seats are configured" not in said


def test_after_the_call_the_tally_and_ap_agree(context_bot):
    said = texts(context_bot(ap_snapshot(AFTER_CALL, SENATE_TRENDS)).answer("balance senate"))
    assert "*Senate*: Republicans 51, Democrats 49 (Jones gain) · majority 51" in said
    assert "• Alabama U.S. Senate (special): called for Jones (Dem); held by the Republicans" in said
    assert "*AP*: U.S. Senate: Republicans 51 (0 won, 0 leading, 51 holdovers, net −1), Democrats 47 (1 won" in said


def test_balance_without_a_chamber_lists_what_the_reports_cover(make_bot):
    bot = make_bot(ap_snapshot(AFTER_CALL, SENATE_TRENDS))
    said = texts(bot.answer("balance"))
    assert "Senate: balance of power" in said and "*AP*: U.S. Senate:" in said
    house = texts(bot.answer("balance house"))
    assert (
        "No House balance of power: no seats are configured and no feed carries AP's trendtable for it; AP trendtables: senate."
        in house
    )


def test_a_test_report_in_a_test_night_is_marked_and_sits_beside_the_configured_senate(context_bot):
    snap = ap_snapshot(TEST_NIGHT, HOUSE_TRENDS)
    assert snap.test
    said = texts(context_bot(snap).answer("balance"))
    assert "Balance of power" in said and "*Senate*: Republicans 51, Democrats 48, 1 undecided" in said
    assert "*AP* (TEST DATA): U.S. House: Democrats 219 (201 won, 18 leading, 0 holdovers, net +22)" in said
    assert "AP's report of 12:12 a.m. EST on Wednesday, November 7, 2018" in said


def test_a_configured_chamber_without_a_report_says_which_reports_there_are(context_bot):
    said = texts(context_bot(ap_snapshot(TEST_NIGHT, HOUSE_TRENDS)).answer("balance governor"))
    assert "No Governor seats are configured; configured: senate. AP trendtables: house." in said


def test_with_neither_seats_nor_a_report_the_answer_says_why(make_bot, night):
    said = texts(make_bot(night[-1]).answer("balance senate"))
    assert (
        "No balance of power: no seats are configured (config [context] seats) and no feed carries an AP trendtable report."
        in said
    )


def test_a_new_report_alone_is_polled_stored_and_answered(make_bot, tmp_path: Path):
    """The whole path with nothing but a report changing: the poller stores a new snapshot (the
    races as they were) and the next /results reads the new figures."""
    report = json.loads(SENATE_TRENDS.read_text(encoding="utf-8"))
    leading = json.loads(json.dumps(report))
    leading["trendtable"]["party"][0]["trend"][:2] = [{"Won": "0"}, {"Leading": "1"}]
    with FeedServer() as server:
        server.route("/v2/elections/2017-12-12", Reply.file(AP_FIXTURES / AFTER_CALL, "application/json"))
        nothing_new = AP_FIXTURES / "20171212_al_senate_delta3_empty.json"  # what AP's nextrequest answers from now on
        server.route(
            "/v2/elections/2017-12-12",
            Reply.file(nothing_new, "application/json"),
            query={"minDateTime": "2017-12-13T03:30:00.000Z"},
        )
        server.route("/v2/reports/senate", Reply.json(leading, etag='"r1"'))
        spec = FeedSpec(
            "ap-2017",
            "ap",
            server.url("/v2/elections/2017-12-12"),
            options={"trendtables": [server.url("/v2/reports/senate")]},
        )
        bot = make_bot()
        poller = Poller(source=ApFeed(spec, fast_http("ap-2017")), store=bot.store, rules=RULES, targets=list)
        assert poller.poll().status == "changed"
        assert "Democrats 47 (0 won, 1 leading, 46 holdovers" in texts(bot.answer("balance senate"))
        assert poller.poll().status == "unchanged"  # races: no news; report: 304
        server.route("/v2/reports/senate", Reply.json(report, etag='"r2"'))
        assert poller.poll().status == "changed"
        assert poller.poll().status == "unchanged"
    said = texts(bot.answer("balance senate"))
    assert "Democrats 47 (1 won, 0 leading, 46 holdovers" in said
    stored = bot.store.load("ap-2017")
    assert stored is not None and stored.snapshot.races["AL-1000"].winners == ("64985",)
