"""A local Telegram Bot API emulator for the demo, the end-to-end tests and the benchmarks.

It stands alone: aiohttp and the standard library only, nothing from the rest of the project.
It is not part of the bot's distribution (pyproject.toml's package discovery leaves it out), so
only a source checkout has it; `python -m bot demo` says so when it is missing.
"""

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer

__all__ = ["SandboxClient", "SandboxServer"]
