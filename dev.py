#!/usr/bin/env python3
"""The two commands of the quick start, runnable with any Python 3.11+ and nothing else.

    python3 dev.py demo    # install what is needed into .venv, then start the demo
    python3 dev.py test    # install what is needed into .venv, then run every check and test
    python3 dev.py test --thorough   # the same, with the long crash and fault runs

The virtual environment is rebuilt only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MARKER = VENV / ".xinqiao-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")

CHECKS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy"],
    ["lint-imports"],
]


def _wanted() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is what tells older Pythons
        sys.exit(f"Xinqiao needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if MARKER.exists() and MARKER.read_text() == _wanted() and PY.exists():
        return
    if not PY.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("installing Xinqiao and its tools into .venv (first run only) …", flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", ".[dev]"], check=True, cwd=ROOT)
    MARKER.write_text(_wanted())


def run(cmd: list[str]) -> int:
    exe = str(BIN / cmd[0]) if (BIN / cmd[0]).exists() else cmd[0]
    return subprocess.run([exe, *cmd[1:]], cwd=ROOT, check=False).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    ensure_env()
    if argv[0] == "demo":
        try:
            return run(["python", "-m", "bot", "demo", *argv[1:]])
        except KeyboardInterrupt:
            return 0
    args = argv[1:]
    if "--thorough" in args:  # read by tests/e2e/test_crash.py and test_faults.py
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
