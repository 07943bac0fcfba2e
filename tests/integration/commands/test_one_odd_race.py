"""Issue 11, findings 1 and 2, on synthetic replies of the real shapes: one odd race costs that
race, never the night. Every reply is served by the loopback feed server, polled by the real
poller into the real store, and asked for with signed ``/results`` requests.

1. A primary-night AP test reply of 435 races, each ``"test": true``, plus one uncontested
   state-house race with ``"candidates": []`` and no ``test`` key: it was refused whole on every
   poll ("the reply mixes test and live races"). It is read: 436 races, all test data.
2. With the flag present, the race with no candidates was stored and then the store's own codec
   refused to read it back, so every ``/results`` failed and no alert was posted again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from bot.app.poller import Poller, with_targets
from bot.core.events import EventKind
from bot.core.targets import Target
from bot.feeds.ap import ApFeed
from bot.feeds.json_feed import JsonFeed
from bot.feeds.source import FeedSpec
from bot.store.database import SnapshotRow
from tests.fakes.feed_server import FeedServer, Reply
from tests.integration.feeds.samples import fast_http

from .conftest import RULES, Bot, texts

PATH = "/v2/elections/2018-06-26"
STATES = ["CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI"]


def ap_candidate(cid: str, first: str, last: str, votes: int, winner: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "first": first,
        "last": last,
        "party": "GOP",
        "candidateID": cid,
        "polID": f"9{cid}",
        "ballotOrder": 1,
        "voteCount": votes,
    }
    if winner:
        entry["winner"] = winner
    return entry


def ap_race(
    race_id: str,
    state: str,
    entries: list[dict[str, Any]],
    *,
    test: bool | None = True,
    office: str = "U.S. House",
    seat: str = "District 1",
) -> dict[str, Any]:
    """An AP v2 race as a primary-night reply has it: the state row carries the candidates."""
    race: dict[str, Any] = {
        "raceID": race_id,
        "raceType": "Primary",
        "raceTypeID": "R",
        "party": "GOP",
        "officeID": "H" if office == "U.S. House" else "Y",
        "officeName": office,
        "seatName": seat,
        "national": office == "U.S. House",
        "reportingUnits": [
            {
                "statePostal": state,
                "stateName": state,
                "level": "state",
                "lastUpdated": "2018-06-27T01:00:00Z",
                "precinctsReporting": 40,
                "precinctsTotal": 100,
                "candidates": entries,
            },
        ],
    }
    if test is not None:
        race["test"] = test
    return race


def primary_night(uncontested: dict[str, Any]) -> dict[str, Any]:
    """435 House races with test: true, then the state-house race under test."""
    races = [
        ap_race(
            str(1000 + i),
            STATES[i % len(STATES)],
            [ap_candidate("1", "Ann", f"Smith{i}", 100 + i), ap_candidate("2", "Bob", f"Jones{i}", 90)],
            seat=f"District {i}",
        )
        for i in range(435)
    ]
    return {"electionDate": "2018-06-26", "timestamp": "2018-06-27T01:00:00Z", "races": [*races, uncontested]}


def empty_state_house(*, test: bool | None) -> dict[str, Any]:
    race = ap_race("40064", "RI", [], test=test, office="State House", seat="District 64")
    race["candidates"] = []
    return race


def ap_poller(server: FeedServer, bot: Bot, targets: list[Target] | None = None) -> Poller:
    spec = FeedSpec("ap-primary", "ap", server.url(PATH), 5, {"quota_wait_seconds": 0.01})
    return Poller(
        source=ApFeed(spec, fast_http("ap-primary")), store=bot.store, rules=RULES, targets=with_targets(targets or [])
    )


def test_a_test_reply_with_an_unflagged_empty_race_is_read_whole_as_test_data(
    make_bot: Callable[..., Bot], caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    with FeedServer() as server, caplog.at_level(logging.WARNING):
        server.route(PATH, Reply.json(primary_night(empty_state_house(test=None))))
        poller = ap_poller(server, bot)
        assert poller.poll().status == "changed"
        assert poller.poll().status in ("changed", "unchanged")
    stored = bot.store.load("ap-primary")
    assert stored is not None
    snap = stored.snapshot
    assert len(snap.races) == 436 and snap.test and all(race.test for race in snap.races.values())
    race = snap.races["RI-40064"]
    assert race.candidates == () and race.uncontested
    assert caplog.records == []  # nothing refused, nothing left out
    said = texts(bot.answer("rhode island"))
    assert "Uncontested" in said and "leads by" not in said and "recount" not in said.lower()


def test_a_race_with_no_candidates_is_stored_read_back_and_the_night_goes_on(make_bot: Callable[..., Bot]) -> None:
    """Finding 2: with its flag present the empty race was stored and then poisoned the store."""
    bot = make_bot()
    target = Target("console", "#desk")
    night = primary_night(empty_state_house(test=True))
    with FeedServer() as server:
        server.route(PATH, Reply.json(night))
        poller = ap_poller(server, bot, [target])
        assert poller.poll().status == "changed"
        later = json.loads(json.dumps(night))
        later["timestamp"] = "2018-06-27T01:30:00Z"
        later["races"][0]["reportingUnits"][0]["candidates"][1]["voteCount"] = 5000  # a lead change in CA-1000
        server.route(PATH, Reply.json(later))
        result = poller.poll()
    assert result.status == "changed"
    stored = bot.store.load("ap-primary")
    assert stored is not None and len(stored.snapshot.races) == 436 and stored.snapshot.races["RI-40064"].candidates == ()
    kinds = [e.kind for a in result.alerts for e in a.events]
    assert EventKind.TAKES_LEAD in kinds or EventKind.LEAD_CHANGE in kinds  # alerts still flow
    said = texts(bot.answer("rhode island"))
    assert "Sorry" not in said and "Uncontested" in said


def test_an_uncontested_race_called_by_the_feed_says_so_without_margin_hurdle_or_recount(
    make_bot: Callable[..., Bot],
) -> None:
    """One candidate (and write-ins) in Alabama, whose recount law the bot knows: no lead, no
    recount line, no votes-left line; the winner when AP calls it; no lead or recount alert."""
    bot = make_bot()
    sole = ap_race(
        "3007",
        "AL",
        [ap_candidate("1", "Tom", "Whatley", 8000), ap_candidate("2", "", "Write-ins", 30)],
        test=False,
        office="State House",
        seat="District 7",
    )
    sole["raceType"], sole["raceTypeID"] = "General", "G"
    del sole["party"]
    doc = {"electionDate": "2018-11-06", "timestamp": "2018-11-07T03:00:00Z", "races": [sole]}
    with FeedServer() as server:
        server.route(PATH, Reply.json(doc))
        poller = ap_poller(server, bot, [Target("console", "#desk")])
        first = poller.poll()
        said = texts(bot.answer("alabama"))
        assert "Uncontested" in said
        for never in ("leads by", "recount", "votes left", "catch up", "Tied"):
            assert never not in said, never
        called = json.loads(json.dumps(doc))
        called["timestamp"] = "2018-11-07T03:30:00Z"
        state_row = called["races"][0]["reportingUnits"][0]
        state_row["precinctsReporting"] = 100
        state_row["candidates"][0].update(voteCount=9000, winner="X")
        server.route(PATH, Reply.json(called))
        second = poller.poll()
    kinds = {e.kind for result in (first, second) for a in result.alerts for e in a.events}
    assert EventKind.RACE_CALLED in kinds
    assert not kinds & {
        EventKind.TAKES_LEAD,
        EventKind.LEAD_CHANGE,
        EventKind.RECOUNT_ENTERED,
        EventKind.OUT_OF_REACH,
        EventKind.WRITE_INS_EXCEED_MARGIN,
    }
    said = texts(bot.answer("alabama"))
    assert "Uncontested: Whatley wins (call from the feed)" in said and "recount" not in said.lower()


def test_a_bad_race_is_logged_once_per_reply_version_and_the_rest_is_used(
    make_bot: Callable[..., Bot], caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    night = primary_night(empty_state_house(test=True))
    night["races"][5]["reportingUnits"][0]["candidates"][0]["voteCount"] = "12"  # the state row of TX-1005
    with FeedServer() as server, caplog.at_level(logging.WARNING):
        server.route(PATH, Reply.json(night))  # no ETag: the same reply is read again each poll
        poller = ap_poller(server, bot)
        poller.poll()
        poller.poll()
        poller.poll()
        lines = [r.getMessage() for r in caplog.records]
        assert lines == [
            "feed 'ap-primary': race IL-1005 left out: unit IL: voteCount '12' of candidate 91 is not a whole number ≥ 0"
        ]
        night["timestamp"] = "2018-06-27T01:10:00Z"  # a new version of the reply, the race still bad
        server.route(PATH, Reply.json(night))
        poller.poll()
    assert len(caplog.records) == 2 and caplog.records[1].getMessage() == lines[0]
    stored = bot.store.load("ap-primary")
    assert stored is not None and len(stored.snapshot.races) == 435 and "IL-1005" not in stored.snapshot.races


def test_a_race_garbled_after_a_good_poll_keeps_its_last_good_version(make_bot: Callable[..., Bot]) -> None:
    bot = make_bot()
    night = primary_night(empty_state_house(test=True))
    with FeedServer() as server:
        server.route(PATH, Reply.json(night))
        poller = ap_poller(server, bot)
        poller.poll()
        garbled = json.loads(json.dumps(night))
        garbled["timestamp"] = "2018-06-27T01:20:00Z"
        garbled["races"][5]["reportingUnits"][0]["candidates"][0]["voteCount"] = -1
        garbled["races"][6]["reportingUnits"][0]["candidates"][0]["voteCount"] = 999
        server.route(PATH, Reply.json(garbled))
        poller.poll()
    stored = bot.store.load("ap-primary")
    assert stored is not None
    races = stored.snapshot.races
    assert races["IL-1005"].state_unit.votes["91"] == 105  # type: ignore[union-attr]  # as last read
    assert races["OH-1006"].state_unit.votes["91"] == 999  # type: ignore[union-attr]  # the good news is used


# -- a stored snapshot that cannot be read ---------------------------------------------------------


def corrupt(bot: Bot, feed: str, document: str) -> None:
    with bot.store.session() as s, s.begin():
        s.execute(update(SnapshotRow).where(SnapshotRow.feed == feed).values(document=document, polls=SnapshotRow.polls + 1))


def test_results_answer_from_the_other_feeds_when_one_stored_snapshot_cannot_be_read(
    make_bot: Callable[..., Bot], night: list, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(night[-1])  # Alabama, feed al-2017
    with FeedServer() as server:
        server.route(PATH, Reply.json(primary_night(empty_state_house(test=True))))
        ap_poller(server, bot).poll()
    assert "Uncontested" in texts(bot.answer("rhode island"))
    corrupt(bot, "ap-primary", '{"format": "electionbot/1", "generated_at": "2018-06-27T01:00:00Z", "races": {')
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            said = texts(bot.answer("alabama"))
            assert "Sorry" not in said and "Jones" in said
        assert "No results for Rhode Island" in texts(bot.answer("rhode island"))
    problems = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(problems) == 1 and problems[0].startswith(
        "feed 'ap-primary': the stored snapshot cannot be read (not valid JSON"
    )


def test_the_poller_carries_on_from_an_unreadable_stored_snapshot_without_announcing_twice(
    make_bot: Callable[..., Bot], caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    target = Target("console", "#desk")
    night = primary_night(empty_state_house(test=True))
    with FeedServer() as server:
        server.route(PATH, Reply.json(night))
        poller = ap_poller(server, bot, [target])
        first = poller.poll()
        assert first.status == "changed" and first.alerts  # first votes, leads…
        corrupt(bot, "ap-primary", "this is not a document")
        with caplog.at_level(logging.WARNING):
            again = poller.poll()  # the same reply: read as if nothing were stored
            once_more = poller.poll()
    assert again.status == "changed" and again.alerts == ()  # the memory says it was all said
    assert once_more.status in ("changed", "unchanged") and once_more.alerts == ()
    assert [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()] == [
        "feed 'ap-primary': the stored snapshot cannot be read (not valid JSON (Expecting value: line 1 column 1 (char 0))); carrying on without it"
    ]
    stored = bot.store.load("ap-primary")
    assert stored is not None and len(stored.snapshot.races) == 436  # the next poll wrote a good one


def test_one_unreadable_race_in_a_stored_snapshot_costs_that_race(
    make_bot: Callable[..., Bot], night: list, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(night[-1])
    with bot.store.session() as s:
        document = json.loads(s.get(SnapshotRow, "al-2017").document)
    broken = json.loads(json.dumps(document["races"][0]))
    broken["id"], broken["candidates"] = "9999", "not a list"
    document["races"].append(broken)
    corrupt(bot, "al-2017", json.dumps(document))
    with caplog.at_level(logging.WARNING):
        said = texts(bot.answer("alabama"))
        texts(bot.answer("alabama"))
    assert "Jones" in said and "Sorry" not in said
    assert [r.getMessage() for r in caplog.records] == [
        "feed 'al-2017': stored snapshot: race AL-9999 left out: candidates: Input should be a valid list"
    ]


def test_our_json_feed_leaves_out_one_bad_race_and_keeps_the_rest(
    night: list, make_bot: Callable[..., Bot], caplog: pytest.LogCaptureFixture
) -> None:
    from bot.codec import native

    document = native.to_document(night[-1])
    extra = json.loads(json.dumps(document["races"][0]))
    extra["id"] = "2000"
    extra["units"][1]["votes"]["jones"] = -3
    document["races"].append(extra)
    bot = make_bot()
    with FeedServer() as server, caplog.at_level(logging.WARNING):
        server.route("/feed.json", Reply.json(document))
        spec = FeedSpec("al-json", "json", server.url("/feed.json"), 5)
        poller = Poller(source=JsonFeed(spec, fast_http("al-json")), store=bot.store, rules=RULES, targets=with_targets([]))
        assert poller.poll().status == "changed"
    assert [r.getMessage() for r in caplog.records] == [
        "feed 'al-json': race AL-2000 left out: unit '01001': votes -3 of candidate 'jones' are not a whole number ≥ 0"
    ]
    stored = bot.store.load("al-json")
    assert stored is not None and list(stored.snapshot.races) == ["AL-1000"]


def test_a_snapshot_the_store_cannot_write_fails_the_poll_not_the_bot(
    make_bot: Callable[..., Bot], caplog: pytest.LogCaptureFixture
) -> None:
    """A cursor with a lone surrogate (a JSON "\\ud800" escape) cannot be written as UTF-8: the
    poll fails with one line, the last good snapshot stays, and the next good reply is stored."""
    bot = make_bot()
    night = primary_night(empty_state_house(test=True))
    with FeedServer() as server:
        server.route(PATH, Reply.json(night))
        poller = ap_poller(server, bot)
        assert poller.poll().status == "changed"
        odd = json.loads(json.dumps(night))
        odd["timestamp"] = "2018-06-27T01:40:00Z"
        odd["nextrequest"] = PATH + "?minDateTime=\ud800"
        odd["races"][0]["reportingUnits"][0]["candidates"][0]["voteCount"] = 7777
        server.route(PATH, Reply(200, json.dumps(odd).encode("ascii"), {"Content-Type": "application/json"}))
        with caplog.at_level(logging.ERROR):
            result = poller.poll()
        assert result.status == "failed" and "could not be stored" in (result.error or "")
        assert [r.getMessage() for r in caplog.records] == [
            "feed 'ap-primary': snapshot of 2018-06-27T01:40:00+00:00 could not be stored"
        ]
        stored = bot.store.load("ap-primary")
        assert stored is not None and stored.snapshot.races["CA-1000"].state_unit.votes["91"] == 100  # type: ignore[union-attr]
        odd["nextrequest"] = None
        server.route(PATH, Reply.json(odd))
        assert poller.poll().status == "changed"
    stored = bot.store.load("ap-primary")
    assert stored is not None and stored.snapshot.races["CA-1000"].state_unit.votes["91"] == 7777  # type: ignore[union-attr]
