"""`python -m bot demo` as a newcomer starts it: it says how to run commands against it, those
commands find it with no variables set, and its dashboard port is an option with a fallback.
Installed from a wheel, which leaves the sandbox out, it says it needs a source checkout."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.commands import ROOT, env_for, run_cli
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


@pytest.mark.slow
def test_the_wheel_leaves_the_sandbox_out_and_its_demo_says_so(tmp_path: Path) -> None:
    """What `pip install` ships: the bot, its adapters and its content, not the sandbox; and
    the demo of an installed bot says in one line what it needs instead of a traceback."""
    source = tmp_path / "source"
    for name in ("bot", "handlers", "scheduler", "content", "sandbox"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # A copy, so the build's own build/ and egg-info never land in (or come from) the checkout.
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "wheel", source],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "wheel").glob("xinqiao-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert [n for n in names if "sandbox" in n] == []
    assert {n.split("/")[0] for n in names if "/" in n} == {
        "bot",
        "handlers",
        "scheduler",
        "content",
        wheel.name.split("-py3")[0] + ".dist-info",
    }
    assert "content/web/dashboard.css" in names  # package data still travels with the code

    site = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", site, wheel], check=True, capture_output=True
    )
    cwd = tmp_path / "elsewhere"  # not a checkout: nothing importable from the directory
    cwd.mkdir()
    env = env_for(cwd)
    env["PYTHONPATH"] = str(site)  # the installed bot, found before the checkout's editable one
    demo = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--port", "0"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    err = demo.stderr
    assert demo.returncode == 2, (demo.stdout, err)
    assert err.strip().count("\n") == 0 and "source checkout" in err, err
    assert "Traceback" not in err and not (cwd / "var").exists()
