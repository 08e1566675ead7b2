"""A local Telegram Bot API emulator for the demo and end-to-end tests.

It stands alone: aiohttp and the standard library only, nothing from the rest of the project.
"""

from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer

__all__ = ["SandboxClient", "SandboxServer"]
