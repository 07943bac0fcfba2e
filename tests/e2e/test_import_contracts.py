"""The import contracts (pyproject's [tool.importlinter], docs/architecture.md) hold, and break.

A contract that cannot fail guards nothing: a copy of the tree with one deliberate violation
(the core importing a feed, a handler importing the HTTP client) must make ``lint-imports`` fail
and name the broken contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed (pip install -e '.[dev]')")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.json", "*.csv")
    for top in ("bot", "handlers", "config"):
        shutil.copytree(ROOT / top, tree / top, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    done = _lint(_copy(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("bot/core/margins.py", "import bot.feeds.http", "The core is pure"),
        ("bot/core/rules.py", "import sqlalchemy", "The core is pure"),
        ("handlers/results.py", "import bot.feeds.source", "Handlers never reach a feed"),
        ("bot/store/subscriptions.py", "import bot.feeds.kinds", "Feeds and the store do not know each other"),
        ("config/settings.py", "import bot.core.states", "Config is plain data"),
    ],
)
def test_a_deliberate_violation_fails(tmp_path: Path, module: str, line: str, contract: str) -> None:
    tree = _copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # deliberate violation\n", encoding="utf-8")
    done = _lint(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{contract}" in done.stdout and "BROKEN" in done.stdout
