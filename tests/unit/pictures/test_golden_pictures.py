"""The pictures docs/pictures.md shows are what the code draws today, within a tolerance: a
changed font rasterizer may move a few edge pixels, a changed figure moves many. Redraw them
with ``python -m benchmarks.bench_pictures --write docs/pictures`` when a change is meant."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from bot.render.chart import race_chart
from bot.render.county_map import margin_map, swing_map
from bot.render.picture import Picture
from tests.unit.pictures.alabama import baseline, history, race, rules

DOCS = Path(__file__).resolve().parents[3] / "docs" / "pictures"
#: a pixel differs when a channel moves by more than this (0–1); at most this share may differ
PIXEL_DELTA = 0.1
MAX_DIFFERING = 0.005


def _pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def differing_share(a: bytes, b: bytes) -> float:
    x, y = _pixels(a), _pixels(b)
    if x.shape != y.shape:
        return 1.0
    return float((np.abs(x - y) > PIXEL_DELTA).any(axis=-1).mean())


def _drawn(kind: str) -> Picture:
    picture = {
        "chart": lambda: race_chart(race(), history(), rules()),
        "swing-map": lambda: swing_map(race(), baseline()),
        "margin-map": lambda: margin_map(race()),
    }[kind]()
    assert picture is not None
    return picture


@pytest.mark.parametrize("kind", ["chart", "swing-map", "margin-map"])
def test_the_documented_picture_is_what_is_drawn(kind: str) -> None:
    picture = _drawn(kind)
    golden = DOCS / picture.filename
    assert golden.is_file(), f"{golden} is missing: python -m benchmarks.bench_pictures --write docs/pictures"
    assert differing_share(picture.png, golden.read_bytes()) <= MAX_DIFFERING


def test_the_tolerance_catches_a_changed_picture() -> None:
    chart = _drawn("chart").png
    early = race_chart(race(), history(upto=40), rules())  # the night before the lead change
    assert early is not None
    assert differing_share(chart, early.png) > MAX_DIFFERING
    assert differing_share(chart, _drawn("swing-map").png) > 0.05
