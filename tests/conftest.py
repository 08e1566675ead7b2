"""Fixtures: databases on SQLite always and on PostgreSQL where one answers; the shipped
catalog, loaded once. And a module marked slow as a whole is not imported when `-m` leaves
slow tests out."""

from __future__ import annotations

import ast
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog.catalog import ContentCatalog
from bot.db import migrate
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.uow import SqlUnitOfWorkFactory
from tests import shipped
from tests.support import FixedClock, fresh_postgres, postgres_admin_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip a test module whose every test the mark expression leaves out, before importing it.

    Deselecting happens after collection, and collecting imports the module: a file that needs
    aiogram costs seconds even when none of its tests runs. A module's own `pytestmark` marks
    every test in it, so when no choice of the other marks a test may add selects one, nothing
    of the file would run. Any doubt (no expression, an expression with arguments, a pytest
    without its expression module) collects as usual.
    """
    markexpr = config.getoption("markexpr", "")
    if not markexpr or "(" in markexpr or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    marks = _module_marks(collection_path)
    return True if marks and _never_selected(markexpr, marks) else None


def _module_marks(path: Path) -> frozenset[str]:
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
    idents = getattr(expression, "idents", None)  # a recent pytest's; else collect as usual
    others = sorted(idents() - marks) if idents else []
    if not idents or len(others) > 8:
        return False
    for chosen in itertools.product((False, True), repeat=len(others)):
        present = marks | {name for name, on in zip(others, chosen, strict=True) if on}
        if expression.evaluate(present.__contains__):
            return False
    return True


@pytest.fixture(scope="session")
def catalog() -> ContentCatalog:
    """The shipped templates and translations in both languages (tests/shipped.py)."""
    return shipped.catalog()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL not available: set TEST_DATABASE_URL or run one on 127.0.0.1:5432")
    async with fresh_postgres(admin) as url:
        yield url


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database, for what only PostgreSQL has (advisory locks, killing a
    connection from outside)."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL not available: set TEST_DATABASE_URL or run one on 127.0.0.1:5432")
    async with fresh_postgres(admin) as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database."""
    eng = make_engine(db_url)
    await migrate.upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(make_sessionmaker(engine))
