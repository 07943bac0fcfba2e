"""The context's files, read at the edge: the seats table (config/seats.toml) and baseline CSVs.

The core (``bot.core.balance``, ``bot.core.swing``) parses what these read and never opens a file
itself; the settings wiring (``bot.app.settings``) calls these loaders and passes the parsed data in.
It lives in the app, not in ``config``, because it builds core types and reads bundled scenarios.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from bot.core.balance import SeatsConfig, SeatsConfigError, seats_config_from_dict
from bot.core.swing import Baseline, BaselineError, parse_baseline_csv
from config.settings import CONFIG_DIR

SEATS_TOML = CONFIG_DIR / "seats.toml"


def load_seats_config(path: str | Path = SEATS_TOML) -> SeatsConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SeatsConfigError(f"{path}: {exc}") from exc
    return seats_config_from_dict(data, where=str(path))


def load_baseline_csv(path: str | Path, label: str | None = None) -> Baseline:
    """Read a baseline file: an optional leading '#' comment (the source), then a header
    ``fips,county,dem_votes,gop_votes,total_votes`` and one row per county.

    Raises ``BaselineError`` naming the file and line for anything it cannot trust: a missing
    column, a number that is not a non-negative integer, a FIPS code that is not 1–5 digits, a
    FIPS code twice, no rows at all. Dem + GOP above the total (two Alabama 2016 counties in the
    source file) is kept as published with a logged warning.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline file: {exc}") from exc
    return parse_baseline_csv(text, label=label or _label_from_name(path.name), where=str(path))


@lru_cache(maxsize=8)
def scenario_baseline(name: str | None = None) -> Baseline | None:
    """The ``baseline-*.csv`` shipped with a scenario (the first by name), or ``None``. Cached:
    a baseline is read once per process, and its data problems are logged once. The scenarios
    are imported here, not at the top: only a config naming a scenario's baseline needs them."""
    from bot.rehearsal.scenarios import DEFAULT_SCENARIO, scenario_path

    files = sorted(scenario_path(name or DEFAULT_SCENARIO).glob("baseline-*.csv"))
    return load_baseline_csv(files[0]) if files else None


def _label_from_name(filename: str) -> str:
    """'baseline-2016-president.csv' → '2016'."""
    m = re.search(r"(?<!\d)(\d{4})(?!\d)", filename)
    return m.group(1) if m else "the baseline"
