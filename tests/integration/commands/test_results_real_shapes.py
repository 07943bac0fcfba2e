"""Issue 11, findings 3-5, through the real adapters and signed ``/results`` requests.

The feeds are synthetic but shaped like the real ones: a Clarity *state* site writing in capitals
(West Virginia: "U.S. SENATOR", "PRESIDENT", "SHELLEY MOORE CAPITO (I) (REP)"), a Clarity *county*
site with bilingual contest names and party/incumbency markers inside the names (Gwinnett County,
Georgia), and an AP reply of a primary night with one presidential primary per party (Rhode
Island). Each is served over loopback HTTP, read by its adapter, stored, and asked for as a desk
would. Expected figures are worked out by hand from the vote counts (two decimals, half up).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app.demo import DEMO_CONTEXT
from bot.app.settings import rule_settings, settings_from_dict
from bot.core.context import ContextSettings
from bot.core.events import Alert, Event, EventKind
from bot.core.model import Candidate, Level, Race, ReportingUnit, Snapshot
from bot.core.parties import normalize_party
from bot.core.rules import race_facts
from bot.core.swing import parse_baseline_csv, party_candidates
from bot.feeds.ap import ApFeed
from bot.feeds.clarity import ClarityFeed, parse_detail_xml
from bot.feeds.source import FeedSpec
from bot.render.answers import answer, swing_lines
from bot.render.slack import alert_message, live_card
from bot.render.text import alert_text, gain_line
from bot.render.text_answers import answer_text
from tests.fakes.feed_server import FeedServer, Reply
from tests.integration.feeds.samples import fast_http

from .conftest import RULES, Bot, texts

# -- the feeds ----------------------------------------------------------------------------------------


def contest(
    key: str,
    title: str,
    choices: list[str],
    votes: list[int],
    parties: list[str] | None = None,
    areas: tuple[int, int] = (55, 55),
) -> dict[str, Any]:
    """One summary.json contest as Clarity writes it (the fields the bot reads, and a few it skips)."""
    return {
        "CATKEY": "C_0",
        "CAT": "Results",
        "C": title,
        "K": key,
        "VF": 1,
        "TP": areas[0],
        "PR": areas[1],
        "CH": choices,
        "P": parties or ["NP"] * len(choices),
        "V": votes,
        "W": [0] * len(choices),
        "IsContestNoChoice": 0,
    }


WV_SUMMARY = [
    contest("100", "PRESIDENT", ["DONALD J. TRUMP", "JOSEPH R. BIDEN"], [545_382, 235_984], ["REP", "DEM"]),
    contest("200", "U.S. SENATOR", ["SHELLEY MOORE CAPITO (I) (REP)", "PAULA JEAN SWEARENGIN (DEM)"], [547_454, 210_309]),
    contest("300", "U.S. REPRESENTATIVE DISTRICT 2", ["ALEX X. MOONEY (I) (REP)", "CATHY KUNKEL (DEM)"], [172_195, 88_011]),
    contest("400", "STRAIGHT PARTY", ["REPUBLICAN", "DEMOCRATIC"], [90_000, 60_000]),
]

GWINNETT_SUMMARY = [
    contest(
        "5000",
        "President of the United States/Presidentede los Estados Unidos",
        ["Donald J. Trump (I) (Rep)", "Joseph R. Biden (Dem)", "Jo Jorgensen (Lib)"],
        [166_413, 241_827, 5_655],
        areas=(156, 156),
    ),
    contest(
        "10000",
        "US Senate (Perdue)/Senado de los EE.UU. (Perdue)",
        ["David A. Perdue (I) (Rep)", "Jon Ossoff (Dem)", "Shane Hazel (Lib)"],
        [172_357, 233_012, 9_033],
        areas=(156, 156),
    ),
    contest(
        "15000",
        "US Senate (Loeffler) - Special/Senado de los EE.UU. (Loeffler) - Especial",
        ["Doug Collins (Rep)", "Kelly Loeffler (I) (Rep)", "Raphael Warnock (Dem)"],
        [71_133, 77_989, 143_296],
        areas=(156, 156),
    ),
]

RI_PRIMARY = {
    "electionDate": "2020-06-02",
    "timestamp": "2020-06-03T04:00:00Z",
    "races": [
        {
            "raceID": "41393",
            "raceType": "Primary",
            "raceTypeID": "D",
            "party": "Dem",
            "officeID": "P",
            "officeName": "President",
            "reportingUnits": [
                {
                    "level": "state",
                    "statePostal": "RI",
                    "stateName": "Rhode Island",
                    "precinctsReporting": 400,
                    "precinctsTotal": 419,
                    "candidates": [
                        {
                            "first": "Joe",
                            "last": "Biden",
                            "party": "Dem",
                            "candidateID": "1",
                            "polID": "1036",
                            "voteCount": 79_728,
                        },
                        {
                            "first": "Bernie",
                            "last": "Sanders",
                            "party": "Dem",
                            "candidateID": "2",
                            "polID": "1445",
                            "voteCount": 15_525,
                        },
                    ],
                }
            ],
        },
        {
            "raceID": "41394",
            "raceType": "Primary",
            "raceTypeID": "R",
            "party": "GOP",
            "officeID": "P",
            "officeName": "President",
            "reportingUnits": [
                {
                    "level": "state",
                    "statePostal": "RI",
                    "stateName": "Rhode Island",
                    "precinctsReporting": 400,
                    "precinctsTotal": 419,
                    "candidates": [
                        {
                            "first": "Donald",
                            "last": "Trump",
                            "party": "GOP",
                            "candidateID": "3",
                            "polID": "8639",
                            "voteCount": 11_450,
                        },
                        {
                            "first": "Rocky",
                            "last": "De La Fuente",
                            "party": "GOP",
                            "candidateID": "4",
                            "polID": "59542",
                            "voteCount": 2_038,
                        },
                    ],
                }
            ],
        },
    ],
}


def clarity_site(server: FeedServer, base: str, summary: list[dict[str, Any]], version: str = "271066") -> str:
    """A Clarity site on loopback: the version file and that version's summary (no detail, no
    settings: a 404 there means a live site)."""
    server.route(f"{base}/current_ver.txt", Reply.text(version))
    server.route(
        f"{base}/{version}/json/en/summary.json",
        Reply(200, json.dumps(summary).encode(), {"Content-Type": "application/json"}),
    )
    return server.url(base + "/")


def read_clarity(url: str, name: str, **spec: Any) -> Snapshot:
    snap = ClarityFeed(FeedSpec(name, "clarity", url, 30, {"detail": False}, **spec), fast_http(name)).poll(None)
    assert snap is not None
    return snap


@pytest.fixture
def west_virginia() -> Snapshot:
    with FeedServer() as server:
        return read_clarity(clarity_site(server, "/WV/106000", WV_SUMMARY), "wv")


@pytest.fixture
def gwinnett() -> Snapshot:
    with FeedServer() as server:
        return read_clarity(clarity_site(server, "/GA/Gwinnett/105430", GWINNETT_SUMMARY), "gwinnett")


@pytest.fixture
def rhode_island() -> Snapshot:
    with FeedServer() as server:
        server.route("/v2/elections/2020-06-02", Reply.json(RI_PRIMARY))
        feed = ApFeed(FeedSpec("ri", "ap", server.url("/v2/elections/2020-06-02?statePostal=RI")), fast_http("ri"))
        snap = feed.poll(None)
    assert snap is not None
    return snap


# -- finding 3: Clarity offices and names ---------------------------------------------------------------


def test_a_clarity_state_site_in_capitals_answers_west_virginia_senate(
    make_bot: Callable[..., Bot], west_virginia: Snapshot
) -> None:
    bot = make_bot(west_virginia)
    said = texts(bot.answer("west virginia senate"))
    assert "West Virginia U.S. Senate" in said
    assert "Capito 547,454 (72.25 %) · Swearengin 210,309 (27.75 %)" in said
    assert "Capito leads by 337,145 votes" in said
    assert "SENATOR" not in said and "CAPITO" not in said
    card = texts(bot.answer("west virginia president"))
    assert "West Virginia President" in card and "Trump 545,382" in card and "PRESIDENT" not in card
    house = texts(bot.answer("west virginia house"))
    assert "West Virginia U.S. House, District 2" in house and "Mooney 172,195" in house


def test_the_state_site_names_candidates_in_display_case_with_their_parties(west_virginia: Snapshot) -> None:
    senate = west_virginia.races["WV-200"]
    assert [(c.name, c.party, c.incumbent) for c in senate.candidates] == [
        ("Shelley Moore Capito", "REP", True),
        ("Paula Jean Swearengin", "DEM", False),
    ]
    assert west_virginia.races["WV-400"].office == "Straight Party"


def test_a_feed_set_to_as_is_keeps_the_capitals() -> None:
    with FeedServer() as server:
        snap = read_clarity(clarity_site(server, "/WV/106000", WV_SUMMARY), "wv", names="as-is")
    senate = snap.races["WV-200"]
    assert senate.office == "U.S. Senate"  # the vocabulary names the office either way
    assert [c.name for c in senate.candidates] == ["SHELLEY MOORE CAPITO", "PAULA JEAN SWEARENGIN"]


def test_a_county_site_with_bilingual_names_and_markers(gwinnett: Snapshot) -> None:
    races = gwinnett.races
    assert [(r.office, r.county) for r in races.values()] == [
        ("President", "Gwinnett"),
        ("U.S. Senate", "Gwinnett"),
        ("U.S. Senate (special)", "Gwinnett"),
    ]
    president = races["GA-5000"]
    assert [(c.name, c.party, c.incumbent) for c in president.candidates] == [
        ("Donald J. Trump", "Rep", True),
        ("Joseph R. Biden", "Dem", False),
        ("Jo Jorgensen", "Lib", False),
    ]
    # the party-based lines (swing, gains, colours) know who is who on such a feed
    pair = party_candidates(president)
    assert pair is not None and [c.name for c in pair] == ["Joseph R. Biden", "Donald J. Trump"]
    assert [normalize_party(c.party) for c in pair] == ["Dem", "GOP"]
    state_row = president.state_unit
    assert (
        state_row is not None
        and state_row.name == "Gwinnett"
        and (state_row.precincts_reporting, state_row.precincts_total) == (156, 156)
    )


#: A state site's detail.xml by county, with the party only in the choice text (party="NP").
GA_STATE_DETAIL = b"""<?xml version="1.0" encoding="utf-8"?>
<ElectionResult><Timestamp>11/20/2020 3:37:06 PM EST</Timestamp><ElectionName>November 3, 2020 General Election</ElectionName>
<ElectionDate>11/3/2020</ElectionDate><Region>GA</Region>
<ElectionVoterTurnout totalVoters="0" ballotsCast="0" voterTurnout="0"><Counties>
<County name="Appling" precinctsParticipating="9" precinctsReported="9"/><County name="Gwinnett" precinctsParticipating="156" precinctsReported="156"/>
</Counties></ElectionVoterTurnout>
<Contest key="5000" text="President of the United States" voteFor="1" isQuestion="false" precinctsParticipating="165" precinctsReported="165">
<Choice key="1" text="Donald J. Trump (I) (Rep)" party="NP" totalVotes="172913"><VoteType name="Election Day Votes" votes="172913"><County name="Appling" votes="6500"/><County name="Gwinnett" votes="166413"/></VoteType></Choice>
<Choice key="2" text="Joseph R. Biden (Dem)" party="NP" totalVotes="243627"><VoteType name="Election Day Votes" votes="243627"><County name="Appling" votes="1800"/><County name="Gwinnett" votes="241827"/></VoteType></Choice>
<Choice key="3" text="Jo Jorgensen (Lib)" party="NP" totalVotes="5655"><VoteType name="Election Day Votes" votes="5655"><County name="Appling" votes="0"/><County name="Gwinnett" votes="5655"/></VoteType></Choice>
</Contest></ElectionResult>"""
#: Georgia 2016 by county (made-up Appling figures; Gwinnett's rounded): margins D−R over the total.
GA_2016_BASELINE = (
    "fips,county,dem_votes,gop_votes,total_votes\n13001,Appling,1000,5000,6200\n13135,Gwinnett,166153,146989,325000\n"
)


def test_party_markers_make_the_swing_work_on_a_clarity_state_site() -> None:
    snap = Snapshot.of("ga", datetime(2020, 11, 20, tzinfo=UTC), parse_detail_xml(GA_STATE_DETAIL, "ga").races)
    rules = replace(RULES, context=ContextSettings(baselines={"GA": parse_baseline_csv(GA_2016_BASELINE, label="2016")}))
    said = answer_text(answer("georgia swing", [snap], rules))
    # Gwinnett: 19,164 / 325,000 = D+5.90 in 2016; 75,414 / 413,895 = D+18.22 now: 12.3 points towards the Democrats.
    # Appling: −4,000 / 6,200 = R+64.52; −4,700 / 8,300 = R+56.63: 7.9 points. Both: 15,164 / 331,200 = D+4.58 → 70,714 / 422,195 = D+16.75.
    assert "• Gwinnett 12.3 D (D+5.9 → D+18.2)" in said and "• Appling 7.9 D (R+64.5 → R+56.6)" in said
    assert "D+4.6 then, D+16.7 now, a swing of 12.2 points towards the Democrats" in said


# -- finding 4: a county is not its state ---------------------------------------------------------------


def test_a_county_site_is_answered_as_the_county(make_bot: Callable[..., Bot], gwinnett: Snapshot) -> None:
    bot = make_bot(gwinnett)
    card = texts(bot.answer("georgia president"))
    assert "Gwinnett County, Ga.: President" in card
    assert "Biden 241,827 (58.43 %)" in card and "156 of 156 precincts (100.00 %)" in card
    assert "Georgia President" not in card
    listing = texts(bot.answer("georgia"))
    assert "Gwinnett County, Ga.: U.S. Senate (special)" in listing and "Georgia President" not in listing


def test_results_gwinnett_finds_the_county_without_its_state(make_bot: Callable[..., Bot], gwinnett: Snapshot) -> None:
    said = texts(bot_answer := make_bot(gwinnett).answer("gwinnett"))
    assert "Gwinnett County, Georgia: 3 races" in said
    assert "Gwinnett County, Ga.: President" in said and "Biden 58.43 %" in said
    assert "Statewide" not in said and "Georgia President" not in said
    assert any(b.get("type") == "header" for b in bot_answer["blocks"])


def test_results_warnock_finds_the_candidate_by_surname_or_full_name(
    make_bot: Callable[..., Bot], gwinnett: Snapshot
) -> None:
    bot = make_bot(gwinnett)
    for query in ("warnock", "Raphael Warnock", "WARNOCK"):
        said = texts(bot.answer(query))
        assert "Gwinnett County, Ga.: U.S. Senate (special)" in said, query
        assert "Warnock 143,296" in said, query
    assert "I don't know" in texts(bot.answer("ossof"))  # a typo is not a name


def statewide_georgia() -> Snapshot:
    """A statewide Georgia feed (AP-like): the special Senate race with county rows."""
    cands = (
        Candidate("w", "Raphael Warnock", "Dem"),
        Candidate("l", "Kelly Loeffler", "GOP", incumbent=True),
        Candidate("j", "Jason Johnson", "Lib"),
    )
    race = Race(
        state="GA",
        race_id="11788",
        office="U.S. Senate (special)",
        office_id="S",
        candidates=cands,
        units=(
            ReportingUnit(
                "GA",
                Level.STATE,
                "Georgia",
                {"w": 1_617_035, "l": 1_273_214, "j": 1_000},
                precincts_reporting=2_600,
                precincts_total=2_655,
            ),
            ReportingUnit(
                "13135",
                Level.COUNTY,
                "Gwinnett",
                {"w": 143_296, "l": 77_989, "j": 10},
                precincts_reporting=156,
                precincts_total=156,
            ),
            ReportingUnit(
                "13163",
                Level.COUNTY,
                "Jefferson",
                {"w": 4_000, "l": 3_000, "j": 10},
                precincts_reporting=14,
                precincts_total=14,
            ),
        ),
    )
    return Snapshot.of("ga-state", datetime(2020, 11, 4, 6, tzinfo=UTC), [race])


def test_the_same_candidate_in_two_feeds_lists_both_races(make_bot: Callable[..., Bot], gwinnett: Snapshot) -> None:
    said = texts(make_bot(gwinnett, statewide_georgia()).answer("warnock"))
    assert "Raphael Warnock: 2 races" in said
    assert "Georgia U.S. Senate (special)" in said and "Gwinnett County, Ga.: U.S. Senate (special)" in said


def test_a_county_with_its_state_feed_shows_statewide_only_from_the_state_feed(
    make_bot: Callable[..., Bot], gwinnett: Snapshot
) -> None:
    bot = make_bot(statewide_georgia())
    said = texts(bot.answer("gwinnett"))  # the statewide feed's Gwinnett row: one race, its statewide line
    assert "Statewide: Warnock leads" in said
    both = texts(make_bot(gwinnett, statewide_georgia()).answer("georgia senate gwinnett"))
    assert "Gwinnett County, Georgia: 3 races" in both
    assert "*Gwinnett County, Ga.: U.S. Senate*" in both and "*U.S. Senate (special)*" in both


def test_ambiguous_names_get_a_did_you_mean_list(
    make_bot: Callable[..., Bot], night: list[Snapshot], gwinnett: Snapshot
) -> None:
    bot = make_bot(night[-1], statewide_georgia(), gwinnett)  # Jefferson County in Alabama and in Georgia
    said = texts(bot.answer("jefferson"))
    assert "Did you mean" in said
    assert "Jefferson County, Ala." in said and "Jefferson County, Ga." in said
    assert "/results alabama jefferson" in said and "/results georgia jefferson" in said
    # two different people named Johnson would be the same; one Loeffler is one person
    assert "Did you mean" not in texts(bot.answer("loeffler"))


def test_a_county_race_has_no_recount_line_of_the_state(gwinnett: Snapshot) -> None:
    facts = race_facts(replace(gwinnett.races["GA-5000"], units=(gwinnett.races["GA-5000"].units[0],)), RULES)
    assert facts.county == "Gwinnett" and facts.recount_threshold is None


# -- finding 5: primaries say whose primary -------------------------------------------------------------


def test_a_two_party_primary_night_says_whose_primary(make_bot: Callable[..., Bot], rhode_island: Snapshot) -> None:
    races = rhode_island.races
    assert {r.key: (r.office, r.party, r.general) for r in races.values()} == {
        "RI-41393": ("President", "Dem", False),
        "RI-41394": ("President", "GOP", False),
    }
    bot = make_bot(rhode_island)
    listing = texts(bot.answer("rhode island"))
    assert "Rhode Island: 2 races" in listing
    assert "*Democratic primary for President*: Biden 83.70 %" in listing
    assert "*Republican primary for President*: Trump 84.89 % over De La Fuente 15.11 %" in listing


@pytest.mark.parametrize(
    ("query", "title", "leader"),
    [
        ("rhode island gop", "Rhode Island Republican primary for President", "Trump 11,450"),
        ("rhode island republican", "Rhode Island Republican primary for President", "Trump 11,450"),
        ("ri dem", "Rhode Island Democratic primary for President", "Biden 79,728 (83.70 %)"),
        ("rhode island democratic president", "Rhode Island Democratic primary for President", "Biden 79,728 (83.70 %)"),
    ],
)
def test_a_party_word_picks_one_primary(
    make_bot: Callable[..., Bot], rhode_island: Snapshot, query: str, title: str, leader: str
) -> None:
    message = make_bot(rhode_island).answer(query)
    said = texts(message)
    assert message["blocks"][0]["type"] == "header" and message["blocks"][0]["text"]["text"] == title
    assert leader in said


def test_no_primary_of_a_party_says_so(make_bot: Callable[..., Bot], west_virginia: Snapshot) -> None:
    said = texts(make_bot(west_virginia).answer("west virginia gop"))
    assert "No Republican primary for West Virginia" in said


# -- alerts and cards carry the same labels ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "key", "title"),
    [
        ("gwinnett", "GA-5000", "Gwinnett County, Ga.: President"),
        ("rhode_island", "RI-41394", "Rhode Island Republican primary for President"),
        ("west_virginia", "WV-200", "West Virginia U.S. Senate"),
    ],
)
def test_alerts_and_live_cards_carry_the_county_and_the_primary(
    request: pytest.FixtureRequest, fixture: str, key: str, title: str
) -> None:
    snap: Snapshot = request.getfixturevalue(fixture)
    race = snap.races[key]
    facts = race_facts(race, RULES, snap.generated_at)
    alert = Alert(
        snap.feed,
        race.key,
        snap.generated_at.isoformat(),
        False,
        (Event(EventKind.FIRST_VOTES, "k", snap.feed, race.key),),
        facts,
    )
    assert alert_text(alert).startswith(f"{title}: First votes are in")
    assert f"*{title}*" in alert_message(alert)["blocks"][0]["text"]["text"]
    assert title in texts(live_card(facts))
    # a stored alert (the outbox keeps facts as JSON) says the same after a restart
    assert alert_text(Alert.from_dict(json.loads(json.dumps(alert.to_dict())))).startswith(title)


def jefferson_feed(night_last: Snapshot) -> Snapshot:
    """Jefferson County's own feed of the Alabama night: the county's figures as its total."""
    state_race = night_last.races["AL-1000"]
    county_row = next(u for u in state_race.subunits if u.name == "Jefferson")
    total = ReportingUnit(
        "AL",
        Level.STATE,
        "Jefferson",
        dict(county_row.votes),
        None,
        county_row.precincts_reporting,
        county_row.precincts_total,
    )
    race = replace(
        state_race,
        race_id="J-1000",
        units=(total,),
        county="Jefferson",
        winners=(),
        call_status=state_race.call_status.NONE,
        race_call_status=None,
    )
    return Snapshot.of("jefferson", night_last.generated_at, [race])


def test_a_county_feed_takes_no_state_baseline_or_seat(context_bot: Callable[..., Bot], night: list[Snapshot]) -> None:
    bot = context_bot(night[-1], jefferson_feed(night[-1]))
    listing = texts(bot.answer("alabama"))
    assert "Alabama: 2 races" in listing
    assert "*U.S. Senate*:" in listing and "*Jefferson County, Ala.: U.S. Senate*:" in listing
    county_card = texts(bot.answer("alabama senate jefferson"))
    assert "Jefferson County, Alabama: 2 races" in county_card
    assert (
        "• *U.S. Senate*: Jones 68.11 %" in county_card
        and "• *Jefferson County, Ala.: U.S. Senate*: Jones 68.11 %" in county_card
    )
    balance = texts(bot.answer("balance senate"))
    assert "Alabama U.S. Senate: called for Jones (Dem)" in balance and "Jefferson County" not in balance
    rules = rule_settings(
        settings_from_dict(
            {"feeds": [{"name": "al", "kind": "json", "url": "http://127.0.0.1:1/"}], "context": DEMO_CONTEXT}
        )
    )
    county_race = jefferson_feed(night[-1]).races["AL-J-1000"]
    assert swing_lines(county_race, rules) == [] and swing_lines(night[-1].races["AL-1000"], rules) != []


def test_ap_tells_a_special_election_by_its_race_type(make_bot: Callable[..., Bot]) -> None:
    def senate(race_id: str, race_type: str, type_id: str, names: tuple[str, str], votes: tuple[int, int]) -> dict[str, Any]:
        return {
            "raceID": race_id,
            "raceType": race_type,
            "raceTypeID": type_id,
            "officeID": "S",
            "officeName": "U.S. Senate",
            "reportingUnits": [
                {
                    "level": "state",
                    "statePostal": "GA",
                    "precinctsReporting": 2600,
                    "precinctsTotal": 2655,
                    "candidates": [
                        {
                            "first": names[0].split()[0],
                            "last": names[0].split()[1],
                            "party": "Dem",
                            "candidateID": f"{race_id}1",
                            "polID": f"{race_id}1",
                            "voteCount": votes[0],
                        },
                        {
                            "first": names[1].split()[0],
                            "last": names[1].split()[1],
                            "party": "GOP",
                            "candidateID": f"{race_id}2",
                            "polID": f"{race_id}2",
                            "voteCount": votes[1],
                        },
                    ],
                }
            ],
        }

    reply = {
        "electionDate": "2021-01-05",
        "timestamp": "2021-01-06T04:00:00Z",
        "races": [
            senate("11641", "General", "G", ("Jon Ossoff", "David Perdue"), (2_269_923, 2_214_979)),
            senate("11788", "Special General", "W", ("Raphael Warnock", "Kelly Loeffler"), (2_289_113, 2_195_841)),
        ],
    }
    with FeedServer() as server:
        server.route("/v2/elections/2021-01-05", Reply.json(reply))
        snap = ApFeed(FeedSpec("ga", "ap", server.url("/v2/elections/2021-01-05")), fast_http("ga")).poll(None)
    assert snap is not None
    assert {r.race_id: r.office for r in snap.races.values()} == {"11641": "U.S. Senate", "11788": "U.S. Senate (special)"}
    listing = texts(make_bot(snap).answer("georgia senate"))
    assert "Georgia: 2 races" in listing
    assert "*U.S. Senate*: Ossoff" in listing and "*U.S. Senate (special)*: Warnock" in listing


def test_a_gain_line_names_the_seat_not_the_special() -> None:
    line = gain_line({"party": "Dem", "previous": "GOP", "state": "GA", "office": "U.S. Senate (special)"})
    assert line == "GAIN: Democrats gain a Georgia Senate seat from the Republicans"
