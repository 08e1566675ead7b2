#!/usr/bin/env python3
"""The two commands of the quick start, runnable with any Python 3.11+ and nothing else.

    python3 dev.py demo    # install what is needed into .venv, then start the demo
    python3 dev.py test    # install what is needed into .venv, then run every check and test
    python3 dev.py test --thorough   # the same, with the long crash and fault runs
    python3 dev.py test --fast       # ruff, then the unit, content and use-case tests, timed
    python3 dev.py lock    # pyproject.toml's ranges into requirements/*.lock, pins kept
    python3 dev.py lock --upgrade    # the same, taking the newest releases the ranges allow

Installs come from requirements/dev.lock: exact versions with their hashes, so every machine
and CI test the same releases. The virtual environment is rebuilt only when pyproject.toml or
the lock changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MARKER = VENV / ".xinqiao-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
UV = BIN / ("uv.exe" if os.name == "nt" else "uv")  # in the dev lock: it makes the locks
LOCKS = ROOT / "requirements"
DEV_LOCK = LOCKS / "dev.lock"  # runtime + redis + dev tools + build backend: what .venv holds
RUNTIME_LOCK = LOCKS / "runtime.lock"  # what a deployment installs (README, Deployment)
FINGERPRINT = "# pyproject-sha256: "
# The unit and content tests and the use cases, less what takes a second or more (a chart drawn,
# the lexicon compiled again, a subprocess) or imports aiogram or hypothesis: those run in the
# full `test`. Hypothesis's own plugin would import it (seconds) only to print its summary;
# tests/fast_layer.py fails the run if anything imports either after all.
FAST_ARGS = [
    *("tests/unit", "tests/content", "tests/usecases", "-m", "not slow"),
    *("-p", "no:hypothesispytest", "-p", "tests.fast_layer"),
]

CHECKS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy"],
    ["lint-imports"],
]


def _wanted() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(DEV_LOCK.read_bytes())
    return digest.hexdigest()


def declared(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, object]:
    """What the locks are resolved from: the ranges pyproject.toml asks for."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    return {
        "requires-python": project.get("requires-python", ""),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system": data.get("build-system", {}).get("requires", []),
    }


def _build_requires() -> list[object]:
    build = declared()["build-system"]
    return list(build) if isinstance(build, list) else []


def fingerprint(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """A digest of the declared ranges only: editing ruff's settings needs no new lock, a
    changed range does (tests/unit/test_lock.py holds the locks to it)."""
    text = json.dumps(declared(pyproject), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def lock_fingerprint(lock: Path) -> str:
    if not lock.exists():
        return ""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(FINGERPRINT):
            return line.removeprefix(FINGERPRINT).strip()
    return ""


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is what tells older Pythons
        sys.exit(f"Xinqiao needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if lock_fingerprint(DEV_LOCK) != fingerprint():
        print(
            "warning: pyproject.toml's dependencies changed since requirements/dev.lock was "
            "made; run `python3 dev.py lock`",
            file=sys.stderr,
        )
    if MARKER.exists() and MARKER.read_text() == _wanted() and PY.exists():
        return
    if not PY.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("installing Xinqiao and its tools into .venv (first run only) …", flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "-q"]
    # Exact versions, each file checked against its hash; then the project itself, built with
    # the locked setuptools (no isolated build that would fetch whatever is newest).
    subprocess.run([*pip, "install", "--require-hashes", "-r", str(DEV_LOCK)], check=True)
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-build-isolation", "-e", "."], check=True, cwd=ROOT
    )
    MARKER.write_text(_wanted())


def _compile(sources: list[Path], extras: list[str], out: Path, *more: str) -> None:
    """One lock, for every platform and Python the project supports, with the hashes of every
    file of each pinned release."""
    cmd = [str(UV), "pip", "compile", "--quiet", "--universal", "--generate-hashes"]
    cmd += ["--python-version", "3.11", "--no-header", "-o", str(out)]
    for extra in extras:
        cmd += ["--extra", extra]
    subprocess.run([*cmd, *more, *map(str, sources)], check=True, cwd=ROOT)
    header = (
        "# Made by `python3 dev.py lock` from pyproject.toml; do not edit by hand.\n"
        f"{FINGERPRINT}{fingerprint()}\n"
    )
    out.write_text(header + out.read_text(encoding="utf-8"), encoding="utf-8")


def lock(args: list[str]) -> int:
    """Both locks from pyproject.toml: the versions pinned now are kept where the ranges still
    allow them, or, with --upgrade, the newest releases the ranges allow are taken."""
    if not UV.exists():
        ensure_env()
    upgrade = ["--upgrade"] if "--upgrade" in args else []
    build = LOCKS / "build.in"  # the build backend, so installs need no unpinned download
    build.write_text("\n".join(str(r) for r in _build_requires()) + "\n")
    sources = [ROOT / "pyproject.toml", build]
    try:
        _compile(sources, ["dev", "redis"], DEV_LOCK, *upgrade)
        # The same versions as the dev lock: what is tested is what is deployed.
        _compile(sources, ["redis"], RUNTIME_LOCK, "-c", str(DEV_LOCK))
    finally:
        build.unlink()
    ensure_env()
    print("requirements/dev.lock and requirements/runtime.lock are up to date")
    return 0


def run(cmd: list[str]) -> int:
    exe = str(BIN / cmd[0]) if (BIN / cmd[0]).exists() else cmd[0]
    return subprocess.run([exe, *cmd[1:]], cwd=ROOT, check=False).returncode


def fast(args: list[str]) -> int:
    """The layer to run before each commit: no sandbox, no servers, no mypy."""
    started = time.monotonic()
    failed = [" ".join(c) for c in CHECKS[:2] if run(c) != 0]
    code = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *FAST_ARGS, *args])
    print(f"fast layer: {time.monotonic() - started:.1f} s", flush=True)
    if failed:
        print("failed checks: " + "; ".join(failed), file=sys.stderr)
        return 1
    return code


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "lock"):
        print(__doc__)
        return 2
    if argv[0] == "lock":
        return lock(argv[1:])
    ensure_env()
    if argv[0] == "demo":
        try:
            return run(["python", "-m", "bot", "demo", *argv[1:]])
        except KeyboardInterrupt:
            return 0
    args = argv[1:]
    if "--fast" in args:
        args.remove("--fast")
        return fast(args)
    if "--thorough" in args:  # read by tests/reliability.py (the crash and fault runs)
        args.remove("--thorough")
        os.environ["XINQIAO_THOROUGH"] = "1"
    failed = [" ".join(c) for c in CHECKS if run(c) != 0]
    code = run(["python", "-m", "pytest", *args])
    if failed:
        print("failed checks: " + "; ".join(failed), file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
