"""The night's chart, checked by what it plots: the margin line is the history's margins, the
moments sit at their points' times, the recount band is the state's line, and the bytes are the
same every time (a picture posted after a crash is the same picture)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from matplotlib.dates import date2num

from bot.core.events import EventKind
from bot.core.night import night_moments
from bot.render.chart import chart_data, chart_figure, night_chart, race_chart
from tests.unit.pictures.alabama import history, race, rules


def _artist(fig, gid: str):  # noqa: ANN001, ANN202
    found = [a for ax in fig.axes for a in (*ax.lines, *ax.patches, *ax.collections) if a.get_gid() == gid]
    assert found, f"nothing drawn with gid {gid!r}"
    return found


@pytest.fixture(scope="module")
def alabama():  # noqa: ANN201
    points = history()
    moments = night_moments(race(), points, rules())
    data = chart_data(race(), points, moments, threshold=Fraction(1, 200))
    assert data is not None
    return points, data, chart_figure(race(), data)


def test_the_plotted_margin_is_the_history_in_points(alabama) -> None:  # noqa: ANN001
    points, data, fig = alabama
    (line,) = _artist(fig, "margin")
    voted = [p for p in points if sum(p.votes.values())]
    expected = [float(Fraction(p.votes["jones"] - p.votes["moore"], sum(p.votes.values())) * 100) for p in voted]
    assert list(line.get_ydata()) == pytest.approx(expected, abs=1e-12)
    assert list(line.get_xdata()) == pytest.approx([date2num(p.at) for p in voted])
    assert expected[0] < -45 and expected[-1] == pytest.approx(1.5408, abs=1e-4)


def test_the_reporting_share_is_on_its_own_axis(alabama) -> None:  # noqa: ANN001
    points, _, fig = alabama
    (line,) = _artist(fig, "reporting")
    expected = [100 * p.precincts_reporting / p.precincts_total for p in points]
    assert list(line.get_ydata()) == pytest.approx(expected)
    assert line.axes is not fig.axes[0]


def test_moments_are_marked_where_they_happened(alabama) -> None:  # noqa: ANN001
    points, data, fig = alabama
    for kind in (EventKind.LEAD_CHANGE, EventKind.WRITE_INS_EXCEED_MARGIN):
        (moment,) = [m for m in data.moments if m.kind is kind]
        marker = _artist(fig, f"moment:{kind.value}")[-1]
        assert list(marker.get_xdata()) == [date2num(moment.at)]
    (call,) = [m for m in data.moments if m.kind is EventKind.RACE_CALLED]
    rule = _artist(fig, "moment:race_called")[0]
    assert rule.get_xdata()[0] == date2num(call.at)


def test_the_recount_band_is_half_a_point_and_the_zone_spans_10_03_to_10_15(alabama) -> None:  # noqa: ANN001
    _, data, fig = alabama
    assert data.band == 0.5
    (band,) = _artist(fig, "recount-band")
    assert (band.get_bbox().y0, band.get_bbox().y1) == (-0.5, 0.5)
    (zone,) = _artist(fig, "recount-zone")
    entered, left = (m.at for m in data.moments if "recount" in m.kind.value)
    assert (zone.get_bbox().x0, zone.get_bbox().x1) == pytest.approx((date2num(entered), date2num(left)))


def test_the_picture_is_deterministic_and_says_its_numbers() -> None:
    first = race_chart(race(), history(), rules())
    again = race_chart(race(), history(), rules())
    assert first is not None and again is not None
    assert first.png == again.png and first.png.startswith(b"\x89PNG")
    assert b"Software" not in first.png[:200]
    assert first.filename == "al-u-s-senate-2017-chart.png"
    alt = first.alt_text
    for fact in (
        "Doug Jones 671,151",
        "Roy Moore 650,436",
        "leads by 20,715 votes (1.54 points) of 1,344,367",
        "Roy Moore led first, from 7:31 p.m.",
        "Doug Jones took the lead at 10:07 p.m.",
        "recount zone (within 0.5 points) at 10:03 p.m.",
        "left the recount zone at 10:15 p.m.",
        "Write-ins exceeded the margin at 9:59 p.m.",
        "Called for Doug Jones at 10:23 p.m.",
    ):
        assert fact in alt
    assert ".." not in alt


def test_no_chart_without_points_and_none_without_a_recount_rule() -> None:
    assert night_chart(race(), [], []) is None
    data = chart_data(race(), history(), [], threshold=None)
    assert data is not None and data.band is None
    fig = chart_figure(race(), data)
    assert not [a for ax in fig.axes for a in ax.patches if a.get_gid() == "recount-band"]


def test_a_night_before_any_vote_and_a_tie_still_draw_and_say_so() -> None:
    from dataclasses import replace

    before = race_chart(race(), history()[:1], rules())
    assert before is not None and "No votes counted yet." in before.alt_text
    points = history()
    tied = [*points[:-1], replace(points[-1], votes={"jones": 650000, "moore": 650000, "write-ins": 22780})]
    chart = race_chart(race(), tied, rules())
    assert chart is not None
    assert "Last: Doug Jones and Roy Moore tied, 1,322,780 votes, 100 % counted." in chart.alt_text
