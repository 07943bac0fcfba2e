"""The suite itself: no test that cannot fail.

A test with no assertion passes on any behaviour, and ``assert "Ann Able" in line or "a" in
line`` passes on the letter a. This reads every test module's syntax tree (nothing is run) and
names the offenders: a test function with no ``assert``, ``pytest.raises``/``warns``/``fail`` or
call of a checking helper (``check_…``, ``assert_…``, ``expect_…``, ``verify_…``); an ``assert``
of a constant; an ``in`` test of a needle of one character or none inside an ``or``.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CHECKING_CALLS = ("raises", "warns", "fail", "deprecated_call")
CHECKING_PREFIXES = ("check", "assert", "_check", "_assert", "expect", "verify")


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if p.name.startswith("test"))


def _checks(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            return True
        if isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in CHECKING_CALLS or name.startswith(CHECKING_PREFIXES):
                return True
    return False


def _short_needles_in_an_or(test: ast.expr) -> bool:
    for child in ast.walk(test):
        if isinstance(child, ast.BoolOp) and isinstance(child.op, ast.Or):
            for part in ast.walk(child):
                if (
                    isinstance(part, ast.Compare)
                    and any(isinstance(op, ast.In) for op in part.ops)
                    and isinstance(part.left, ast.Constant)
                    and isinstance(part.left.value, str)
                    and len(part.left.value) <= 1
                ):
                    return True
    return False


def test_every_test_checks_something():
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.name.startswith("test")
                and not _checks(node)
            ):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno} {node.name}")
    assert offenders == []


def test_no_assertion_passes_on_a_constant_or_a_single_letter():
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and (isinstance(node.test, ast.Constant) or _short_needles_in_an_or(node.test)):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert offenders == []


def test_the_checks_catch_what_they_are_for():
    bad = ast.parse(
        'def test_x():\n    line = f()\n\ndef test_y():\n    assert "Ann" in s or "a" in s\n\ndef test_z():\n    assert True\n'
    )
    functions = [n for n in ast.walk(bad) if isinstance(n, ast.FunctionDef)]
    assert [_checks(f) for f in functions] == [False, True, True]
    asserts = [n for n in ast.walk(bad) if isinstance(n, ast.Assert)]
    assert [_short_needles_in_an_or(a.test) for a in asserts] == [True, False]
    assert [isinstance(a.test, ast.Constant) for a in asserts] == [False, True]
