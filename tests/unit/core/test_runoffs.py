"""Runoff awareness (issue 12, finding 2): synthetic nights for a Georgia-style majority race, a
30 % primary and a top-two primary; the feed's flags over our reckoning; boundaries at the
statutes' own lines (a majority is more than half: exactly 50 % is not one; N.C.G.S. § 163-111:
more than 30 %; SDCL § 12-6-51.1: at least 35 %)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from bot.app.settings import load_runoff_rules
from bot.core.events import Event, EventKind, coalesce
from bot.core.margins import standing
from bot.core.model import CallStatus, Candidate, Race
from bot.core.rules import RaceMemory, RuleSettings, evaluate, race_facts
from bot.core.runoffs import RunoffFormat, RunoffRule, applicable_runoff_rule, runoff_position
from bot.render.slack import alert_message, race_card
from bot.render.text import alert_text, event_line, race_card_text
from tests.unit.core.helpers import AT, race

RUNOFF_RULES = load_runoff_rules()
SETTINGS = RuleSettings(runoff_rules=RUNOFF_RULES)
RUNOFF_KINDS = {
    EventKind.RUNOFF_HEADED,
    EventKind.RUNOFF_PAIR,
    EventKind.RUNOFF_AVOIDED,
    EventKind.RUNOFF_WITHDRAWN,
    EventKind.RUNOFF,
}

# --- Georgia 2020: a 20-candidate all-party special election, a majority required ---------------

GA_NAMES = [("warnock", "Raphael Warnock", "Dem"), ("loeffler", "Kelly Loeffler", "GOP"), ("collins", "Doug Collins", "GOP")]
GA_NAMES += [(f"c{i}", f"Candidate Number{i}", "Ind") for i in range(4, 21)]
GA_CANDIDATES = tuple(Candidate(cid, name, party) for cid, name, party in GA_NAMES)
#: everything in: 1,000,000 votes; Warnock 35.50 %, Loeffler 22.00 %, Collins 20.00 %, 17 others 22.50 %
GA_FINAL = (
    {"warnock": 355_000, "loeffler": 220_000, "collins": 200_000} | {f"c{i}": 13_235 for i in range(4, 20)} | {"c20": 13_240}
)


def georgia(share: Fraction | None = None, eevp: float | None = None, **kw: object) -> Race:
    """The count at ``share`` of the final (every candidate in proportion) with AP's eevp."""
    votes = {c: int(n * share) if share is not None else n for c, n in GA_FINAL.items()}
    kw.setdefault("race_type", "Special General")
    return race(votes, eevp=eevp, state="GA", candidates=GA_CANDIDATES, **kw)


def night(races: list[Race], settings: RuleSettings = SETTINGS, memory: RaceMemory | None = None):
    """[(poll, event)], the alerts in order, and the memory (stored and read back each poll)."""
    mem, prev, out, alerts = memory or RaceMemory(), None, [], []
    for i, r in enumerate(races):
        res = evaluate("ap", prev, r, RaceMemory.from_dict(mem.to_dict()), settings, AT)
        out += [(i, e) for e in res.events]
        if (a := coalesce(res.events, res.facts, AT.isoformat(), False)) is not None:
            alerts.append((i, a))
        mem, prev = res.memory, r
    return out, alerts, mem


def runoff_events(out: list[tuple[int, Event]]) -> list[tuple[int, str]]:
    return [(i, e.kind.value) for i, e in out if e.kind in RUNOFF_KINDS]


def test_georgia_final_count_is_headed_for_a_runoff_warnock_vs_loeffler():
    assert sum(GA_FINAL.values()) == 1_000_000
    out, alerts, mem = night([georgia()])
    assert runoff_events(out) == [(0, "runoff_headed"), (0, "runoff_pair")]
    ((_, alert),) = alerts
    kinds = [e.kind for e in alert.events]
    assert kinds.index(EventKind.RUNOFF_HEADED) < kinds.index(EventKind.RUNOFF_PAIR) < kinds.index(EventKind.TAKES_LEAD)
    text = alert_text(alert)
    assert text.startswith(
        "Georgia U.S. Senate: HEADED FOR A RUNOFF: no candidate can reach a majority (more than 50 %) (O.C.G.A. § 21-2-501(a)(1)) "
        "with every vote counted; the top two meet again. Raphael Warnock (Dem) leads with 35.50 % (arithmetic, not a call)"
    )
    assert (
        "RUNOFF: Raphael Warnock (Dem) vs Kelly Loeffler (GOP): no one else can reach the top two (by the count, not a call)"
        in text
    )
    assert (
        "Runoff line: a majority (more than 50 %) of all votes (O.C.G.A. § 21-2-501(a)(1)); Warnock has 35.50 %, below it"
        in text
    )
    assert mem.runoff_headed and mem.runoff_pair == ("warnock", "loeffler")
    # Slack says the same, in the same order
    message = alert_message(alert)
    assert "HEADED FOR A RUNOFF" in message["blocks"][0]["text"]["text"] and "Warnock" in message["text"]


