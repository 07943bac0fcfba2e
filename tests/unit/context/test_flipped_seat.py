"""The feed's ``flippedSeat`` as a seat gain: read by the AP adapter, turned into a GAIN alert by
the rules when the seats config does not list the seat, and overruled by the config when it does.

The races come from the repo's AP fixtures through ``parse_ap`` (full reply, then the delta that
calls the race), and the alerts from ``bot.core.rules.evaluate`` as the poller runs it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.app.settings import load_recount_rules
from bot.core.balance import Gain, feed_gain, gain_facts, gain_from_facts, seats_config_from_dict
from bot.core.context import ContextSettings, gain_details
from bot.core.events import EventKind, coalesce
from bot.core.model import Race
from bot.core.rules import RaceMemory, RuleSettings, evaluate
from bot.feeds.ap import parse_ap
from bot.render.text import alert_text, gain_line
from tests.integration.feeds.samples import ap_doc

KEY = "AL-1000"


def ap_race(name: str, flipped: Any = None) -> Race:
    doc = ap_doc(name)
    for raw in doc["races"]:
        if raw["raceID"] == "1000" and flipped is not None:
            raw["flippedSeat"] = flipped
    reply = parse_ap(json.dumps(doc).encode(), "ap-test")
    return next(r for r in reply.races if r.key == KEY)


CALL_KINDS = (EventKind.RACE_CALLED, EventKind.SEAT_GAIN, EventKind.BALANCE_OF_POWER)


def call_alert(context: ContextSettings, flipped: Any) -> tuple[list[EventKind], str]:
    """The call's events (the poll also brings a lead change and counties) and the alert's text,
    for the poll that brings the call after one without it."""
    settings = RuleSettings(recount_rules=load_recount_rules(), context=context)
    before, called = ap_race("20171212_al_senate_full.json"), ap_race("20171212_al_senate_delta2.json", flipped)
    first = evaluate("ap-test", None, before, RaceMemory(), settings, before.last_updated, {KEY: before})  # type: ignore[arg-type]
    at = called.last_updated
    result = evaluate("ap-test", before, called, first.memory, settings, at, {KEY: called})  # type: ignore[arg-type]
    alert = coalesce(result.events, result.facts, at.isoformat(), False)  # type: ignore[union-attr]
    assert alert is not None
    return [e.kind for e in alert.events if e.kind in CALL_KINDS], alert_text(alert)


def seats(holder: str) -> Any:
    return seats_config_from_dict(
        {
            "seats": {"AL-S": {"holder": holder, "chamber": "senate", "last_held_by": {"Dem": 1992}}},
            "chambers": {"senate": {"size": 100, "not_up": {"GOP": 51, "Dem": 46, "Ind": 2}, "caucus": {"Ind": "Dem"}}},
        }
    )


def test_a_flipped_seat_is_a_gain_without_a_seats_config():
    kinds, text = call_alert(ContextSettings(), True)
    assert kinds == [EventKind.RACE_CALLED, EventKind.SEAT_GAIN]  # no tally: no chamber configured
    (line,) = [line for line in text.splitlines() if "GAIN" in line]
    assert line.strip() == "• GAIN: Democrats gain an Alabama Senate seat"  # no holder, no year: not guessed


def test_no_gain_when_the_feed_says_not_flipped_or_says_nothing():
    for flipped in (False, None):
        kinds, text = call_alert(ContextSettings(), flipped)
        assert kinds == [EventKind.RACE_CALLED] and "GAIN" not in text


def test_a_seat_the_config_lists_is_judged_by_the_config_not_the_feed():
    # The config says the Democrats held it: the feed's "flipped" does not make a gain.
    kinds, text = call_alert(ContextSettings(seats=seats("Dem")), True)
    assert EventKind.SEAT_GAIN not in kinds and "GAIN" not in text
    assert "Senate: Republicans 51, Democrats 49" in text  # the tally still moves with the call
    # The config says the Republicans held it: a gain, with the holder and the year, whatever the feed says.
    kinds, text = call_alert(ContextSettings(seats=seats("GOP")), False)
    assert EventKind.SEAT_GAIN in kinds
    assert "• GAIN: Democrats gain an Alabama Senate seat from the Republicans, the first since 1992" in text


def test_a_seats_config_without_this_seat_falls_back_on_the_feed():
    other = seats_config_from_dict({"seats": {"GA-S": {"holder": "GOP"}}})
    race = ap_race("20171212_al_senate_delta2.json", True)
    details = gain_details(race, ContextSettings(seats=other))
    assert details is not None and (details["party"], details["previous"], details["since"]) == ("Dem", None, None)
    assert details["seat_key"] == "AL-S" and details["winner"] == "Doug Jones"


def test_a_flipped_seat_without_a_single_winner_or_a_party_is_no_gain():
    uncalled = ap_race("20171212_al_senate_full.json", True)
    assert feed_gain(uncalled) is None
    called = ap_race("20171212_al_senate_delta2.json", True)
    partyless = replace(called, candidates=tuple(replace(c, party=None) for c in called.candidates))
    assert feed_gain(partyless) is None


def test_a_gain_without_a_holder_words_only_what_is_known():
    g = Gain(party="Dem", previous=None, state="AL", office="U.S. Senate", seat_key="AL-S", winner="Doug Jones")
    assert g.text() == "Democratic gain" and g.short == "Jones gain"
    facts = json.loads(json.dumps(gain_facts(g)))
    assert gain_from_facts(facts) == g
    assert gain_line(facts) == "GAIN: Democrats gain an Alabama Senate seat"
    assert gain_line({**facts, "previous": "GOP", "since": 1992}) == (
        "GAIN: Democrats gain an Alabama Senate seat from the Republicans, the first since 1992"
    )
