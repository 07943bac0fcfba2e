"""Context in the alerts: county swings, the seat gain, the Senate tally and the flip indication,
over the shipped Alabama night with the 2016 baseline and the configured Senate.

Expected figures are recomputed here from the baseline CSV (csv module, ``Fraction``) and the
snapshot votes, never through ``bot.core.swing``.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import replace
from fractions import Fraction

import pytest

from bot.app.context_files import load_baseline_csv, load_seats_config
from bot.app.settings import ConfigError, load_recount_rules, rule_settings, settings_from_dict
from bot.core.context import ContextSettings, flip_from_facts
from bot.core.events import Alert, EventKind, coalesce
from bot.core.model import CallStatus, Candidate, Level, Race, ReportingUnit
from bot.core.rules import RaceMemory, RuleSettings, evaluate
from bot.core.swing import Baseline, BaselineCounty
from bot.rehearsal.scenarios import DEFAULT_FEED, SCENARIO_DIR, load_scenario
from bot.render.text import alert_text, event_line

KEY = "AL-1000"
SHIPPED = SCENARIO_DIR / "20171212_al_senate_special" / "baseline-2016-president.csv"


def context(**kw: object) -> ContextSettings:
    base = {"baselines": {"AL": load_baseline_csv(SHIPPED)}, "seats": load_seats_config()}
    base.update(kw)
    return ContextSettings(**base)  # type: ignore[arg-type]


def replay(ctx: ContextSettings, snapshots=None):
    """(snapshot number, event, facts) for the night, and the alerts, as the poller would see them."""
    settings = RuleSettings(recount_rules=load_recount_rules(), context=ctx)
    snaps = snapshots or load_scenario()
    mem, prev, events, alerts = RaceMemory(), None, [], []
    for n, snap in enumerate(snaps, start=1):
        race = snap.races[KEY]
        result = evaluate(DEFAULT_FEED, prev, race, mem, settings, snap.generated_at, snap.races)
        events += [(n, e, result.facts) for e in result.events]
        alert = coalesce(result.events, result.facts, snap.generated_at.isoformat(), False)
        if alert is not None:
            alerts.append((n, alert))
        mem, prev = result.memory, race
    return events, alerts, mem


@pytest.fixture(scope="module")
def night():
    return replay(context())


def baseline_rows() -> dict[str, tuple[int, int, int]]:
    with SHIPPED.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return {r["county"]: (int(r["dem_votes"]), int(r["gop_votes"]), int(r["total_votes"])) for r in csv.DictReader(lines)}


def one_decimal(x: Fraction) -> str:
    """Half-up to one decimal, the way the bot prints points (computed here independently)."""
    tenths = (abs(x) * 1000 * 2 + 1) // 2  # round half up of |x| × 1000
    return f"{tenths // 10}.{tenths % 10}"


# --- county swings in the county alerts -------------------------------------------------------


def test_jefferson_all_in_says_its_swing_as_the_issue_words_it(night):
    events, _, _ = night
    n, event, facts = next(
        t for t in events if t[1].kind is EventKind.COUNTY_COMPLETE and t[1].details["unit"] == "Jefferson"
    )
    assert n == 49
    assert event_line(event, facts) == (
        "Jefferson, all precincts in: Jones by 37.9 points, a swing of 30.7 points towards the Democrats from 2016"
        " — Jones 149,522 (68.11 %), Moore 66,309 (30.20 %), Write-ins 3,710 (1.69 %)"
    )


def test_every_county_complete_line_states_the_swing_computed_by_hand(night):
    events, _, _ = night
    then = baseline_rows()
    complete = [(e, f) for _, e, f in events if e.kind is EventKind.COUNTY_COMPLETE]
    assert len(complete) == 67
    for event, facts in complete:
        v = event.details["votes"]
        total = sum(v.values())
        now = Fraction(v["jones"] - v["moore"], total)
        dem, gop, tot = then[event.details["unit"]]
        swing = now - Fraction(dem - gop, tot)
        assert swing > 0, event.details["unit"]  # every county moved towards the Democrats
        leader = "Jones" if now > 0 else "Moore"
        expected = (
            f"{leader} by {one_decimal(now)} points, a swing of {one_decimal(swing)} points towards the Democrats from 2016"
        )
        assert f"{event.details['unit']}, all precincts in: {expected} — " in event_line(event, facts)


def test_a_county_batch_says_its_swing_so_far_and_not_twice_when_the_county_completes(night):
    events, alerts, _ = night
    batches = [(n, e, f) for n, e, f in events if e.kind is EventKind.COUNTY_BATCH and e.details["unit"] == "Jefferson"]
    assert batches
    partial = [t for t in batches if t[0] < 49]
    n, event, facts = partial[-1]
    assert "; so far Jones by " in event_line(event, facts) and "towards the Democrats from 2016" in event_line(event, facts)
    last = [t for t in batches if t[0] == 49]
    assert last and "so far" not in event_line(last[0][1], last[0][2])
    final_alert = dict(alerts)[49]
    assert alert_text(final_alert).count("a swing of 30.7 points") == 1


def test_without_a_baseline_the_county_lines_are_as_before():
    events, _, _ = replay(ContextSettings())
    _, event, facts = next(
        t for t in events if t[1].kind is EventKind.COUNTY_COMPLETE and t[1].details["unit"] == "Jefferson"
    )
    assert event_line(event, facts).startswith("Jefferson: all precincts in — Jones 149,522 (68.11 %)")
    assert not any(
        e.kind in (EventKind.SEAT_GAIN, EventKind.BALANCE_OF_POWER, EventKind.FLIP_INDICATION) for _, e, _ in events
    )


# --- the call: gain and tally ----------------------------------------------------------------


def test_the_call_alert_says_gain_and_moves_the_senate_to_51_49(night):
    _, alerts, _ = night
    n, alert = next((n, a) for n, a in alerts if any(e.kind is EventKind.RACE_CALLED for e in a.events))
    assert n == 45
    assert [e.kind for e in alert.events] == [EventKind.RACE_CALLED, EventKind.SEAT_GAIN, EventKind.BALANCE_OF_POWER]
    text = alert_text(alert)
    assert "RACE CALLED: Doug Jones (Dem) wins (call from the feed)" in text
    assert "• GAIN: Democrats gain an Alabama Senate seat from the Republicans, the first since 1992" in text
    assert "• Senate: Republicans 51, Democrats 49 (Jones gain; was 52–48)" in text
    tally = alert.events[2].details["tally"]
    grouped_before = tally["before"]["GOP"], tally["before"]["Dem"] + tally["before"]["Ind"]
    grouped_now = tally["seats"]["GOP"], tally["seats"]["Dem"] + tally["seats"]["Ind"]
    assert grouped_before == (52, 48) and grouped_now == (51, 49)


def test_the_call_renders_the_same_after_a_restart(night):
    _, alerts, _ = night
    alert = dict(alerts)[45]
    assert alert_text(Alert.from_dict(alert.to_dict())) == alert_text(alert)


def test_a_holder_win_has_a_tally_but_no_gain():
    snaps = load_scenario()
    moore = [
        replace(s, races={KEY: _called_for(s.races[KEY], "moore")}) if n >= 45 else s for n, s in enumerate(snaps, start=1)
    ]
    events, alerts, _ = replay(context(), moore)
    kinds = [e.kind for _, e, _ in events]
    assert EventKind.SEAT_GAIN not in kinds
    alert = dict(alerts)[45]
    assert "• Senate: Republicans 52, Democrats 48" in alert_text(alert)
    assert "gain" not in alert_text(alert)


def test_a_withdrawn_call_puts_the_seat_back_to_undecided():
    snaps = load_scenario()
    flip_flop = [*snaps[:45], replace(snaps[45], races={KEY: _uncalled(snaps[45].races[KEY])})]
    _, alerts, _ = replay(context(), flip_flop)
    text = alert_text(dict(alerts)[46])
    assert "CALL WITHDRAWN" in text
    assert "• Senate: Republicans 51, Democrats 48, 1 undecided (was 52–48)" in text


def test_a_race_outside_the_configured_seats_has_no_gain_or_tally():
    snaps = load_scenario()
    house = [replace(s, races={KEY: replace(s.races[KEY], office_id="H", seat="7")}) for s in snaps]
    events, _, _ = replay(context(), house)
    assert not any(e.kind in (EventKind.SEAT_GAIN, EventKind.BALANCE_OF_POWER) for _, e, _ in events)
    assert any(e.kind is EventKind.RACE_CALLED for _, e, _ in events)


def _called_for(race: Race, winner: str) -> Race:
    return replace(race, winners=(winner,), call_status=CallStatus.CALLED)


def _uncalled(race: Race) -> Race:
    return replace(race, winners=(), call_status=CallStatus.NONE, race_call_status=None)


# --- the flip indication -----------------------------------------------------------------------


def test_alabama_never_indicates_a_flip_on_2016_turnout(night):
    """Honest, and the story of the night: the county swings alone (about 26 points on 2016
    turnout) leave Moore ahead (R+1.2 with everything in); Jones won on who turned out."""
    events, _, _ = night
    assert not any(e.kind is EventKind.FLIP_INDICATION for _, e, _ in events)


def _toy_race(reported: dict[str, tuple[int, int]], total_counties: int = 12) -> Race:
    """A state of ``total_counties`` equal counties, each R+10 in the baseline (55/45 of 1,000)."""
    units = [
        ReportingUnit(
            "XX",
            Level.STATE,
            "Toyland",
            {"d": sum(v[0] for v in reported.values()), "r": sum(v[1] for v in reported.values())},
            precincts_reporting=len(reported),
            precincts_total=total_counties,
        )
    ]
    for i in range(total_counties):
        fips = f"99{i:03d}"
        d, r = reported.get(fips, (0, 0))
        units.append(
            ReportingUnit(
                fips,
                Level.COUNTY,
                f"County {i}",
                {"d": d, "r": r},
                fips=fips,
                precincts_reporting=1 if fips in reported else 0,
                precincts_total=2,
            )
        )
    return Race(
        state="XX",
        race_id="1",
        office="U.S. Senate",
        office_id="S",
        candidates=(Candidate("d", "Dee Dem", "Dem"), Candidate("r", "Arr Rep", "GOP")),
        units=tuple(units),
    )


def _toy_baseline(n: int = 12) -> Baseline:
    return Baseline(
        {f"99{i:03d}": BaselineCounty(f"99{i:03d}", f"County {i}", 450, 550, 1000) for i in range(n)}, label="2016"
    )


def _flip_events(sequence: list[dict[str, tuple[int, int]]], **kw: object):
    ctx = ContextSettings(baselines={"XX": _toy_baseline()}, **kw)  # type: ignore[arg-type]
    settings = RuleSettings(context=ctx)
    mem, prev, out = RaceMemory(), None, []
    for step, reported in enumerate(sequence):
        race = _toy_race(reported)
        result = evaluate("toy", prev, race, mem, settings, None, {race.key: race})
        out += [(step, e) for e in result.events if e.kind is EventKind.FLIP_INDICATION]
        mem, prev = result.memory, race
    return out, mem


def _counties(n: int, d: int, r: int) -> dict[str, tuple[int, int]]:
    return {f"99{i:03d}": (d, r) for i in range(n)}


def test_a_swing_that_would_flip_the_state_is_announced_once_as_an_indication():
    # 2 counties D+20 (a 30-point swing) is too few; 10 is enough; more of the same says nothing new.
    seq = [_counties(2, 600, 400), _counties(10, 600, 400), _counties(11, 600, 400), _counties(11, 601, 400)]
    events, mem = _flip_events(seq, flip_min_counties=10)
    assert [(step, e.details["flips"]) for step, e in events] == [(1, True)]
    fi = flip_from_facts(events[0][1].details)
    assert fi.margin_then == Fraction(-1, 10) and fi.margin_indicated == Fraction(2, 10)
    line = event_line(events[0][1], None)
    assert line.startswith(
        "FLIP INDICATED. Indication, not a projection: each county's swing since 2016 applied to the 2016 vote"
    )
    assert line.endswith("gives D+20.0: on 2016 turnout the state would flip to the Democrats")
    assert mem.flip_indicated and mem.flip_passes == 1


def test_the_indication_is_withdrawn_once_and_hysteresis_ignores_a_hover():
    # D+20 → exactly even (inside the 0.5-point band: nothing) → R+10 (withdrawn) → D+20 (again).
    seq = [_counties(10, 600, 400), _counties(10, 450, 450), _counties(10, 400, 500), _counties(10, 600, 400)]
    events, mem = _flip_events(seq, flip_min_counties=10)
    assert [(step, e.details["flips"]) for step, e in events] == [(0, True), (2, False), (3, True)]
    assert event_line(events[1][1], None).startswith("Flip indication withdrawn. ")
    assert len({e.key for _, e in events}) == 3 and mem.flip_passes == 2


def test_no_indication_once_the_race_is_called_or_every_county_is_in():
    ctx = ContextSettings(baselines={"XX": _toy_baseline()}, flip_min_counties=1)
    race = _toy_race(_counties(12, 600, 400))
    race = replace(race, units=tuple(replace(u, precincts_reporting=u.precincts_total) for u in race.units))
    result = evaluate("toy", None, race, RaceMemory(), RuleSettings(context=ctx), None, {race.key: race})
    assert not [e for e in result.events if e.kind is EventKind.FLIP_INDICATION]
    called = replace(_toy_race(_counties(10, 600, 400)), winners=("d",), call_status=CallStatus.CALLED)
    result = evaluate("toy", None, called, RaceMemory(), RuleSettings(context=ctx), None, {called.key: called})
    assert not [e for e in result.events if e.kind is EventKind.FLIP_INDICATION]


# --- bad baselines never invent a swing ---------------------------------------------------------


def test_a_county_missing_from_the_baseline_completes_without_a_swing_and_one_log_line(caplog):
    full = load_baseline_csv(SHIPPED)
    without = Baseline({f: c for f, c in full.counties.items() if c.county != "Jefferson"}, label="2016")
    snaps = load_scenario()
    # the shipped snapshots carry FIPS codes; drop Jefferson's so it cannot be matched either way
    caplog.set_level(logging.WARNING, logger="bot.core.swing")
    events, _, _ = replay(context(baselines={"AL": without}), snaps)
    _, event, facts = next(
        t for t in events if t[1].kind is EventKind.COUNTY_COMPLETE and t[1].details["unit"] == "Jefferson"
    )
    assert event.details["swing"] is None
    assert event_line(event, facts).startswith("Jefferson: all precincts in — ")
    missing = [r for r in caplog.records if "has no county 'Jefferson'" in r.getMessage()]
    assert len(missing) == 1


def test_a_zero_vote_baseline_county_gets_no_swing():
    full = load_baseline_csv(SHIPPED)
    zeroed = Baseline(
        {f: (BaselineCounty(f, c.county, 0, 0, 0) if c.county == "Jefferson" else c) for f, c in full.counties.items()},
        label="2016",
    )
    events, _, _ = replay(context(baselines={"AL": zeroed}))
    _, event, _ = next(t for t in events if t[1].kind is EventKind.COUNTY_COMPLETE and t[1].details["unit"] == "Jefferson")
    assert event.details["swing"] is None


# --- configuration -------------------------------------------------------------------------------


FEEDS = [{"name": "a", "kind": "json", "url": "http://127.0.0.1:1/x"}]


def test_config_context_loads_the_baseline_and_seats():
    s = settings_from_dict(
        {"feeds": FEEDS, "context": {"seats": "config/seats.toml", "baselines": [{"races": ["al"], "file": str(SHIPPED)}]}}
    )
    ctx = rule_settings(s).context
    assert set(ctx.baselines) == {"AL"} and ctx.baselines["AL"].label == "2016"
    assert ctx.seats is not None and "senate" in ctx.seats.chambers
    assert rule_settings(settings_from_dict({"feeds": FEEDS})).context == ContextSettings()


@pytest.mark.parametrize(
    "context_cfg, named",
    [
        ({"baselines": [{"races": ["AL"], "file": "no/such/baseline.csv"}]}, "context.baselines.0"),
        ({"baselines": [{"races": ["AL"], "scenario": "no-such-scenario"}]}, "context.baselines.0"),
        ({"seats": "no/such/seats.toml"}, "context.seats"),
    ],
)
def test_a_bad_context_file_is_one_config_error_naming_the_key(context_cfg, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        rule_settings(settings_from_dict({"feeds": FEEDS, "context": context_cfg}))


def test_a_baseline_needs_exactly_one_source():
    with pytest.raises(ConfigError, match="exactly one of file"):
        settings_from_dict(
            {"feeds": FEEDS, "context": {"baselines": [{"races": ["AL"], "file": str(SHIPPED), "scenario": "y"}]}}
        )
