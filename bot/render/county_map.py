"""The county maps: each county's swing since the baseline election (``/results … map``, and
after a call) and each county's current margin (``/results … map margin``).

The numbers are the swing module's (``bot.core.swing``: the margin and swing arithmetic, and the
baseline's matching rule, FIPS where the feed has it and the normalized name otherwise); a
county finds its shape through the same rule, run against a ``Baseline`` of the shapes' own
FIPS and names, so a feed that names its counties ("St. Clair", "DeKalb") lands where the swing
does. Colours diverge from the Republican red through white to the Democratic blue
(``bot.core.parties``); counties with no votes yet are hatched grey.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from typing import Any

from matplotlib.collections import PatchCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from bot.core.model import Candidate, Level, Race, ReportingUnit, sum_units
from bot.core.night import margin_pair
from bot.core.parties import DEM, GOP
from bot.core.swing import Baseline, BaselineCounty, RaceSwing, county_units, party_candidates, race_swing
from bot.render.county_shapes import CountyShape, Polygon, StateShapes, state_shapes
from bot.render.figure import (
    INK,
    MUTED,
    draw_png,
    drawing,
    file_stem,
    new_figure,
    party_colour,
    party_letter,
    race_label,
    surname,
)
from bot.render.numbers import percent
from bot.render.picture import Picture
from bot.render.swing import counties_text, margin_text, points_text, results_swing_lines

NOT_IN_FILL = "#f1f1f1"
NO_SHAPE_FILL = "#d0d0d0"
#: the colour scale's end, in points, rounded up to this step from the largest county value
SCALE_STEP = 10


@dataclass(frozen=True, slots=True)
class MapData:
    """What the map colours, in points, by the shape's FIPS: checked by tests."""

    kind: str  # "swing" or "margin"
    values: Mapping[str, float]  # counties with a value
    not_in: frozenset[str]  # counties with no votes yet (hatched)
    #: counties with votes but no value (no baseline row, no shape match): grey, said in the alt text
    without: frozenset[str]
    limit: float  # the colour scale runs from −limit to +limit
    low: Candidate | None  # whose colour the negative end is (Republican / the second)
    high: Candidate | None
    #: the feed's counties with votes that match no shape (a county newer than the 2017 shapes)
    no_shape: tuple[str, ...] = ()


def swing_map(race: Race, baseline: Baseline, shapes: StateShapes | None = None) -> Picture | None:
    """Each county's swing since ``baseline`` (points of its margin, Dem − GOP); ``None`` when
    the race has no Democrat/Republican pair or its state has no shapes."""
    data = swing_data(race, baseline, shapes)
    if data is None:
        return None
    shapes = shapes or state_shapes(race.state)
    race = by_county(race, shapes)
    rs = race_swing(race, baseline)
    png = draw_png(lambda fig: paint_map(fig, race, data, shapes, _swing_lines(rs, baseline, data)))
    return Picture(
        png=png,
        filename=f"{file_stem(race)}-swing-map.png",
        title=f"{race_label(race)}: swing since {baseline.label} by county",
        alt_text=_swing_alt(race, baseline, data, rs),
    )


def margin_map(race: Race, shapes: StateShapes | None = None) -> Picture | None:
    """Each county's current margin (points of all votes) of the race's fixed pair (the
    Democrat over the Republican, else the two leaders); ``None`` when there is no pair."""
    data = margin_data(race, shapes)
    if data is None:
        return None
    shapes = shapes or state_shapes(race.state)
    race = by_county(race, shapes)
    png = draw_png(lambda fig: paint_map(fig, race, data, shapes, _margin_lines(race, data)))
    return Picture(
        png=png,
        filename=f"{file_stem(race)}-margin-map.png",
        title=f"{race_label(race)}: margin by county",
        alt_text=_margin_alt(race, data),
    )


