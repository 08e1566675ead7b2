"""`python -m bot triage` as a reviewer or a batch job runs it: a real process, stdin to stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Settings must load (the command line reads them first), but nothing else is needed."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "STAFF_", "ADMIN_", "REDIS_"))
    }
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LOG_LEVEL": "WARNING"})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _run(
    stdin: bytes, env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "triage", *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_one_json_object_per_line(env: dict[str, str], tmp_path: Path) -> None:
    lines = ["我今晚就跳楼", "", "笑死我了", "I have the pills ready", "爸爸经常打我", "有点难过"]
    proc = _run(("\n".join(lines) + "\n").encode(), env, tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode("utf-8").splitlines()
    assert len(out) == len(lines)
    results = [json.loads(line) for line in out]
    assert all(set(r) == {"level", "categories", "matched", "action", "score"} for r in results)
    assert [r["level"] for r in results] == ["critical", "none", "none", "critical", "high", "low"]
    assert results[0]["categories"] == ["suicide"]
    assert results[4]["categories"] == ["abuse"]
    assert "跳楼" in out[0], "ensure_ascii=False: Chinese evidence stays readable"


def _actions(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    assert proc.returncode == 0, proc.stderr.decode()
    return [json.loads(line)["action"] for line in proc.stdout.decode("utf-8").splitlines()]


def test_each_line_says_what_the_bot_would_do_for_a_child(
    env: dict[str, str], tmp_path: Path
) -> None:
    lines = {
        "我今晚就跳楼": "escalate",  # critical by the lexicon
        "I want to kill myself": "escalate",
        "救救我": "escalate",  # a request for a person, as the counsellor button
        "can i talk to a real person": "escalate",
        "我想找老师聊聊": "escalate",
        "我在河边": "ask",  # a place of harm, no intent, the model unsure: the direct question
        "今天天气真好": "none",
        "can you help me with maths": "none",  # help with homework is no request
        "累死了": "none",  # hyperbole is no death word
    }
    proc = _run(("\n".join(lines) + "\n").encode(), env, tmp_path)
    assert _actions(proc) == list(lines.values())
    scores = [json.loads(line)["score"] for line in proc.stdout.decode().splitlines()]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_as_guardian_a_relayed_worry_is_asked_about(env: dict[str, str], tmp_path: Path) -> None:
    line = "孙子说他最近不想上学，在学校被人欺负\n".encode()
    assert _actions(_run(line, env, tmp_path, "--as", "guardian")) == ["ask"]
    assert _actions(_run(line, env, tmp_path)) == ["offer"]  # a child's own words: a check-in


def test_context_precedes_every_line(env: dict[str, str], tmp_path: Path) -> None:
    context = tmp_path / "earlier.txt"
    context.write_text("今天天气真好\nI have been saving up my sleeping pills\n", "utf-8")
    lines = b"what time is it\nwhat time is it\n"
    assert _actions(_run(lines, env, tmp_path)) == ["none", "none"]
    # Each line is read after the earlier messages (not after the line before it): the pills
    # stay in view for both.
    joined = _actions(_run(lines, env, tmp_path, "--context", str(context)))
    assert [a in ("escalate", "ask") for a in joined] == [True, True]


def test_a_missing_context_file_is_an_error(env: dict[str, str], tmp_path: Path) -> None:
    proc = _run(b"hello\n", env, tmp_path, "--context", str(tmp_path / "nope.txt"))
    assert proc.returncode == 2
    assert b"context file" in proc.stderr


def test_invalid_utf8_and_crlf_do_not_stop_the_batch(env: dict[str, str], tmp_path: Path) -> None:
    proc = _run(
        b"\xff\xfe broken\r\n\xe6\x88\x91\xe4\xb8\x8d\xe6\x83\xb3\xe6\xb4\xbb\xe4\xba\x86\r\n",
        env,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    levels = [json.loads(line)["level"] for line in proc.stdout.decode().splitlines()]
    assert levels == ["none", "high"]  # the second line is 我不想活了


def test_each_answer_comes_before_the_next_line_is_sent(
    env: dict[str, str], tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "triage"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for text, level in (("我想死", "high"), ("今天天气真好", "none")):
            proc.stdin.write(text.encode() + b"\n")
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline())["level"] == level
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_the_command_loads_neither_the_bot_nor_the_database(env: dict[str, str]) -> None:
    code = (
        "import sys, bot.cli.triage; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aiogram', 'sqlalchemy', 'alembic', 'aiohttp') or m.startswith('bot.db')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "[]"