def test_georgia_night_each_alert_once_in_order():
    polls = [
        georgia(Fraction(1, 10), eevp=10.0),  # 900,000 left: anyone could still pass 50 %
        georgia(Fraction(1, 2), eevp=50.0),
        georgia(Fraction(9, 10), eevp=90.0),  # 319,500 + 100,000 of 1,000,000 is 41.95 %: headed
        georgia(Fraction(9, 10), eevp=90.0),
        georgia(Fraction(95, 100), eevp=95.0),  # Loeffler 209,000 vs Collins 190,000 + 50,000: not yet
        georgia(Fraction(99, 100), eevp=99.0),  # Loeffler 217,800 vs Collins 198,000 + 10,000: certain
        georgia(eevp=100.0),
        georgia(eevp=100.0),
    ]
    out, _, mem = night(polls)
    assert runoff_events(out) == [(2, "runoff_headed"), (5, "runoff_pair")]
    headed = next(e for _, e in out if e.kind is EventKind.RUNOFF_HEADED)
    # counted 319,500 + 198,000 + 180,000 + 16 × 11,911 + 11,916 = 899,992; ÷ 0.9 − 899,992 = 99,999.1
    assert headed.details["outstanding"] == 99_999 and headed.details["method"] == "feed"
    assert headed.key == "ap/GA-1/runoff_headed/1"
    assert "even with all of the estimated 99,999 votes left" in event_line(headed, None)
    pair = next(e for _, e in out if e.kind is EventKind.RUNOFF_PAIR)
    assert pair.key == "ap/GA-1/runoff_pair/2/loeffler-warnock" and pair.details["candidates"] == ["warnock", "loeffler"]
    # a restart with the stored memory says nothing again
    again, _, _ = night([georgia(eevp=100.0)], memory=mem)
    assert runoff_events(again) == []


def test_no_estimate_no_claim():
    # 10 of 100 precincts and no expected vote: no estimate of the votes left, so no runoff talk
    early = georgia(Fraction(1, 10), reporting=10, total=100)
    out, _, _ = night([early])
    assert runoff_events(out) == [] and "takes_lead" in {e.kind.value for _, e in out}
    # every precinct in: the count itself is the answer
    out, _, _ = night([georgia(reporting=100, total=100)])
    assert runoff_events(out) == [(0, "runoff_headed"), (0, "runoff_pair")]


def test_the_feeds_runoff_flag_wins_and_its_withdrawal_withdraws_ours():
    flagged = replace(georgia(), runoff=("warnock", "loeffler"), call_status=CallStatus.RUNOFF, race_call_status="Runoff")
    out, _, mem = night([georgia(), flagged, flagged, georgia(), georgia()])
    assert runoff_events(out) == [(0, "runoff_headed"), (0, "runoff_pair"), (1, "runoff"), (3, "runoff_withdrawn")]
    assert any(e.kind is EventKind.RACE_UNCALLED for i, e in out if i == 3)
    withdrawn = next(e for _, e in out if e.kind is EventKind.RUNOFF_WITHDRAWN)
    assert event_line(withdrawn, None) == "Runoff withdrawn: the feed no longer has this race in a runoff, so neither do we"
    assert mem.runoff_silenced and not mem.runoff_headed and mem.runoff_pair == ()
    # the feed first: its flag before any reckoning of ours leaves ours unsaid
    out, _, _ = night([flagged, flagged])
    assert runoff_events(out) == [(0, "runoff")]
    # a feed call (X) wins too: nothing of ours beside it
    called = replace(georgia(), winners=("warnock",), call_status=CallStatus.CALLED)
    out, _, _ = night([called])
    assert runoff_events(out) == []


def test_withdrawal_before_we_said_anything_is_only_the_feeds():
    flagged = replace(georgia(Fraction(1, 2), eevp=50.0), runoff=("warnock", "loeffler"), call_status=CallStatus.RUNOFF)
    out, _, mem = night([flagged, georgia(Fraction(1, 2), eevp=50.0), georgia()])
    assert runoff_events(out) == [(0, "runoff")] and mem.runoff_silenced


