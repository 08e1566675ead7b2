"""Where a running demo says what it runs on, so `python -m bot --demo COMMAND` needs no setup.

The demo writes `var/demo/running.json` (beside its database) when it is ready and removes it
when it stops; `--demo` reads it and gives the command the demo's database, sandbox and token.
Kept light (no aiogram): the command line reads it before anything slow is imported.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

STATE_FILE = Path("var") / "demo" / "running.json"


class NoDemoError(Exception):
    """No demo is running here; the message says what to do."""


def write(settings: Mapping[str, str], path: Path = STATE_FILE) -> Path:
    """Record the settings a command needs to reach this demo (environment variable names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "settings": dict(settings)}, indent=2))
    tmp.replace(path)  # a reader never sees half a file
    return path


def remove(path: Path = STATE_FILE) -> None:
    """Forget the file if it is still this process's (a second demo may have taken over)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        if json.loads(path.read_text())["pid"] == os.getpid():
            path.unlink()


def environment(path: Path = STATE_FILE) -> dict[str, str]:
    """The running demo's settings, as environment variables for this command."""
    try:
        state = json.loads(path.read_text())
        pid, settings = int(state["pid"]), dict(state["settings"])
    except FileNotFoundError:
        raise NoDemoError(
            f"--demo: no demo is running from this directory ({path} is missing). Start one "
            "with `python -m bot demo` here, or run the command from where the demo runs."
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NoDemoError(f"--demo: {path} is unreadable ({exc}); restart the demo") from None
    if not _alive(pid):
        raise NoDemoError(
            f"--demo: the demo that wrote {path} (process {pid}) has stopped; start it again "
            "with `python -m bot demo`"
        )
    return {str(k): str(v) for k, v in settings.items()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
