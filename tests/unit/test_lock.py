"""The locks say what every machine installs: they must be made from pyproject.toml as it is.

A range changed in pyproject.toml without `python3 dev.py lock` would leave CI testing other
releases than the ranges promise (or none of a new dependency): this fails first.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import dev

RELOCK = "pyproject.toml and the lock disagree: run `python3 dev.py lock` and commit requirements/"


def pins(lock: Path) -> dict[str, list[Requirement]]:
    """Each package's pinned lines (one per marker: numpy may differ by Python version)."""
    found: dict[str, list[Requirement]] = {}
    lines = lock.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if not line or line[0] in " #-":
            continue
        req = Requirement(line.rstrip(" \\"))
        assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{req.name} has no hash"
        found.setdefault(canonicalize_name(req.name), []).append(req)
    return found


def declared(*extras: str) -> Iterable[Requirement]:
    wanted = dev.declared()
    optional = wanted["optional-dependencies"]
    assert isinstance(optional, dict)
    for spec in [
        *wanted["dependencies"],  # type: ignore[misc]
        *wanted["build-system"],  # type: ignore[misc]
        *(s for extra in extras for s in optional[extra]),
    ]:
        yield Requirement(spec)


@pytest.mark.parametrize("lock", [dev.DEV_LOCK, dev.RUNTIME_LOCK], ids=lambda p: p.name)
def test_each_lock_was_made_from_this_pyproject(lock: Path) -> None:
    assert dev.lock_fingerprint(lock) == dev.fingerprint(), RELOCK


@pytest.mark.parametrize(
    ("lock", "extras"),
    [(dev.DEV_LOCK, ("dev", "redis")), (dev.RUNTIME_LOCK, ("redis",))],
    ids=["dev", "runtime"],
)
def test_every_declared_range_is_pinned_within_it(lock: Path, extras: tuple[str, ...]) -> None:
    locked = pins(lock)
    for req in declared(*extras):
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in {lock.name}: {RELOCK}"
        for pin in locked[name]:
            (version,) = (s.version for s in pin.specifier)
            assert req.specifier.contains(version, prereleases=True), (
                f"{lock.name} pins {req.name} {version}, outside {req.specifier}: {RELOCK}"
            )


def test_what_is_deployed_is_what_is_tested() -> None:
    dev_pins = pins(dev.DEV_LOCK)
    for name, runtime in pins(dev.RUNTIME_LOCK).items():
        assert {str(r.specifier) for r in runtime} <= {str(r.specifier) for r in dev_pins[name]}


def test_a_changed_range_changes_the_fingerprint(tmp_path: Path) -> None:
    pyproject = (dev.ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed = tmp_path / "pyproject.toml"
    changed.write_text(pyproject.replace('"aiogram>=3.22,<4"', '"aiogram>=3.23,<4"'))
    assert changed.read_text() != pyproject
    assert dev.fingerprint(changed) != dev.fingerprint()
    # Settings of the tools are not dependencies: no new lock for them.
    tool = tmp_path / "tool.toml"
    tool.write_text(pyproject.replace("line-length = 99", "line-length = 100"))
    assert dev.fingerprint(tool) == dev.fingerprint()
