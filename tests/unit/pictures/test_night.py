"""The night's story from the history alone: the margin series and the moments the chart marks,
found by replaying the alert rules (their thresholds, hysteresis and gates) over the points."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from bot.core.events import EventKind
from bot.core.history import HistoryPoint, point_of, race_at
from bot.core.model import CallStatus
from bot.core.night import margin_series, night_moments, recount_threshold
from bot.core.rules import RecountRule
from tests.unit.pictures.alabama import history, local, race, rules


def test_a_point_is_the_statewide_row_and_the_call() -> None:
    r = race()
    point = point_of(r, r.last_updated)
    assert point is not None
    assert dict(point.votes) == {"jones": 671151, "moore": 650436, "write-ins": 22780}
    assert (point.precincts_reporting, point.precincts_total) == (2235, 2235)
    assert point.call_status is CallStatus.CALLED and point.winners == ("jones",)
    assert point.reporting_share == 1


def test_same_count_ignores_the_time_but_not_a_vote_or_the_call() -> None:
    point = history()[-1]
    assert point.same_count(replace(point, at=point.at.replace(year=2030)))
    assert not point.same_count(replace(point, votes={**point.votes, "jones": 671152}))
    assert not point.same_count(replace(point, call_status=CallStatus.NONE, winners=()))
    assert not point.same_count(replace(point, precincts_reporting=2234))
    assert not point.same_count(None)


def test_race_at_a_point_has_that_count_and_no_counties() -> None:
    point = history()[20]
    then = race_at(race(), point)
    assert then.state_unit is not None and dict(then.state_unit.votes) == dict(point.votes)
    assert then.subunits == () and then.call_status is CallStatus.NONE and then.winners == ()


def test_the_margin_series_is_jones_minus_moore_over_all_votes() -> None:
    points = history()
    series = margin_series(race(), points)
    assert series is not None
    assert (series.first.id, series.second.id) == ("jones", "moore")  # the Democrat over the Republican
    for point, margin in zip(points, series.margins, strict=True):
        total = sum(point.votes.values())
        assert margin == (Fraction(point.votes["jones"] - point.votes["moore"], total) if total else None)
    assert series.margins[-1] == Fraction(20715, 1344367)


def test_alabama_moments_are_the_nights_alerts_on_central_time() -> None:
    moments = night_moments(race(), history(), rules())
    told = [(m.kind, local(m.at), m.candidate_id) for m in moments]
    assert told == [
        (EventKind.WRITE_INS_EXCEED_MARGIN, "21:59", None),
        (EventKind.RECOUNT_ENTERED, "22:03", "moore"),
        (EventKind.LEAD_CHANGE, "22:07", "jones"),
        (EventKind.RECOUNT_LEFT, "22:15", "jones"),
        (EventKind.RACE_CALLED, "22:23", "jones"),
    ]
    points = history()
    assert all(points[m.index].at == m.at for m in moments)


def test_moments_follow_the_configured_recount_line_not_one_of_their_own() -> None:
    # Alabama's line is 0.5 %: the margin peaks inside it at 0.43 % (10:11 p.m.). At 0.4 % the
    # zone is left earlier; with no rule there is no zone at all.
    base = rules()
    tighter = replace(base, recount_rules={"AL": RecountRule("AL", Fraction(4, 1000), "test")})
    spans = [(m.kind, local(m.at)) for m in night_moments(race(), history(), tighter) if "recount" in m.kind.value]
    assert spans == [(EventKind.RECOUNT_ENTERED, "22:03"), (EventKind.RECOUNT_LEFT, "22:11")]
    none = replace(base, recount_rules={})
    assert not [m for m in night_moments(race(), history(), none) if "recount" in m.kind.value]
    assert recount_threshold(race(), base) == Fraction(1, 200)
    assert recount_threshold(race(), none) is None


def test_no_moments_before_the_count_and_none_from_an_empty_history() -> None:
    assert night_moments(race(), [], rules()) == ()
    early: list[HistoryPoint] = history(upto=5)
    assert night_moments(race(), early, rules()) == ()


def test_without_a_democrat_and_a_republican_the_pair_is_the_two_leaders_at_the_end() -> None:
    r = race()
    partyless = replace(r, candidates=tuple(replace(c, party=None) for c in r.candidates))
    series = margin_series(partyless, history())
    assert series is not None
    # Jones leads at the last point, so the line is Jones − Moore here too; write-ins never count
    assert (series.first.id, series.second.id) == ("jones", "moore")
    early = history(upto=20)  # Moore leads then: the pair follows the last point given
    series = margin_series(partyless, early)
    assert series is not None and (series.first.id, series.second.id) == ("moore", "jones")
    assert all(m is None or m >= 0 for m in series.margins[1:])
