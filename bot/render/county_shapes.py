"""The county shapes shipped with the bot (data/us-counties.topo.json, built by
scripts/build_county_shapes.py from the Census Bureau's 2017 cartographic boundaries), decoded
one state at a time and projected for a map of that state.

Why our own few lines and not a GIS stack: TopoJSON is arcs of delta-encoded integers plus one
affine transform, and the maps need only polygons in a plane; geopandas/shapely would be tens of
megabytes for that. Projection: each state on its own, equirectangular with the longitude scaled
by the cosine of the state's middle latitude, which keeps a state the size of Alabama true to
shape within a percent or two (an equal-area conic would matter only for a whole-country map).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.core.states import lookup

SHAPES = Path(__file__).with_name("data") / "us-counties.topo.json"

Point = tuple[float, float]
Ring = tuple[Point, ...]
Polygon = tuple[Ring, ...]  # the outer ring, then any holes


class ShapesError(ValueError):
    """The shapes file cannot be read, or has no such state (the message says which)."""


@dataclass(frozen=True, slots=True)
class CountyShape:
    fips: str
    name: str
    polygons: tuple[Polygon, ...]  # projected: x east, y north, in degrees of latitude


@dataclass(frozen=True, slots=True, eq=False)  # identity: one object per state (cached), hashable
class StateShapes:
    fips: str
    postal: str
    name: str
    counties: Mapping[str, CountyShape]  # by five-digit FIPS
    outline: tuple[Polygon, ...]
    bounds: tuple[float, float, float, float]  # x0, y0, x1, y1 of the counties

    def by_name(self) -> dict[str, CountyShape]:
        return {c.name: c for c in self.counties.values()}


def state_shapes(state: str, path: Path = SHAPES) -> StateShapes:
    """The counties of ``state`` (postal code, name or FIPS), projected; cached per state."""
    found = lookup(state)
    if found is None:
        raise ShapesError(f"no such state: {state!r}")
    return _state_shapes(found.fips, found.postal, found.name, path)


@lru_cache(maxsize=8)
def _state_shapes(fips: str, postal: str, name: str, path: Path) -> StateShapes:
    topology = _topology(path)
    arcs = _decoded_arcs(path)
    counties_raw = [g for g in topology["objects"]["counties"]["geometries"] if g["id"][:2] == fips]
    states_raw = [g for g in topology["objects"]["states"]["geometries"] if g["id"] == fips]
    if not counties_raw:
        raise ShapesError(f"{path.name} has no counties for {name} (FIPS {fips})")
    geo = {g["id"]: _polygons(g, arcs) for g in counties_raw}
    outline_geo = _polygons(states_raw[0], arcs) if states_raw else ()
    if postal == "AK":  # the Aleutians cross the antimeridian: one side of it, not both edges of the map
        geo = {k: _unwrap(v) for k, v in geo.items()}
        outline_geo = _unwrap(outline_geo)
    lats = [y for polys in geo.values() for poly in polys for ring in poly for _, y in ring]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    counties = {g["id"]: CountyShape(g["id"], str(g["properties"]["name"]), _project(geo[g["id"]], k)) for g in counties_raw}
    xs = [x for c in counties.values() for poly in c.polygons for ring in poly for x, _ in ring]
    ys = [y for c in counties.values() for poly in c.polygons for ring in poly for _, y in ring]
    return StateShapes(
        fips, postal, name, MappingProxyType(counties), _project(outline_geo, k), (min(xs), min(ys), max(xs), max(ys))
    )


@lru_cache(maxsize=2)
def _topology(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ShapesError(f"cannot read the county shapes {path}: {exc}") from None
    if data.get("type") != "Topology" or "transform" not in data:
        raise ShapesError(f"{path} is not a quantized TopoJSON topology")
    return data  # type: ignore[no-any-return]  # JSON of a known shape, checked above


@lru_cache(maxsize=2)
def _decoded_arcs(path: Path) -> tuple[tuple[Point, ...], ...]:
    """Every arc in longitude/latitude: the running sum of its deltas through the transform."""
    topology = _topology(path)
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(tuple(points))
    return tuple(decoded)


def _ring(indices: Sequence[int], arcs: Sequence[tuple[Point, ...]]) -> Ring:
    points: list[Point] = []
    for index in indices:
        arc = arcs[~index][::-1] if index < 0 else arcs[index]
        points.extend(arc[1:] if points else arc)  # consecutive arcs share their end point
    return tuple(points)


def _polygons(geometry: Mapping[str, Any], arcs: Sequence[tuple[Point, ...]]) -> tuple[Polygon, ...]:
    polys = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
    return tuple(tuple(_ring(ring, arcs) for ring in poly) for poly in polys)


def _unwrap(polys: tuple[Polygon, ...]) -> tuple[Polygon, ...]:
    return tuple(tuple(tuple((x - 360 if x > 0 else x, y) for x, y in ring) for ring in poly) for poly in polys)


def _project(polys: tuple[Polygon, ...], k: float) -> tuple[Polygon, ...]:
    return tuple(tuple(tuple((x * k, y) for x, y in ring) for ring in poly) for poly in polys)
