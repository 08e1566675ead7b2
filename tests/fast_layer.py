"""What keeps the fast layer fast: the rule by which tests/conftest.py leaves a module out
before importing it, and a pytest plugin the fast layer runs with (`dev.py test --fast`, the
pre-commit hook) that fails the run if it imported what the layer leaves to the full run.

aiogram costs seconds to import in each process, and so does hypothesis. A test that needs one
is marked slow (a whole module with `pytestmark = pytest.mark.slow`, and tests/conftest.py then
does not even import it under `-m "not slow"`). One unmarked import, at the top of a module or
inside a test, would quietly put those seconds back; this says where instead.
"""

from __future__ import annotations

import ast
import itertools
import sys
from pathlib import Path

import pytest


def left_out(path: Path, markexpr: str) -> bool:
    """Whether `-m markexpr` leaves out every test of the module at `path`, judged without
    importing it. Its own `pytestmark` marks each of its tests; when no choice of the other
    marks a test may add makes the expression true, none of them would run. Any doubt (not a
    test module, an expression with arguments, a pytest without `idents()`) says no."""
    if "(" in markexpr or path.suffix != ".py" or not path.name.startswith("test_"):
        return False
    marks = module_marks(path)
    return bool(marks) and _never_selected(markexpr, marks)


def module_marks(path: Path) -> frozenset[str]:
    """The names in a module's top-level `pytestmark = pytest.mark.x` (or a list of them)."""
    text = path.read_text("utf-8")
    if "pytestmark" not in text:
        return frozenset()
    names: set[str] = set()
    for node in ast.parse(text).body:
        if not (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "pytestmark"):
            continue
        values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
        for value in values:
            mark = value.func if isinstance(value, ast.Call) else value
            if isinstance(mark, ast.Attribute) and ast.unparse(mark.value) == "pytest.mark":
                names.add(mark.attr)
    return frozenset(names)


def _never_selected(markexpr: str, marks: frozenset[str]) -> bool:
    try:
        from _pytest.mark.expression import Expression
    except ImportError:
        return False
    expression = Expression.compile(markexpr)
    idents = getattr(expression, "idents", None)
    others = sorted(idents() - marks) if idents else []
    if not idents or len(others) > 8:
        return False
    for chosen in itertools.product((False, True), repeat=len(others)):
        present = marks | {name for name, on in zip(others, chosen, strict=True) if on}
        if expression.evaluate(present.__contains__):
            return False
    return True


# -- the plugin ---------------------------------------------------------------------------------

HEAVY = ("aiogram", "hypothesis")

_first: dict[str, str] = {}


def _note(nodeid: str) -> None:
    for name in HEAVY:
        if name not in _first and name in sys.modules:
            _first[name] = nodeid or "(the conftest files or a plugin)"


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note(report.nodeid)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    _note(item.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _note("")
    if _first:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, nodeid in _first.items():
        terminalreporter.write_line(
            f"the fast layer imported {name} (first seen after {nodeid}): mark that slow",
            red=True,
        )