def swing_data(race: Race, baseline: Baseline, shapes: StateShapes | None = None) -> MapData | None:
    pair = party_candidates(race)
    if pair is None:
        return None
    shapes = shapes or state_shapes(race.state)
    race = by_county(race, shapes)
    rs = race_swing(race, baseline)
    # the swing's county is the baseline's FIPS: the same code space as the shapes'
    values = {s.fips: float(s.swing * 100) for s in rs.counties if s.fips in shapes.counties}
    swung_units = {s.unit_id for s in rs.counties}
    not_in, without = _others(race, shapes, swung_units, values)
    return MapData("swing", values, not_in, without, _limit(values), pair[1], pair[0], _no_shape(race, shapes))


def margin_data(race: Race, shapes: StateShapes | None = None) -> MapData | None:
    pair = party_candidates(race) or margin_pair(race, [])
    if pair is None:
        return None
    first, second = pair
    shapes = shapes or state_shapes(race.state)
    race = by_county(race, shapes)
    values: dict[str, float] = {}
    units_done: set[str] = set()
    for unit in county_units(race):
        total = unit.total_votes
        fips = _shape_of(shapes, unit)
        if total <= 0 or fips is None:
            continue
        values[fips] = float(Fraction(unit.votes.get(first.id, 0) - unit.votes.get(second.id, 0), total) * 100)
        units_done.add(unit.id)
    not_in, without = _others(race, shapes, units_done, values)
    return MapData("margin", values, not_in, without, _limit(values), second, first, _no_shape(race, shapes))


def by_county(race: Race, shapes: StateShapes) -> Race:
    """The race with county rows, as the maps colour it. New England reports by town, with no
    county rows, and AP gives each town its county's FIPS: the towns are summed into their
    counties (named as the shapes name them), else a map of Massachusetts with every town in
    hatched its 14 counties "no votes yet". A race with county rows is returned as it is."""
    if county_units(race):
        return race
    towns: dict[str, list[ReportingUnit]] = {}
    for unit in race.units:
        code = (unit.fips or "").strip()
        if unit.level is Level.TOWN and code.isdigit() and len(code) <= 5:
            towns.setdefault(code.zfill(5), []).append(unit)
    if not towns:
        return race
    counties = tuple(
        replace(
            sum_units(group, fips, shapes.counties[fips].name if fips in shapes.counties else fips, Level.COUNTY), fips=fips
        )
        for fips, group in sorted(towns.items())
    )
    return replace(race, units=(*race.units, *counties))


def map_figure(race: Race, data: MapData, shapes: StateShapes) -> Figure:
    """The figure itself, for tests that read the colours drawn (collections carry gids)."""
    with drawing():
        fig = new_figure()
        paint_map(fig, race, data, shapes, [])
        return fig


def paint_map(fig: Figure, race: Race, data: MapData, shapes: StateShapes, lines: list[str]) -> None:
    cmap = _colours(data.low, data.high)
    norm = Normalize(-data.limit, data.limit)
    x0, y0, x1, y1 = shapes.bounds
    width, height = x1 - x0, y1 - y0
    box_h = 0.9
    box_w = min(0.55, box_h * width / height * fig.get_figheight() / fig.get_figwidth())
    ax = fig.add_axes((0.02, 0.05, box_w, box_h))
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_xlim(x0 - width * 0.02, x1 + width * 0.02)
    ax.set_ylim(y0 - height * 0.02, y1 + height * 0.02)
    order = sorted(shapes.counties)
    coloured = [f for f in order if f in data.values]
    hatched = [f for f in order if f in data.not_in]
    grey = [f for f in order if f not in data.values and f not in data.not_in]
    if coloured:
        ax.add_collection(
            PatchCollection(
                [_patch(shapes.counties[f]) for f in coloured],
                facecolors=[cmap(norm(data.values[f])) for f in coloured],
                edgecolors="white",
                linewidths=0.6,
                gid="counties:valued",
            )
        )
    if hatched:
        ax.add_collection(
            PatchCollection(
                [_patch(shapes.counties[f]) for f in hatched],
                facecolors=NOT_IN_FILL,
                edgecolors="#b5b5b5",
                linewidths=0.6,
                hatch="///",
                gid="counties:not-in",
            )
        )
    if grey:
        ax.add_collection(
            PatchCollection(
                [_patch(shapes.counties[f]) for f in grey],
                facecolors=NO_SHAPE_FILL,
                edgecolors="white",
                linewidths=0.6,
                gid="counties:without",
            )
        )
    if shapes.outline:
        ax.add_patch(PathPatch(_path(shapes.outline), facecolor="none", edgecolor=INK, lw=1.2, gid="state"))

    left = 0.02 + box_w + 0.04
    fig.text(left, 0.90, race_label(race), fontsize=20, fontweight="bold", va="center")
    fig.text(left, 0.82, _map_subtitle(data), fontsize=15, va="center")
    y = 0.70
    for line in lines:
        fig.text(left, y, line, fontsize=14, va="top", color=INK, wrap=False)
        y -= 0.075
    bar = fig.add_axes((left, 0.2, 0.93 - left, 0.045))
    gradient = [[i / 255 for i in range(256)]]
    bar.imshow(gradient, aspect="auto", cmap=cmap, extent=(-data.limit, data.limit, 0, 1))
    bar.set_yticks([])
    ticks = [-data.limit, 0.0, data.limit]
    bar.set_xticks(ticks, [_scale_label(t, data) for t in ticks])
    bar.tick_params(axis="x", length=0, pad=5)
    for spine in bar.spines.values():
        spine.set_visible(False)
    caption = "swing since the baseline, points" if data.kind == "swing" else "margin, points of all votes"
    fig.text(left, 0.28, caption, fontsize=12, color=MUTED, va="center")
    if data.not_in:
        fig.text(left, 0.07, "hatched: no votes yet", fontsize=12, color=MUTED, va="center")


