"""A pytest plugin the fast layer runs with (`dev.py test --fast`, the pre-commit hook): the run
fails if it imported what the layer leaves to the full run, and names the test that did.

aiogram costs seconds to import in each process, and so does hypothesis. A test that needs one
is marked slow (a whole module with `pytestmark = pytest.mark.slow`, and tests/conftest.py then
does not even import it under `-m "not slow"`). One unmarked import, at the top of a module or
inside a test, would quietly put those seconds back; this says where instead.
"""

from __future__ import annotations

import sys

import pytest

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