# --- the majority line at its boundary ----------------------------------------------------------

THREE = (Candidate("a", "Ann Able", "GOP"), Candidate("b", "Bob Baker", "GOP"), Candidate("c", "Cy Cole", "GOP"))


def ga_primary(a: int, b: int, c: int, **kw: object) -> Race:
    return race({"a": a, "b": b, "c": c}, state="GA", candidates=THREE, general=False, race_type="Primary", **kw)


def test_exactly_half_is_not_a_majority():
    out, _, _ = night([ga_primary(500, 300, 200)])
    assert runoff_events(out) == [(0, "runoff_headed"), (0, "runoff_pair")]


def test_half_plus_one_vote_avoids_the_runoff():
    out, alerts, _ = night([ga_primary(501, 299, 200)])
    assert runoff_events(out) == [(0, "runoff_avoided")]
    avoided = next(e for _, e in out if e.kind is EventKind.RUNOFF_AVOIDED)
    assert event_line(avoided, alerts[0][1].facts) == (
        "AVOIDS A RUNOFF: Ann Able (GOP) has 50.10 %, above a majority (more than 50 %) (O.C.G.A. § 21-2-501(a)(1)) "
        "with every vote counted (arithmetic, not a call)"
    )


def test_with_votes_left_the_line_moves_with_them():
    # 500 of 1,000 counted and 1 vote left (eevp 99.9 → 1,001 expected): 501 of 1,001 passes
    assert runoff_events(night([ga_primary(500, 300, 200, eevp=99.9)])[0]) == []
    # 502 of 1,000 with 2 left: 502 of 1,002 is still more than half: certain
    out, _, _ = night([ga_primary(502, 298, 200, eevp=99.8)])
    assert runoff_events(out) == [(0, "runoff_avoided")]
    # 501 of 1,000 with 2 left: 501 of 1,002 is exactly half: not certain, and not headed either
    assert runoff_events(night([ga_primary(501, 299, 200, eevp=99.8)])[0]) == []


def test_a_tie_for_second_names_no_pair():
    out, _, _ = night([ga_primary(400, 300, 300)])
    assert runoff_events(out) == [(0, "runoff_headed")]


# --- a 30 % primary (North Carolina) ------------------------------------------------------------


def nc(a: int, b: int, c: int, d: int, **kw: object) -> Race:
    four = (*THREE, Candidate("d", "Di Dunn", "GOP"))
    return race({"a": a, "b": b, "c": c, "d": d}, state="NC", candidates=four, general=False, race_type="Primary", **kw)


def test_north_carolina_exactly_thirty_percent_is_not_enough():
    out, alerts, _ = night([nc(300, 280, 220, 200)])
    assert runoff_events(out) == [(0, "runoff_headed"), (0, "runoff_pair")]
    text = alert_text(alerts[0][1])
    assert (
        "no candidate can reach more than 30 % (N.C.G.S. § 163-111) with every vote counted; a second primary is possible if the runner-up asks for one"
        in text
    )
    assert "RUNOFF: Ann Able (GOP) vs Bob Baker (GOP) if the runner-up asks for it" in text


def test_north_carolina_one_vote_more_avoids_it():
    assert runoff_events(night([nc(301, 279, 220, 200)])[0]) == [(0, "runoff_avoided")]


def test_north_carolina_night_in_order():
    polls = [
        nc(30, 28, 22, 20, eevp=10.0),  # 100 of 1,000
        nc(150, 140, 110, 100, eevp=50.0),
        nc(270, 252, 198, 180, eevp=90.0),  # 270 + 100 of 1,000 is 37 %: could still pass
        nc(297, 277, 218, 198, eevp=99.0),  # 297 + 10 of 1,000 is 30.7 %: could still pass
        nc(300, 280, 220, 200, eevp=100.0),  # all in: exactly 30 %: headed, pair certain
        nc(300, 280, 220, 200, eevp=100.0),
    ]
    out, _, _ = night(polls)
    assert runoff_events(out) == [(4, "runoff_headed"), (4, "runoff_pair")]


