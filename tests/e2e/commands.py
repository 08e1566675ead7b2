"""The bot's command line run as a real process, in an environment of the test's own, and
a running process's output read (the demo prints its sign-in link, then keeps talking)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_", "STAFF_", "ADMIN_", "REDIS_"))
    }
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LOG_LEVEL": "WARNING"})
    env.update(extra)
    # The package is installed in the test venv; this also lets a source checkout run it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


async def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


async def drain_output(process: asyncio.subprocess.Process) -> None:
    """Read a process's output to its end: a full pipe would stop it mid-write."""
    assert process.stdout is not None
    while await process.stdout.read(65536):
        pass


async def read_until(
    process: asyncio.subprocess.Process, pattern: re.Pattern[str], timeout: float
) -> str:
    """Its output up to a line matching `pattern`; on a timeout, what it printed (quoted),
    for the failure to show."""
    assert process.stdout is not None
    seen = ""

    async def read() -> str:
        nonlocal seen
        assert process.stdout is not None
        while not pattern.search(seen):
            line = await process.stdout.readline()
            if not line:
                break
            seen += line.decode("utf-8", "replace")
        return seen

    try:
        return await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        return json.dumps(seen)
