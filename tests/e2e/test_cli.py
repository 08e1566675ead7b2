"""The command line as an operator uses it: real processes, real sandbox, real database."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from sandbox import SandboxClient, SandboxServer
from tests.e2e.commands import env_for, run_cli
from tests.e2e.harness import TOKEN


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ADMIN_IDS", "12,abc"),
        ("TIMEZONE", "Mars/Olympus"),
        ("BOT_TOKEN", "not-a-token"),
        ("STAFF_CHAT_ID", "12345"),
        ("DATABASE_URL", "mysql://x"),
        ("DEFAULT_LOCALE", "fr"),
        ("TELEGRAM_API_URL", "ftp://x"),
    ],
)
async def test_bad_setting_is_one_clear_line(tmp_path: Path, key: str, value: str) -> None:
    code, _, err = await run_cli("run", env=env_for(tmp_path, **{key: value}), cwd=tmp_path)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and key in lines[0], err
    assert "Traceback" not in err


async def test_missing_token_is_named(tmp_path: Path) -> None:
    code, _, err = await run_cli("run", env=env_for(tmp_path), cwd=tmp_path)
    assert code == 2 and "BOT_TOKEN" in err and "Traceback" not in err


async def test_run_answers_start_on_any_bot_api_server(tmp_path: Path) -> None:
    """`python -m bot run` with TELEGRAM_API_URL and BOT_TOKEN: how it is checked from outside."""
    async with (
        SandboxServer(bots=[(TOKEN, "outside_bot", "心桥")]) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
    ):
        env = env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=sandbox.base_url)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            user = await sb.create_user("Grace", "en")
            await sb.send_text(user["id"], "/start")
            msg = await sb.wait_for_text(user["id"], "Xinqiao", timeout=30)
            assert "welcome" in msg["text"].lower()
            assert (tmp_path / "cli.db").exists()  # created and migrated by `run` itself
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 20)
        assert proc.returncode in (0, -15)


async def test_doctor_reports_in_plain_words(tmp_path: Path) -> None:
    async with (
        SandboxServer(bots=[(TOKEN, "doc_bot", "心桥")]) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
    ):
        staff = await sb.create_user("Li")
        forum = await sb.create_group("staff", [staff["id"]], is_forum=True)
        plain = await sb.create_group("plain", [staff["id"]], is_forum=False)
        base = env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=sandbox.base_url)

        # Four doctors at once: each process pays aiogram's import time, so run them together.
        (
            (ok, ok_out, _),
            (plain_code, plain_out, _),
            (tok, tok_out, _),
            (net, net_out, _),
        ) = await asyncio.gather(
            run_cli("doctor", env={**base, "STAFF_CHAT_ID": str(forum["id"])}, cwd=tmp_path),
            run_cli("doctor", env={**base, "STAFF_CHAT_ID": str(plain["id"])}, cwd=tmp_path),
            run_cli("doctor", env={**base, "BOT_TOKEN": "999:WRONG"}, cwd=tmp_path),
            run_cli(
                "doctor", env={**base, "TELEGRAM_API_URL": "http://127.0.0.1:9"}, cwd=tmp_path
            ),
        )
        assert ok == 0, ok_out
        assert "✓ Telegram API" in ok_out and "can manage topics" in ok_out
        assert "all good" in ok_out
        assert plain_code == 1 and "Topics" in plain_out
        assert tok == 1 and "rejected BOT_TOKEN" in tok_out
        assert net == 1 and "cannot reach" in net_out


async def test_migrate_invite_and_service_point(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    code, out, _ = await run_cli("migrate", env=env, cwd=tmp_path)
    from bot.db.migrate import head_revision

    assert code == 0 and head_revision() in out
    code, out, _ = await run_cli(
        "service-point",
        "add",
        "--code",
        "SP9",
        "--name",
        "红星小学",
        "--kind",
        "school",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0 and "SP9" in out
    code, out, _ = await run_cli("service-point", "list", env=env, cwd=tmp_path)
    assert "红星小学" in out
    # A second staff group for a busy point; a group serves one point only.
    add_chat = ("service-point", "add-chat", "--code", "SP9", "--staff-chat-id")
    code, out, _ = await run_cli(*add_chat, "-100222", env=env, cwd=tmp_path)
    assert code == 0 and "-100222" in out
    code, out, _ = await run_cli(*add_chat, "-100222", env=env, cwd=tmp_path)
    assert code == 1 and "already" in out
    code, out, _ = await run_cli("service-point", "list", env=env, cwd=tmp_path)
    assert "-100222" in out
    code, out, _ = await run_cli(
        "invite",
        "child",
        "--service-point",
        "SP9",
        "--uses",
        "20",
        "--days",
        "3",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0 and "?start=" in out and "20" in out
    code, out, _ = await run_cli(
        "invite", "guardian", "--service-point", "NOPE", env=env, cwd=tmp_path
    )
    assert code == 1 and "NOPE" in out
    code, out, _ = await run_cli("migrate", "base", "--down", env=env, cwd=tmp_path)
    assert code == 0 and "base" in out


async def test_staff_roster_from_the_command_line(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    code, out, _ = await run_cli("staff", "list", env=env, cwd=tmp_path)
    assert code == 0 and "no staff yet" in out
    code, out, _ = await run_cli(
        "staff",
        "add",
        "--telegram-id",
        "777",
        "--role",
        "supervisor",
        "--name",
        "王督导",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0 and "王督导: supervisor, pseudonym number 1" in out
    code, out, _ = await run_cli(
        "staff",
        "add",
        "--telegram-id",
        "778",
        "--role",
        "counsellor",
        "--name",
        "李老师",
        "--service-point",
        "NOPE",
        env=env,
        cwd=tmp_path,
    )
    assert code == 1 and "no service point" in out
    code, out, _ = await run_cli("staff", "list", env=env, cwd=tmp_path)
    assert "777\tsupervisor\t#1\toff duty\t王督导" in out
    code, out, _ = await run_cli("staff", "remove", "--telegram-id", "777", env=env, cwd=tmp_path)
    assert code == 0 and "no longer staff" in out
    code, out, _ = await run_cli("staff", "remove", "--telegram-id", "777", env=env, cwd=tmp_path)
    assert code == 1
    code, _, err = await run_cli("staff", "add", "--telegram-id", "1", env=env, cwd=tmp_path)
    assert code == 2 and "--role" in err


async def test_staff_remove_takes_them_out_of_the_staff_groups(tmp_path: Path) -> None:
    async with (
        SandboxServer(bots=[(TOKEN, "roster_bot", "心桥")]) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
    ):
        boss = await sb.create_user("王督导")
        lee = await sb.create_user("李老师")
        group = await sb.create_group("staff", [boss["id"], lee["id"]], is_forum=True)
        env = env_for(
            tmp_path,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=sandbox.base_url,
            STAFF_CHAT_ID=str(group["id"]),
        )
        add = ("staff", "add", "--role", "counsellor", "--name", "李老师", "--telegram-id")
        code, _, err = await run_cli(*add, str(lee["id"]), env=env, cwd=tmp_path)
        assert code == 0, err
        # Without a token the groups cannot be reached: retired, and told it is not done.
        offline = {k: v for k, v in env.items() if k != "BOT_TOKEN"}
        code, out, _ = await run_cli(
            "staff", "remove", "--telegram-id", str(lee["id"]), env=offline, cwd=tmp_path
        )
        assert code == 3 and "no longer staff" in out and "BOT_TOKEN is not set" in out, out
        assert "can still read every case card" in out
        code, _, err = await run_cli(*add, str(lee["id"]), env=env, cwd=tmp_path)
        assert code == 0, err
        code, out, err = await run_cli(
            "staff", "remove", "--telegram-id", str(lee["id"]), env=env, cwd=tmp_path
        )
        assert code == 0, out + err
        assert f"main staff group ({group['id']}): removed from the group" in out, out
        [members] = [c["members"] for c in await sb.chats() if c["chat"]["id"] == group["id"]]
        assert {m["user"]["id"]: m["status"] for m in members}[lee["id"]] == "left"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["phq-a", "1", "1", "1", "1", "1", "0", "0", "0", "1"], {"total": 6, "tier": "orange"}),
        (["gad-7", "3", "3", "3", "3", "3", "0", "0"], {"total": 15, "tier": "red"}),
        (["psc-17", *["1"] * 15, "0", "0"], {"total": 15, "tier": "orange"}),
        (["who-5", "2", "2", "2", "2", "2"], {"total": 40, "tier": "orange"}),
        (["asq", "0", "1", "0", "0", "0"], {"total": 1, "tier": "orange"}),
    ],
)
async def test_score_prints_one_json_object(
    tmp_path: Path, args: list[str], expected: dict[str, object]
) -> None:
    import json

    code, out, _ = await run_cli("score", *args, env=env_for(tmp_path), cwd=tmp_path)
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"instrument", "version", "total", "subscales", "band", "tier", "flags"}
    assert result["instrument"] == args[0]
    assert {k: result[k] for k in expected} == expected


async def test_score_refuses_bad_input_with_one_line(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    code, _, err = await run_cli("score", "sdq", "1", env=env, cwd=tmp_path)
    assert code == 2 and "unknown instrument" in err
    code, _, err = await run_cli("score", "gad-7", "9", env=env, cwd=tmp_path)
    assert code == 2 and "invalid answers" in err and len(err.strip().splitlines()) == 1
