"""`python -m bot demo` as a newcomer starts it: it says how to run commands against it, those
commands find it with no variables set, and its dashboard port is an option with a fallback."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from pathlib import Path

from tests.e2e.commands import env_for, run_cli
from tests.e2e.harness import free_port


async def start_demo(cwd: Path, *args: str) -> tuple[asyncio.subprocess.Process, str]:
    """Start the demo in `cwd` (made by the caller) and read its banner (up to "Ctrl-C")."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        "0",
        *args,
        env=env_for(cwd),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    banner = ""
    while "Ctrl-C" not in banner:
        line = await asyncio.wait_for(proc.stdout.readline(), 90)
        assert line, f"the demo stopped before it was ready: {banner}"
        banner += line.decode()
    return proc, banner


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGINT)
    await asyncio.wait_for(proc.wait(), 30)


def dashboard_port(banner: str) -> int:
    link = re.search(r"Supervisors' dashboard.*?\n\s+http://127\.0\.0\.1:(\d+)/", banner, re.S)
    assert link, banner
    return int(link.group(1))


async def test_commands_find_the_running_demo_and_the_dashboard_port_is_an_option(
    tmp_path: Path,
) -> None:
    wanted = free_port()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        (first, banner), (second, other) = await asyncio.gather(
            start_demo(tmp_path / "a", "--dashboard-port", str(taken)),
            start_demo(tmp_path / "b", "--dashboard-port", str(wanted)),
        )
        try:
            assert dashboard_port(banner) != taken  # a busy port falls back to a free one
            assert dashboard_port(other) == wanted
            # The banner names the commands; they run with nothing set but --demo (the test's
            # environment even points DATABASE_URL elsewhere, and there is no BOT_TOKEN).
            assert "python -m bot --demo lessons run-due" in banner
            cwd = tmp_path / "a"
            code, out, err = await run_cli(
                "--demo", "lessons", "run-due", env=env_for(cwd), cwd=cwd
            )
            assert code == 0 and "sent 0 of 0 claimed" in out, err
            assert not (cwd / "cli.db").exists()  # the demo's database, not the environment's
        finally:
            await asyncio.gather(stop(first), stop(second))
    assert not (tmp_path / "a" / "var" / "demo" / "running.json").exists()
    code, _, err = await run_cli(
        "--demo", "lessons", "status", env=env_for(tmp_path / "a"), cwd=tmp_path / "a"
    )
    assert code == 2 and "python -m bot demo" in err and "Traceback" not in err
