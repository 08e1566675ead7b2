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


# The README is a front door and the rest lives in docs/ (issue 20 item 6): what they name must
# exist, or a newcomer follows a link, a path or a command into nothing.
DOC_FILES = sorted(
    [
        ROOT / "README.md",
        ROOT / "bench" / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "content").rglob("README.md"),
    ]
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
REPO_PATH = re.compile(
    r"(?<![\w/.-])((?:bot|handlers|scheduler|content|tests|bench|docs|\.ci)/[\w./-]*\w/?"
    r"|dev\.py|pyproject\.toml|\.env\.example)"
)
PLACEHOLDER = set("*<>…{}[]|")


def _headings(path: Path) -> set[str]:
    slugs: set[str] = set()
    fence = False
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"#{1,6} ", line):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return slugs


def _prose(path: Path) -> str:
    """The text outside fenced blocks (shell sessions and diagrams hold made-up examples)."""
    out, fence = [], False
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence:
            out.append(line)
    return "\n".join(out)


def test_the_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) <= 200, len(lines)
    for doc in ("architecture", "deployment", "helpline", "triage", "screening", "lessons"):
        assert f"(docs/{doc}.md)" in "\n".join(lines), doc
    assert "(docs/security-privacy.md)" in "\n".join(lines)
    assert "(bench/README.md)" in "\n".join(lines)


def test_every_link_in_the_docs_leads_somewhere() -> None:
    broken = []
    for doc in DOC_FILES:
        for target in LINK.findall(_prose(doc)):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            where = f"{doc.relative_to(ROOT)} → {target}"
            if not file.exists():
                broken.append(where)
            elif anchor and file.suffix == ".md" and anchor not in _headings(file):
                broken.append(where + " (no such heading)")
    assert not broken, "\n".join(broken)


def test_every_file_the_docs_name_exists() -> None:
    missing = []
    for doc in DOC_FILES:
        for code in CODE.findall(_prose(doc)):
            for path in REPO_PATH.findall(code):
                if PLACEHOLDER & set(path) or (ROOT / path).exists():
                    continue
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert not missing, "\n".join(missing)


def _commands() -> dict[str, set[str]]:
    """Every `python -m bot` command and its subcommands, from the parser itself."""
    import argparse

    from bot.__main__ import _parser

    def subs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    return {name: set(subs(p)) for name, p in subs(_parser()).items()}


def test_every_command_the_docs_name_exists_and_the_readme_lists_every_one() -> None:
    commands = _commands()
    wrong = []
    for doc in DOC_FILES:
        text = doc.read_text("utf-8")
        for name, sub in re.findall(r"python -m bot ([a-z][\w-]*)(?: ([a-z][\w-]*))?", text):
            if name not in commands:
                wrong.append(f"{doc.relative_to(ROOT)}: python -m bot {name}")
            elif commands[name] and sub and sub not in commands[name]:
                # a free argument (triage reads stdin; score takes an instrument) is no subcommand
                wrong.append(f"{doc.relative_to(ROOT)}: python -m bot {name} {sub}")
    assert not wrong, "\n".join(wrong)
    readme = (ROOT / "README.md").read_text("utf-8")
    unlisted = [name for name in commands if f"`python -m bot {name}" not in readme]
    assert not unlisted, unlisted