def test_at_least_is_inclusive():
    """SDCL § 12-6-51.1 reads "thirty-five percent": exactly 35 % passes (built directly, so the
    inclusive branch is pinned whatever the shipped file says)."""
    sd = RunoffRule(
        "SD", frozenset({"primary"}), RunoffFormat.THRESHOLD, "SDCL § 12-6-51.1", Fraction(7, 20), inclusive=True
    )
    settings = RuleSettings(runoff_rules={"SD": (sd,)})
    at = race({"a": 350, "b": 340, "c": 310}, state="SD", candidates=THREE, general=False, race_type="Primary")
    assert runoff_events(night([at], settings)[0]) == [(0, "runoff_avoided")]
    below = race({"a": 349, "b": 341, "c": 310}, state="SD", candidates=THREE, general=False, race_type="Primary")
    assert runoff_events(night([below], settings)[0]) == [(0, "runoff_headed"), (0, "runoff_pair")]


# --- a top-two primary (California, Washington) -------------------------------------------------

FIVE = tuple(
    Candidate(c, n, p)
    for c, n, p in [
        ("a", "Ann Able", "Dem"),
        ("b", "Bob Baker", "GOP"),
        ("c", "Cy Cole", "Dem"),
        ("d", "Di Dunn", "GOP"),
        ("e", "Ed Eads", "Grn"),
    ]
)


def ca(votes: dict[str, int], **kw: object) -> Race:
    return race(votes, state="CA", candidates=FIVE, general=False, race_type="Primary", **kw)


def test_top_two_primary_advances_two_and_names_no_winner():
    polls = [
        ca({"a": 30_000, "b": 25_000, "c": 20_000, "d": 15_000, "e": 10_000}, eevp=10.0),  # 900,000 left
        ca(
            {"a": 300_000, "b": 240_000, "c": 210_000, "d": 150_000, "e": 90_000}, eevp=99.0
        ),  # b 240,000 vs c 210,000 + 10,000: certain
        ca({"a": 303_000, "b": 242_000, "c": 212_000, "d": 152_000, "e": 91_000}, eevp=100.0),
    ]
    out, alerts, _ = night(polls)
    assert runoff_events(out) == [(1, "runoff_pair")]  # a majority means nothing here: no headed, no avoided
    pair = next(e for _, e in out if e.kind is EventKind.RUNOFF_PAIR)
    text = event_line(pair, alerts[-1][1].facts)
    assert text.startswith(
        "ADVANCE: Ann Able (Dem) and Bob Baker (GOP) advance to the general election (Cal. Elec. Code § 8141.5)"
    )
    assert "no one wins a top-two primary" in text and "wins" not in text.replace("no one wins", "")
    facts = race_facts(polls[-1], SETTINGS)
    assert "Top-two primary (Cal. Elec. Code § 8141.5): the top 2 advance; no one wins it" in race_card_text(facts)
    # the feed's flags for both: rendered as advancing, never as a win
    called = replace(polls[-1], winners=("a", "b"), call_status=CallStatus.CALLED)
    res = evaluate("ap", polls[-1], called, RaceMemory(), SETTINGS, AT)
    line = event_line(next(e for e in res.events if e.kind is EventKind.RACE_CALLED), res.facts)
    assert (
        line
        == "ADVANCE: Ann Able (Dem) and Bob Baker (GOP) advance to the general election (call from the feed; no one wins a top-two primary)"
    )


def test_top_two_third_place_one_vote_short_is_not_certain():
    # b 240,000 vs c 230,000 with 10,000 left: c could tie; 10,001 more for b's margin makes it certain
    assert (
        runoff_events(night([ca({"a": 300_000, "b": 240_000, "c": 230_000, "d": 130_000, "e": 90_000}, eevp=99.0)])[0]) == []
    )
    assert runoff_events(
        night([ca({"a": 300_000, "b": 240_001, "c": 229_999, "d": 130_000, "e": 90_000}, eevp=99.0)])[0]
    ) == [(0, "runoff_pair")]


# --- which rule covers which race ---------------------------------------------------------------


@pytest.mark.parametrize(
    "state, general, race_type, expected",
    [
        ("GA", True, "General", "O.C.G.A. § 21-2-501(a)(1)"),
        ("GA", False, "Primary", "O.C.G.A. § 21-2-501(a)(1)"),
        ("GA", True, "General Runoff", None),  # a runoff is decided between the two left
        ("AL", True, "Special General", None),  # Alabama 2017: plurality, no runoff (the golden night)
        ("AL", False, "Primary", "Ala. Code § 17-13-18"),
        ("TX", False, "Primary", "Tex. Elec. Code § 172.003"),
        ("TX", True, "General", None),
        ("NC", False, "Primary", "N.C.G.S. § 163-111"),
        ("WA", False, "Primary", "RCW 29A.52.112"),
        ("LA", True, "General", "La. R.S. 18:511; 18:481"),
        ("FL", False, "Primary", None),
        ("GA", False, "Caucus", None),
    ],
)
def test_applicable_rule(state, general, race_type, expected):
    r = race({"a": 1}, state=state, general=general, race_type=race_type)
    rule = applicable_runoff_rule(r, RUNOFF_RULES)
    assert (rule.citation if rule else None) == expected


