"""Build the county shapes the maps draw: bot/render/data/us-counties.topo.json.

Source: the npm package ``us-atlas`` 3.0.1 (ISC licence, Mike Bostock), file
``counties-10m.json``: TopoJSON of the Census Bureau's cartographic boundary files, 2017 edition
(https://www2.census.gov/geo/tiger/GENZ2017/shp/, public domain), at 1:10,000,000, already
simplified and quantized by its author (topojson-simplify, then a 10⁵-step quantization of
longitude and latitude; shared borders stored once as arcs). Not projected: the bot projects
each state on its own (bot/render/county_shapes.py).

What this script does to it, and nothing more: keeps the ``counties`` (id = five-digit FIPS,
``name``) and ``states`` (id = two-digit FIPS, ``name``) collections and the arcs they use (the
``nation`` collection goes), renumbers the arcs, checks what the maps rely on (every county id
five digits under a known state, Alabama's 67 counties), records the source in the file's
``metadata`` and writes compact JSON. No further simplification: the whole country is under
1 MB as it is (the issue's budget is 2 MB).

Get the input without a browser (the npm registry is the one place it comes from):

    cd /tmp && npm pack us-atlas@3.0.1 && tar xzf us-atlas-3.0.1.tgz
    .venv/bin/python scripts/build_county_shapes.py /tmp/package/counties-10m.json

Run it again only to change the source; never edit the output by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bot" / "render" / "data" / "us-counties.topo.json"
SOURCE = {
    "package": "us-atlas",
    "version": "3.0.1",
    "file": "counties-10m.json",
    "licence": "ISC (us-atlas); the boundaries are the U.S. Census Bureau's, public domain",
    "derived_from": "U.S. Census Bureau cartographic boundary files, 2017 edition, 1:10,000,000 (GENZ2017)",
    "simplification": "as published by us-atlas (topojson-simplify, quantized to 1e5 steps per axis); "
    "nation collection dropped, arcs renumbered; no further simplification",
    "built_by": "scripts/build_county_shapes.py",
}
LIMIT_BYTES = 2_000_000


def build(topology: dict[str, Any], digest: str) -> dict[str, Any]:
    if topology.get("type") != "Topology" or "transform" not in topology:
        raise SystemExit("not a quantized TopoJSON topology (no type Topology / transform)")
    objects = topology.get("objects", {})
    if "counties" not in objects or "states" not in objects:
        raise SystemExit(f"expected counties and states collections, found {sorted(objects)}")
    kept = {name: objects[name] for name in ("counties", "states")}
    used: dict[int, int] = {}

    def remap(index: int) -> int:
        arc = ~index if index < 0 else index
        new = used.setdefault(arc, len(used))
        return ~new if index < 0 else new

    def walk(arcs: Any, depth: int) -> Any:
        return [remap(i) for i in arcs] if depth == 0 else [walk(a, depth - 1) for a in arcs]

    collections: dict[str, Any] = {}
    for name, collection in kept.items():
        geometries = []
        for g in collection["geometries"]:
            depth = {"Polygon": 1, "MultiPolygon": 2}.get(g["type"])
            if depth is None:
                raise SystemExit(f"{name} {g.get('id')}: unexpected geometry {g['type']}")
            geometries.append(
                {
                    "type": g["type"],
                    "id": g["id"],
                    "properties": {"name": g["properties"]["name"]},
                    "arcs": walk(g["arcs"], depth),
                }
            )
        geometries.sort(key=lambda g: g["id"])
        collections[name] = {"type": "GeometryCollection", "geometries": geometries}
    arcs = [None] * len(used)
    for old, new in used.items():
        arcs[new] = topology["arcs"][old]
    states = {g["id"] for g in collections["states"]["geometries"]}
    for g in collections["counties"]["geometries"]:
        if len(g["id"]) != 5 or not g["id"].isdigit() or g["id"][:2] not in states:
            raise SystemExit(f"county id {g['id']!r} is not five digits under a known state")
    alabama = sum(1 for g in collections["counties"]["geometries"] if g["id"].startswith("01"))
    if alabama != 67:
        raise SystemExit(f"Alabama has 67 counties, the source has {alabama}")
    return {
        "type": "Topology",
        "metadata": {**SOURCE, "source_sha256": digest},
        "bbox": topology.get("bbox"),
        "transform": topology["transform"],
        "objects": collections,
        "arcs": arcs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="us-atlas's counties-10m.json")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    built = build(json.loads(raw), hashlib.sha256(raw).hexdigest())
    text = json.dumps(built, separators=(",", ":"), sort_keys=False) + "\n"
    if len(text.encode()) > LIMIT_BYTES:
        raise SystemExit(f"{len(text.encode()):,} bytes: over the {LIMIT_BYTES:,}-byte budget")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    counties = len(built["objects"]["counties"]["geometries"])
    print(f"{args.out}: {len(text.encode()):,} bytes, {counties:,} counties, {len(built['arcs']):,} arcs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
