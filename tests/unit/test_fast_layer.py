"""The fast layer's own rules: which modules `-m` lets tests/conftest.py skip before importing
them, and the pre-commit hook running the same tests as `python3 dev.py test --fast`."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

import dev
from tests.fast_layer import left_out, module_marks

HEADER = "import pytest\n\n"


def module(tmp_path: Path, body: str, name: str = "test_x.py") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, "utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "marks"),
    [
        ("pytestmark = pytest.mark.slow\n", {"slow"}),
        ("pytestmark = [pytest.mark.slow, pytest.mark.postgres]\n", {"slow", "postgres"}),
        ('pytestmark = pytest.mark.filterwarnings("ignore")\n', {"filterwarnings"}),
        ("def test_a():\n    pytestmark = pytest.mark.slow\n", set()),
        ("@pytest.mark.slow\ndef test_a():\n    pass\n", set()),
        ("# pytestmark = pytest.mark.slow\n", set()),
    ],
    ids=["one", "a list", "with arguments", "in a function", "on a test", "a comment"],
)
def test_only_a_modules_own_pytestmark_counts(tmp_path: Path, body: str, marks: set[str]) -> None:
    assert module_marks(module(tmp_path, body)) == marks


@pytest.mark.parametrize(
    ("markexpr", "skipped"),
    [
        ("not slow", True),
        ("not slow and not redis", True),
        ("slow", False),
        ("slow or not slow", False),
        ("not redis", False),  # a test of the module may carry no other mark: it would run
        ("not slow or redis", False),  # one of its tests may be marked redis as well
        ("not (slow)", False),  # brackets: collected, to be safe (arguments would need them)
    ],
)
def test_a_module_marked_slow_is_skipped_only_when_none_of_its_tests_could_run(
    tmp_path: Path, markexpr: str, skipped: bool
) -> None:
    assert left_out(module(tmp_path, "pytestmark = pytest.mark.slow\n"), markexpr) is skipped


def test_unmarked_modules_and_other_files_are_always_collected(tmp_path: Path) -> None:
    assert not left_out(module(tmp_path, "def test_a():\n    pass\n"), "not slow")
    helper = module(tmp_path, "pytestmark = pytest.mark.slow\n", "helper.py")
    assert not left_out(helper, "not slow")


def test_the_pre_commit_hook_runs_what_dev_py_test_fast_runs() -> None:
    config = yaml.safe_load((dev.ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    entry = shlex.split(hooks["fast-tests"]["entry"])
    assert entry[entry.index("pytest") + 1 :] == ["-q", "-p", "no:cacheprovider", *dev.FAST_ARGS]