def test_multi_seat_races_and_alabamas_two_candidate_primaries_have_none():
    assert applicable_runoff_rule(race({"a": 1}, state="GA", seats=2), RUNOFF_RULES) is None
    two = race({"a": 480, "b": 470, "w": 50}, state="AL", general=False, race_type="Primary")  # "more than two candidates"
    assert runoff_events(night([two])[0]) == []


def test_every_shipped_rule_cites_a_statute_and_thresholds_are_exact():
    for state, rules in RUNOFF_RULES.items():
        for rule in rules:
            assert rule.citation.strip() and rule.elections <= {"general", "primary"}
            if rule.format is RunoffFormat.THRESHOLD:
                assert rule.threshold is not None and 0 < rule.threshold < 1, state
    assert RUNOFF_RULES["GA"][0].threshold == Fraction(1, 2) and not RUNOFF_RULES["GA"][0].inclusive
    assert RUNOFF_RULES["NC"][0].threshold == Fraction(3, 10) and RUNOFF_RULES["NC"][0].requested


def test_position_is_pure_arithmetic():
    rule = RUNOFF_RULES["GA"][0]
    pos = runoff_position(standing(georgia()), rule, 0)
    assert (pos.reachable, pos.clears, pos.pair) == (False, False, ("warnock", "loeffler"))
    pos = runoff_position(standing(georgia()), rule, None)  # no estimate: nothing known
    assert (pos.reachable, pos.clears, pos.pair) == (None, None, None)


def test_results_card_shows_the_threshold_line():
    facts = race_facts(georgia(), SETTINGS)
    card = race_card(facts)
    assert (
        "Runoff line: a majority (more than 50 %) of all votes (O.C.G.A. § 21-2-501(a)(1)); Warnock has 35.50 %, below it"
        in card["text"]
    )
    nc_facts = race_facts(nc(300, 280, 220, 200), SETTINGS)
    assert (
        "Runoff line: more than 30 % of all votes (N.C.G.S. § 163-111); Able has 30.00 %, below it; the runner-up may ask for a second primary"
        in race_card_text(nc_facts)
    )
    assert "Runoff line" not in race_card_text(race_facts(georgia(), RuleSettings()))  # no rules configured, no line


# --- the real Georgia 2020 file (../shared): the special Senate election, 20 candidates ---------


@pytest.mark.shared
def test_georgia_2020_clarity_summary_runoffs():
    from tests.integration.feeds.samples import SHARED_SAMPLES

    path = SHARED_SAMPLES / "clarity" / "ga-2020-general" / "summary.json"
    if not path.is_file():
        pytest.skip("../shared/samples/clarity/ga-2020-general is absent")
    from bot.feeds.clarity import parse_summary

    races = {r.race_id: r for r in parse_summary(path.read_bytes(), "ga", "GA")}
    special, regular = races["10100"], races["10000"]
    assert len([c for c in special.candidates if not c.pseudo]) == 20
    # As published (158 of 159 counties, no precinct counts, no expected vote): no estimate of the
    # votes left, so no runoff claim; the threshold line is there.
    out, _, _ = night([special])
    assert runoff_events(out) == []
    card = race_card_text(race_facts(special, SETTINGS))
    assert (
        "Runoff line: a majority (more than 50 %) of all votes (O.C.G.A. § 21-2-501(a)(1)); Warnock has 32.91 %, below it"
        in card
    )  # 1,615,382 votes

    # The same counts with every precinct in: the night's story, in order, once.
    def complete(r: Race) -> Race:
        top = replace(r.state_unit, precincts_reporting=2655, precincts_total=2655)
        return replace(r, units=(top, *r.subunits))

    out, alerts, _ = night([complete(special), complete(special)])
    assert runoff_events(out) == [(0, "runoff_headed"), (0, "runoff_pair")]
    pair = next(e for _, e in out if e.kind is EventKind.RUNOFF_PAIR)
    assert [special.candidate(c).name for c in pair.details["candidates"]] == ["Raphael Warnock", "Kelly Loeffler"]
    # Perdue 49.73 %: short of a majority, Perdue vs Ossoff
    out, _, _ = night([complete(regular)])
    pair = next(e for _, e in out if e.kind is EventKind.RUNOFF_PAIR)
    assert [regular.candidate(c).name for c in pair.details["candidates"]] == ["David A. Perdue", "Jon Ossoff"]


