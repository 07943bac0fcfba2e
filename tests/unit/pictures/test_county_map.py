"""The county maps, checked by what they colour: every Alabama county by the swing module's own
numbers, matched to its shape by FIPS or, without one, by name; counties not in yet hatched."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from bot.core.model import Level
from bot.core.swing import race_swing
from bot.render.county_map import map_figure, margin_data, margin_map, swing_data, swing_map
from bot.render.county_shapes import SHAPES, ShapesError, state_shapes
from tests.unit.pictures.alabama import baseline, night, race


def _collection(fig, gid: str):  # noqa: ANN001, ANN202
    found = [c for ax in fig.axes for c in ax.collections if c.get_gid() == gid]
    return found[0] if found else None


def test_the_shapes_ship_small_and_hold_alabamas_67_counties() -> None:
    assert SHAPES.stat().st_size < 2_000_000
    al = state_shapes("AL")
    assert len(al.counties) == 67 and al.counties["01073"].name == "Jefferson"
    x0, y0, x1, y1 = al.bounds
    # Alabama spans about 30.2°–35.0° N and 3.6° of longitude; at cos(32.6°) that is ~3.0 wide
    assert 30.1 < y0 < 30.3 and 34.9 < y1 < 35.1
    assert 2.8 < (x1 - x0) < 3.2
    assert state_shapes("alabama") is al
    with pytest.raises(ShapesError):
        state_shapes("Atlantis")


def test_the_swing_map_colours_all_67_counties_towards_the_democrats() -> None:
    data = swing_data(race(), baseline())
    assert data is not None
    assert len(data.values) == 67 and not data.not_in and not data.without
    assert all(v > 0 for v in data.values.values())
    rs = race_swing(race(), baseline())
    assert {s.fips: float(s.swing * 100) for s in rs.counties} == dict(data.values)
    fig = map_figure(race(), data, state_shapes("AL"))
    valued = _collection(fig, "counties:valued")
    colours = valued.get_facecolors()
    assert len(colours) == 67
    assert all(b > r for r, _, b, _ in colours)  # blue: towards the Democrats
    assert _collection(fig, "counties:not-in") is None


def test_counties_with_nothing_reported_are_hatched() -> None:
    early = night()[3].races["AL-1000"]
    data = swing_data(early, baseline())
    assert data is not None
    reported = {u.fips for u in early.units if u.level is Level.COUNTY and u.total_votes > 0}
    assert set(data.values) == reported and len(reported) == 19
    assert len(data.not_in) == 48 and data.not_in.isdisjoint(reported)
    fig = map_figure(early, data, state_shapes("AL"))
    hatched = _collection(fig, "counties:not-in")
    assert hatched is not None and hatched.get_hatch() == "///" and len(hatched.get_paths()) == 48


def test_a_feed_without_fips_lands_on_the_same_counties_by_name() -> None:
    def nameless(unit):  # noqa: ANN001, ANN202
        if unit.level is not Level.COUNTY:
            return unit
        name = {"St. Clair": "Saint Clair County", "DeKalb": "De Kalb"}.get(unit.name, unit.name)
        return replace(unit, id=f"county-{unit.name}", fips=None, name=name)

    r = race()
    by_name = replace(r, units=tuple(nameless(u) for u in r.units))
    assert swing_data(by_name, baseline()) == swing_data(r, baseline())
    assert margin_data(by_name) == margin_data(r)


def test_the_margin_map_is_each_countys_jones_minus_moore() -> None:
    r = race()
    data = margin_data(r)
    assert data is not None and len(data.values) == 67
    for unit in r.units:
        if unit.level is Level.COUNTY:
            want = Fraction(unit.votes["jones"] - unit.votes["moore"], unit.total_votes) * 100
            assert data.values[unit.fips] == float(want)
    assert sum(1 for v in data.values.values() if v > 0) == 25


def test_the_maps_are_deterministic_pictures_with_their_numbers_in_words() -> None:
    swing = swing_map(race(), baseline())
    assert swing is not None and swing == swing_map(race(), baseline())
    assert "all 67 counties moved towards the Democrats" in swing.alt_text
    assert "R+27.6 then, D+1.5 now, a swing of 29.2 points towards the Democrats" in swing.alt_text
    margins = margin_map(race())
    assert margins is not None and margins.png == margin_map(race()).png
    assert "Jones ahead in 25, Moore in 42" in margins.alt_text
    assert swing.filename == "al-u-s-senate-2017-swing-map.png"
    assert margins.filename == "al-u-s-senate-2017-margin-map.png"


def test_a_county_with_no_shape_is_named_in_the_alt_text_not_guessed() -> None:
    r = race()
    jefferson = next(u for u in r.units if u.fips == "01073")
    newer = replace(jefferson, id="01999", fips="01999", name="Nowhere")
    with_newer = replace(r, units=(*r.units, newer))
    data = swing_data(with_newer, baseline())
    assert data is not None and data.no_shape == ("Nowhere",)
    assert len(data.values) == 67
    picture = margin_map(with_newer)
    assert picture is not None and "no shape in the 2017 county file): Nowhere." in picture.alt_text