def _scale_label(points: float, data: MapData) -> str:
    if points == 0:
        return "0"
    who = data.high if points > 0 else data.low
    letter = _letter(who) if who is not None else ""
    if data.kind == "swing":
        return f"{abs(points):g} → {letter}"
    return f"{letter}+{abs(points):g}"


def _map_subtitle(data: MapData) -> str:
    counted = len(data.values) + len(data.without)
    total = counted + len(data.not_in)
    if data.kind == "swing":
        towards_high = sum(1 for v in data.values.values() if v > 0)
        towards_low = sum(1 for v in data.values.values() if v < 0)
        words = [f"{towards_high} towards {_letter(data.high)}", f"{towards_low} towards {_letter(data.low)}"]
        return f"{counted} of {total} counties in · " + ", ".join(words)
    ahead_high = sum(1 for v in data.values.values() if v > 0)
    ahead_low = sum(1 for v in data.values.values() if v < 0)
    return (
        f"{counted} of {total} counties in · {surname(data.high)} ahead in {ahead_high}, {surname(data.low)} in {ahead_low}"
    )


def _swing_lines(rs: RaceSwing, baseline: Baseline, data: MapData) -> list[str]:
    """Like for like (``RaceSwing``): the counties in, then and now."""
    lines = []
    if rs.margin_then is not None and rs.margin_now is not None and rs.swing is not None:
        same = "" if not data.not_in else f" in these {rs.compared}"
        lines.append(f"{baseline.label}{same}: {margin_text(rs.margin_then)}")
        lines.append(f"now: {margin_text(rs.margin_now)}")
        side = "D" if rs.swing > 0 else "R"
        lines.append(f"swing: {points_text(rs.swing)} points → {side}")
    return lines


def _margin_lines(race: Race, data: MapData) -> list[str]:
    unit = race.state_unit
    if unit is None or data.high is None or data.low is None or unit.total_votes <= 0:
        return []
    lead = unit.votes.get(data.high.id, 0) - unit.votes.get(data.low.id, 0)
    leader = data.high if lead >= 0 else data.low
    share = Fraction(abs(lead), unit.total_votes)
    return [f"statewide: {_letter(leader)}+{percent(share, 1)}"]


