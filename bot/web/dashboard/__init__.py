"""The supervisors' web dashboard: read-only pages in an aiohttp sub-application mounted at
/dashboard (routes.py), opened with the one-time link `/dashboard` sends in a private chat
(handlers/dashboard.py)."""

from bot.web.dashboard.routes import mount
from bot.web.dashboard.site import Site

__all__ = ["Site", "mount"]
