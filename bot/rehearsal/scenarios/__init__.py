"""Recorded election nights shipped with the bot, for the demo and for tests.

A scenario is a folder of ``electionbot/1`` documents (``snapshot-001.json`` …, one per poll, in
order) plus a ``scenario.toml`` that describes it. They live inside the package so that the demo
and the test suite replay a real night with no network and no ``../shared``. The Alabama 2017
Senate special is rebuilt from the Secretary of State's county figures by
``scripts/build_al2017_scenario.py``; never edit its files by hand.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.codec import native
from bot.core.model import Snapshot

#: The folder that holds one sub-folder per scenario (a plain path: the package ships as files).
SCENARIO_DIR = Path(__file__).resolve().parent
DEFAULT_SCENARIO = "20171212_al_senate_special"
#: The feed name the demo's snapshots carry, so the store and alerts can tell them apart.
DEFAULT_FEED = "al-2017"


def scenario_path(name: str = DEFAULT_SCENARIO) -> Path:
    """The folder of one scenario. Names are folder names, never paths, because they can come
    from a command line (``python -m bot demo --scenario …``)."""
    if not name or name != Path(name).name or name.startswith((".", "_")):
        raise ValueError(f"not a scenario name: {name!r}")
    path = SCENARIO_DIR / name
    if not (path / "scenario.toml").is_file():
        known = ", ".join(available_scenarios()) or "none"
        raise FileNotFoundError(f"no scenario {name!r} in {SCENARIO_DIR} (known: {known})")
    return path


def available_scenarios() -> list[str]:
    """Every shipped scenario, by name."""
    return sorted(p.name for p in SCENARIO_DIR.iterdir() if (p / "scenario.toml").is_file())


def scenario_files(name: str = DEFAULT_SCENARIO) -> list[Path]:
    """The snapshot files of a scenario in replay order (zero-padded names sort by number)."""
    files = sorted(scenario_path(name).glob("snapshot-*.json"))
    if not files:
        raise FileNotFoundError(f"scenario {name!r} has no snapshot-*.json files")
    return files


def scenario_info(name: str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """``scenario.toml`` as a dict (dates and times come back as ``date``/``datetime``)."""
    with (scenario_path(name) / "scenario.toml").open("rb") as fh:
        return tomllib.load(fh)


def load_scenario(name: str = DEFAULT_SCENARIO, feed: str = DEFAULT_FEED) -> list[Snapshot]:
    """Every snapshot of a scenario, parsed and validated by the same parser as a live feed.

    Parsing ~50 files takes a moment, and tests and the demo ask repeatedly, so the parsed
    (immutable) snapshots are cached; each call returns a fresh list.
    """
    return list(_load(name, feed))


@lru_cache(maxsize=8)
def _load(name: str, feed: str) -> tuple[Snapshot, ...]:
    return tuple(native.parse(path.read_bytes(), feed) for path in scenario_files(name))


__all__ = [
    "DEFAULT_FEED",
    "DEFAULT_SCENARIO",
    "SCENARIO_DIR",
    "available_scenarios",
    "load_scenario",
    "scenario_files",
    "scenario_info",
    "scenario_path",
]