def _swing_alt(race: Race, baseline: Baseline, data: MapData, rs: RaceSwing) -> str:
    parts = [f"{race_label(race)}: map of each county's swing since {baseline.label}."]
    parts += [line + "." for line in results_swing_lines(race, baseline)]
    if not parts[1:]:
        parts.append(counties_text(rs) + ".")
    if rs.counties:
        top = rs.counties[0]
        bottom = rs.counties[-1]
        parts.append(
            f"Largest swing towards the Democrats: {top.name}, {points_text(top.swing)} points"
            if top.swing > 0
            else f"Smallest swing: {top.name}"
        )
        parts[-1] += (
            f"; smallest: {bottom.name}, {points_text(bottom.swing)} points "
            f"towards the {'Democrats' if bottom.swing > 0 else 'Republicans'}."
            if bottom is not top
            else "."
        )
    parts += _hatched_words(data)
    return " ".join(parts)


def _margin_alt(race: Race, data: MapData) -> str:
    parts = [f"{race_label(race)}: map of each county's current margin, {_map_subtitle(data)}."]
    parts += [line[:1].upper() + line[1:] + " points." for line in _margin_lines(race, data)]
    parts += _hatched_words(data)
    return " ".join(parts)


def _hatched_words(data: MapData) -> list[str]:
    words = []
    if data.no_shape:
        n = len(data.no_shape)
        words.append(f"Not on the map ({n} with votes, no shape in the 2017 county file): {', '.join(data.no_shape)}.")
    if data.not_in:
        n = len(data.not_in)
        words.append(f"{n} {'county has' if n == 1 else 'counties have'} no votes yet (hatched).")
    if data.without:
        n = len(data.without)
        words.append(f"{n} {'county' if n == 1 else 'counties'} with votes could not be compared (grey).")
    return words


def _others(
    race: Race, shapes: StateShapes, done_units: set[str], values: Mapping[str, float]
) -> tuple[frozenset[str], frozenset[str]]:
    """The shapes with no votes yet, and those whose county has votes but no value."""
    not_in: set[str] = set()
    without: set[str] = set()
    for unit in county_units(race):
        if unit.id in done_units:
            continue
        fips = _shape_of(shapes, unit)
        if fips is None or fips in values:
            continue
        (without if unit.total_votes > 0 else not_in).add(fips)
    for fips in shapes.counties:
        if fips not in values and fips not in without:
            not_in.add(fips)
    return frozenset(not_in), frozenset(without)


def _no_shape(race: Race, shapes: StateShapes) -> tuple[str, ...]:
    return tuple(sorted(u.name for u in county_units(race) if u.total_votes > 0 and _shape_of(shapes, u) is None))


def _shape_of(shapes: StateShapes, unit: object) -> str | None:
    """The swing module's matching rule (FIPS, then the normalized name), against the shapes."""
    found, _how = _shape_index(shapes).match(unit)  # type: ignore[arg-type]  # a ReportingUnit
    return found.fips if found is not None else None


@lru_cache(maxsize=8)
def _shape_index(shapes: StateShapes) -> Baseline:
    return Baseline({f: BaselineCounty(f, c.name, 0, 0, 0) for f, c in shapes.counties.items()}, label="the shapes")


def _limit(values: Mapping[str, float]) -> float:
    top = max((abs(v) for v in values.values()), default=0.0)
    return float(max(SCALE_STEP, SCALE_STEP * -(-top // SCALE_STEP)))


def _colours(low: Candidate | None, high: Candidate | None) -> LinearSegmentedColormap:
    return LinearSegmentedColormap.from_list(
        "electionbot", [party_colour(low, GOP), "#ffffff", party_colour(high, DEM)], N=256
    )


def _patch(county: CountyShape) -> PathPatch:
    return PathPatch(_path(county.polygons))


def _path(polygons: tuple[Polygon, ...]) -> Path:
    vertices: list[tuple[float, float]] = []
    codes: list[Any] = []  # Path.MOVETO and friends are numpy uint8
    for poly in polygons:
        for ring in poly:
            if len(ring) < 3:
                continue
            vertices.extend(ring)
            vertices.append(ring[0])
            codes.extend([Path.MOVETO] + [Path.LINETO] * (len(ring) - 1) + [Path.CLOSEPOLY])
    return Path(vertices, codes)


def _letter(candidate: Candidate | None) -> str:
    return party_letter(candidate) or surname(candidate)
