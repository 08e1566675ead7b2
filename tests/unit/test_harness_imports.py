"""Test files import what they share from the harness modules (docs/testing.md, "Shared
helpers"), never from another test file or a conftest: importing a test module runs its
collection-time work and drags in its imports, and a helper kept in one test file gets copied
into the next instead of found."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A test module or a conftest, wherever under tests/ it is.
FROM_A_TEST = re.compile(
    r"^\s*(?:from\s+tests(?:\.\w+)*\.(?:test_\w+|conftest)\s+import"
    r"|import\s+tests(?:\.\w+)*\.(?:test_\w+|conftest)\b)",
    re.MULTILINE,
)


def sources() -> list[Path]:
    found = list((ROOT / "bench").glob("*.py"))
    for folder, subfolders, files in os.walk(ROOT / "tests"):
        # The blind evaluation sets are read by bench/triage.py alone, not even walked here.
        subfolders[:] = [d for d in subfolders if d != "blind"]
        found += [Path(folder) / f for f in files if f.endswith(".py")]
    return found


def test_the_pattern_knows_a_test_import_when_it_sees_one() -> None:
    assert FROM_A_TEST.search("from tests.e2e.test_helpline import make_staff")
    assert FROM_A_TEST.search("    from tests.sandbox.conftest import RawApi")
    assert FROM_A_TEST.search("import tests.unit.test_reports")
    assert not FROM_A_TEST.search("from tests.e2e.crisis import make_staff")
    assert not FROM_A_TEST.search("from tests.triage import load_examples")


def test_no_file_imports_from_a_test_module_or_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in sources()
        for match in FROM_A_TEST.finditer(path.read_text("utf-8"))
    ]
    assert not offenders, "move what they share into a harness module:\n" + "\n".join(offenders)
