"""The supervisors' web dashboard: `/dashboard` in a private chat sends a one-time sign-in
link (command.py); the read-only pages it opens are an aiohttp sub-application (web.py)."""

from handlers.dashboard.command import build

__all__ = ["build"]
