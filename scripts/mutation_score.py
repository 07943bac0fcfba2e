"""The mutation score of the core after `make mutate`, per module, from mutmut's own records.

mutmut 3 keeps each mutant's result in ``mutants/<module>.py.meta`` (the exit code of the test
run against that mutant). This reads those files, leaves out the mutants that docs/testing.md
lists as equivalent (a line ``- `bot.core.margins.x_standing__mutmut_7`: why``), and prints the
score per module and the survivors still to look at (``mutmut show <name>`` prints the change).
Run from the repository root: ``python scripts/mutation_score.py``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

MODULES = ("bot/core/margins.py", "bot/core/rules.py", "bot/core/events.py")
TARGET = 0.90
#: mutmut's exit codes: 1 and 3 are a failing test run (killed); a mutant that hangs or crashes
#: the interpreter is detected too (timeout, segfault); 0 is a survivor; 33/5 no test covers it.
KILLED = {1, 3}
DETECTED = {24, -24, 152, 255, 36, -11, -9}
SURVIVED = {0}
NO_TESTS = {5, 33}
EQUIVALENT_LINE = re.compile(r"^- `(bot\.[\w.ǁ]+__mutmut_\d+)`")


def equivalents(doc: Path) -> set[str]:
    if not doc.exists():
        return set()
    return {m.group(1) for line in doc.read_text(encoding="utf-8").splitlines() if (m := EQUIVALENT_LINE.match(line))}


def main(root: Path = Path(".")) -> int:
    judged = equivalents(root / "docs" / "testing.md")
    rows, open_survivors, below = [], [], []
    for module in MODULES:
        meta = root / "mutants" / f"{module}.meta"
        if not meta.exists():
            print(f"{meta}: missing; run `make mutate` first", file=sys.stderr)
            return 2
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        killed = sum(1 for c in codes.values() if c in KILLED or c in DETECTED)
        survivors = sorted(k for k, c in codes.items() if c in SURVIVED)
        untested = sorted(k for k, c in codes.items() if c in NO_TESTS)
        unchecked = sum(1 for c in codes.values() if c is None)
        equivalent = [k for k in survivors + untested if k in judged]
        live = len(codes) - len(equivalent) - unchecked
        score = killed / live if live else 1.0
        rows.append(
            (
                module,
                len(codes),
                killed,
                len(survivors),
                len(untested),
                len(equivalent),
                unchecked,
                killed / max(1, len(codes) - unchecked),
                score,
            )
        )
        open_survivors += [k for k in survivors + untested if k not in judged]
        if score < TARGET:
            below.append(module)
    print(
        "| module | mutants | killed | survived | no tests | equivalent | not checked | raw score | score without equivalents |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for module, n, killed, survived, untested, equivalent, unchecked, raw, score in rows:
        print(
            f"| `{module}` | {n} | {killed} | {survived} | {untested} | {equivalent} | {unchecked} | {raw:.1%} | {score:.1%} |"
        )
    if open_survivors:
        print(f"\n{len(open_survivors)} survivors not judged equivalent (mutmut show <name>):")
        for name in open_survivors:
            print(f"  {name}")
    if below:
        print(f"\nbelow {TARGET:.0%}: {', '.join(below)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