def test_an_uncontested_race_has_no_runoff_line():
    alone = race(
        {"a": 1_000}, state="GA", candidates=(Candidate("a", "Ann Able", "GOP"),), general=False, race_type="Primary"
    )
    facts = race_facts(alone, SETTINGS)
    assert "Runoff line" not in race_card_text(facts)
    assert runoff_events(night([alone])[0]) == []


@pytest.mark.parametrize(
    "odd",
    [
        "no_state_row",
        "nan_eevp",
        "zero_eevp",
        "negative_votes",
        "zero_precincts",
        "unknown_candidate",
        "one_candidate_with_write_ins",
    ],
)
def test_odd_data_costs_nothing_and_claims_nothing(odd):
    """One odd race costs that race at most: the runoff and estimate code never raises, and
    claims nothing it cannot support (no runoff talk without a count)."""
    base = georgia(Fraction(1, 2), eevp=50.0, reporting=50, total=100)
    top = base.state_unit
    if odd == "no_state_row":
        r = replace(base, units=())
    elif odd == "nan_eevp":
        r = replace(base, units=(replace(top, expected_vote_pct=float("nan")),), expected_vote_pct=None)
    elif odd == "zero_eevp":
        r = replace(base, units=(replace(top, expected_vote_pct=0.0),), expected_vote_pct=None)
    elif odd == "negative_votes":
        r = replace(base, units=(replace(top, votes={**top.votes, "collins": -5}),))
    elif odd == "zero_precincts":
        r = replace(
            base,
            units=(replace(top, expected_vote_pct=None, precincts_reporting=0, precincts_total=0),),
            expected_vote_pct=None,
        )
    elif odd == "unknown_candidate":
        r = replace(base, units=(replace(top, votes={**top.votes, "ghost": 99_999}),))
    else:
        r = race(
            {"a": 10, "w": 20},
            state="GA",
            candidates=(Candidate("a", "Ann Able", "GOP"), Candidate("w", "Write-ins", None, pseudo=True)),
        )
    out, _, mem = night([r, r])
    assert runoff_events(out) == []
    RaceMemory.from_dict(mem.to_dict())  # the memory stores and reads back


def test_certainty_uses_the_top_of_the_estimates_range():
    """With a baseline estimate the runoff reckoning takes the highest county turnout ratio: a
    claim must hold for every split of the votes left up to the top of the range."""
    from bot.core.context import ContextSettings
    from bot.core.rules import votes_left
    from bot.core.swing import Baseline, BaselineCounty
    from tests.unit.core.helpers import county

    base = {"13001": 100_000, "13003": 100_000, "13005": 100_000}
    baseline = Baseline({f: BaselineCounty(f, f"County {f}", n // 2, n // 2, n) for f, n in base.items()}, label="2016")
    settings = RuleSettings(runoff_rules=RUNOFF_RULES, context=ContextSettings(baselines={"GA": baseline}))
    rows = [
        county("13001", {"a": 14_000, "b": 13_000, "c": 12_000, "d": 11_000, "e": 10_000}, 10, 10),  # 60,000: ratio 0.6
        county("13003", {"a": 18_000, "b": 18_000, "c": 18_000, "d": 14_000, "e": 12_000}, 10, 10),  # 80,000: ratio 0.8
        county("13005", {}, 0, 10),  # out: 70,000 at the pooled 0.7, 80,000 at the highest ratio
    ]
    r = race(counties=rows, state="GA", candidates=FIVE, general=False, race_type="Primary")
    left = votes_left(r, settings)
    assert (left.votes, left.low, left.high) == (70_000, 60_000, 80_000)
    # Able 32,000 of 140,000. Pooled: 32,000 + 70,000 of 210,000 is 48.6 % (would be "headed");
    # at the top: 32,000 + 80,000 of 220,000 is 50.9 %: a majority is still reachable, so no claim
    rule = RUNOFF_RULES["GA"][0]
    assert runoff_position(standing(r), rule, 70_000).reachable is False
    assert runoff_position(standing(r), rule, 80_000).reachable is True
    out, _, _ = night([r], settings)
    assert runoff_events(out) == []
