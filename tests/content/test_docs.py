"""The docs the code points to exist (issue 19 item 8): every "DOMAIN.md §N" names a section of
docs/DOMAIN.md, which carries the policy's six tasks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "docs" / "DOMAIN.md"
SIX_TASKS = (
    "加强心理健康教育",
    "开展心理健康监测",
    "及早开展有效关爱",
    "畅通转介诊疗通道",
    "强化跟进服务帮扶",
    "健全心理健康服务阵地",
)
SEARCHED = ("bot", "handlers", "scheduler", "content", "tests/unit", "tests/e2e", "README.md")


def _referring_files() -> list[Path]:
    files: list[Path] = []
    for name in SEARCHED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        else:
            files.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix in {".py", ".md", ".yaml", ".j2"}
            )
    return files


def test_domain_md_exists_and_carries_the_six_tasks() -> None:
    text = DOMAIN.read_text("utf-8")
    assert "民发〔2023〕61号" in text
    table = text.split("## 1.")[1].split("## 2.")[0]
    for task in SIX_TASKS:
        assert task in table, task


def test_every_reference_names_docs_domain_md_and_an_existing_section() -> None:
    sections = {
        int(n) for n in re.findall(r"^## (\d+)\. ", DOMAIN.read_text("utf-8"), re.MULTILINE)
    }
    seen = 0
    for path in _referring_files():
        text = path.read_text("utf-8", errors="replace")
        for match in re.finditer(r"(\S*)DOMAIN\.md\)?\s*§(\d+)(?:–(\d+))?", text):
            seen += 1
            where = f"{path.relative_to(ROOT)}: {match.group(0)}"
            assert match.group(1).endswith("docs/"), where
            for n in filter(None, (match.group(2), match.group(3))):
                assert int(n) in sections, where
    assert seen >= 20  # the code does lean on it
