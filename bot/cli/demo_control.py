"""The demo's controls: "this week's lesson now" and "move the clock", for the demo page.

A newcomer should see a lesson, its check-in a few days later and the reminders that follow
without waiting a week or learning the command line. The page calls these routes (served by the
sandbox beside the page, see `SandboxServer(routes=...)`); the bot runs on `DemoClock`, so moving
the clock moves everything that reads time: the scheduler's jobs, the sender, the case timers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.app import App
from bot.catalog.catalog import ContentCatalog

# What the clock may be moved by, in hours: an hour, a day, a week. Never backwards: rows already
# stamped "later" would then lie.
STEPS = (1, 24, 168)
LABELS = ("title", "hint", "lesson", "hour", "day", "week")


class DemoClock:
    """Real time plus however far the demo page has moved it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, hours: int) -> None:
        self.offset += timedelta(hours=hours)


class DemoControl:
    """The routes behind the page's panel. `app` and `guardian` are set once the demo is up."""

    def __init__(
        self, catalog: ContentCatalog, locales: tuple[str, str], clock: DemoClock
    ) -> None:
        self.catalog = catalog
        self.locales = locales  # the demo's language first, then the other
        self.clock = clock
        self.app: App | None = None
        self.guardian = 0  # the grandmother's Telegram id

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/demo/control", self.show),
            web.post("/demo/control/lesson", self.lesson_now),
            web.post("/demo/control/clock", self.move_clock),
        ]

    def _both(self, key: str, **data: object) -> list[str]:
        return [self.catalog.text(key, loc, **data) for loc in self.locales]

    def _state(self, message: str = "", **data: object) -> web.Response:
        tz = ZoneInfo(self.app.settings.timezone if self.app else "Asia/Shanghai")
        now = self.clock.now().astimezone(tz)
        return web.json_response(
            {
                "ready": self.app is not None,
                "now": now.isoformat(timespec="minutes"),
                "clock": self._both("demo.control.clock", time=now.strftime("%Y-%m-%d %H:%M")),
                "moved_hours": int(self.clock.offset.total_seconds() // 3600),
                "labels": {key: self._both(f"demo.control.{key}") for key in LABELS},
                "steps": {"hour": 1, "day": 24, "week": 168},
                "message": self._both(f"demo.control.{message}", **data) if message else [],
            }
        )

    async def show(self, request: web.Request) -> web.Response:
        return self._state()

    async def lesson_now(self, request: web.Request) -> web.Response:
        if self.app is None:
            return self._state("starting")
        outcome = await self.app.services.lessons.bring_forward(self.guardian)
        self.app.delivery.nudge()
        return self._state(outcome)

    async def move_clock(self, request: web.Request) -> web.Response:
        try:
            hours = int((await request.json()).get("hours"))
        except (ValueError, TypeError, AttributeError):
            hours = 0
        if hours not in STEPS:
            return web.json_response({"error": f"hours must be one of {STEPS}"}, status=400)
        if self.app is None:
            return self._state("starting")
        self.clock.advance(hours)
        # What falls due by the new time happens now, not at the jobs' next tick (up to an hour).
        await self.app.ticker.run_all()
        self.app.delivery.nudge()
        return self._state("moved")
