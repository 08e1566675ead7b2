"""`demo`: the sandbox, the bot and the scheduler on a fresh database, with a web page.

No token and no network: the bot talks to the local sandbox exactly as it would to Telegram.
The sandbox is not part of the installed package: it lives in a source checkout, beside `bot/`,
so this is the one module of the product that imports it, and only once the demo starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import App, build_app
from bot.catalog import load_catalog
from bot.catalog.fonts import FONT
from bot.cli import demo_state
from bot.cli.demo_control import DemoClock, DemoControl
from bot.config import load_settings
from bot.domain.locale import LOCALES
from bot.domain.people import Person, PersonStatus, Role, ServicePointKind, new_person_code
from bot.runtime import run_polling
from content import CONTENT_DIR

if TYPE_CHECKING:
    from sandbox import SandboxServer

TOKEN = "700000001:XINQIAO-DEMO-TOKEN"  # noqa: S105 - only the local sandbox accepts it
CHECKOUT = Path(__file__).resolve().parents[2]  # in a checkout, sandbox/ sits beside bot/
NO_SANDBOX = (
    "The demo needs a source checkout of Xinqiao (its Telegram sandbox is not installed with the "
    "package): clone the repository and run `python3 dev.py demo` there."
)


class NoSandboxError(Exception):
    """The sandbox is missing: this is an installed package, not a source checkout."""


def _find_sandbox() -> None:
    """Make `import sandbox` work, or raise NoSandboxError."""
    if importlib.util.find_spec("sandbox") is not None:
        return
    if not (CHECKOUT / "sandbox" / "__init__.py").is_file():
        raise NoSandboxError(NO_SANDBOX)
    # An editable install run from another directory: the install maps only the shipped
    # packages, but this `bot` was loaded from a checkout, and its sandbox is right beside it.
    sys.path.append(str(CHECKOUT))


def _free_port(host: str, wanted: int) -> int:
    """The wanted port if free, else any free one: a busy 8080 should not stop the demo."""
    with socket.socket() as s:
        try:
            s.bind((host, wanted))
        except OSError:
            s.bind((host, 0))
        return int(s.getsockname()[1])


async def _seed(app: App, staff_chat_id: int, counsellor_id: int, supervisor_id: int) -> int:
    """The service point and its two staff; returns the supervisor's person id."""
    supervisor = 0
    async with app.uow() as u:
        sp = await u.service_points.add(
            "DEMO-01",
            "城关镇儿童之家 (demo)",
            ServicePointKind.CHILDREN_HOME,
            region="national",
            director="王主任",
            staff_chat_id=staff_chat_id,
        )
        for tg, role, name, on_duty in [
            (counsellor_id, Role.COUNSELLOR, "李老师", True),
            (supervisor_id, Role.SUPERVISOR, "王督导", False),
        ]:
            person = await u.people.add(
                Person(
                    telegram_id=tg,
                    locale="zh_Hans",
                    code=new_person_code("S"),
                    role=role,
                    status=PersonStatus.ACTIVE,
                    service_point_id=sp.id,
                )
            )
            assert person.id is not None
            await u.staff.add(person.id, role, name, sp.id, on_duty=on_duty)
            if role is Role.SUPERVISOR:
                supervisor = person.id
        await u.commit()
    return supervisor


@dataclass
class Demo:
    """A demo that is up: the sandbox and its page, the bot (not yet polling), its controls."""

    sandbox: SandboxServer
    app: App
    control: DemoControl
    settings: dict[str, str]
    sign_in: str  # the supervisor's one-time dashboard link


def _database_url(db: str) -> str:
    """The given URL, or a fresh SQLite file; absolute, so a command run elsewhere finds it."""
    if db:
        return db
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = (Path("var") / "demo" / f"demo-{stamp}.db").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{path}"


@contextlib.asynccontextmanager
async def running_demo(args: argparse.Namespace) -> AsyncIterator[Demo]:
    """Start the sandbox, seed the people, build the bot; record where it runs (for `--demo`)
    while it does. Raises NoSandboxError outside a source checkout."""
    _find_sandbox()
    from sandbox import SandboxClient, SandboxServer

    base = load_settings()
    port = _free_port(args.host, args.port)
    # The supervisors' dashboard runs on a port of its own; a busy one falls back like --port.
    wanted = args.dashboard_port if args.dashboard_port != port else 0
    dashboard_port = _free_port(args.host, wanted)
    catalog = load_catalog(CONTENT_DIR, LOCALES, base.default_locale.value)
    locale = base.default_locale.value
    other = next(loc for loc in LOCALES if loc != locale)
    clock = DemoClock()
    control = DemoControl(catalog, (locale, other), clock)
    async with (
        SandboxServer(
            host=args.host,
            port=port,
            bots=[(TOKEN, "xinqiao_demo_bot", "心桥 Xinqiao")],
            font=FONT if FONT.is_file() else None,
            routes=control.routes(),
        ) as sandbox,
        SandboxClient(sandbox.base_url) as sb,
    ):
        grandma = await sb.create_user("奶奶", "zh-hans", last_name="张")
        child = await sb.create_user("小明", "zh-hans")
        counsellor = await sb.create_user("李老师", "zh-hans")
        supervisor = await sb.create_user("王督导", "zh-hans")
        group = await sb.create_group(
            "心桥 · 城关镇工作站",
            [counsellor["id"], supervisor["id"]],
            is_forum=True,
            admin_ids=[supervisor["id"]],
        )
        chosen = {
            "bot_token": TOKEN,
            "telegram_api_url": sandbox.base_url,
            "database_url": _database_url(args.db),
            "staff_chat_id": str(group["id"]),
            "admin_ids": str(supervisor["id"]),
            "default_locale": locale,
            "timezone": base.timezone,
            # The demo's counsellor is always on duty, and lessons are never held for the night
            # or school hours, whatever the hour you try it (21:30 in Shanghai is a European
            # afternoon).
            "duty_hours": "00:00-00:00",
            "quiet_hours": "00:00-00:00",
            "school_hours": "00:00-00:00",
            "dashboard_url": f"http://{args.host}:{dashboard_port}",
            "dashboard_listen": f"{args.host}:{dashboard_port}",
        }
        app = await build_app(load_settings(None, **chosen), clock=clock)
        supervisor_person = await _seed(app, group["id"], counsellor["id"], supervisor["id"])
        await sb.set_demo_config(
            panes=[
                {
                    "title": catalog.text("demo.guardian", locale),
                    "user_id": grandma["id"],
                    "chat_id": grandma["id"],
                },
                {
                    "title": catalog.text("demo.child", locale),
                    "user_id": child["id"],
                    "chat_id": child["id"],
                },
                {
                    "title": catalog.text("demo.staff", locale),
                    "user_id": counsellor["id"],
                    "chat_id": group["id"],
                    "user_ids": [counsellor["id"], supervisor["id"]],
                },
                {
                    "title": catalog.text("demo.supervisor", locale),
                    "user_id": supervisor["id"],
                    "chat_id": supervisor["id"],
                },
            ],
            intro="\n".join(
                catalog.text(key, loc)
                for loc in (locale, other)
                for key in ("demo.intro", "demo.dashboard")
            ),
        )
        assert app.services.dashboard is not None
        sign_in = await app.services.dashboard.link_for(supervisor_person)
        control.app, control.guardian = app, int(grandma["id"])
        environment = {key.upper(): value for key, value in chosen.items()}
        state = demo_state.write(environment)
        try:
            yield Demo(sandbox, app, control, environment, sign_in or "")
        finally:
            control.app = None
            demo_state.remove(state)


def banner(demo: Demo) -> str:
    """What the demo prints: where to look, and how to run any command against it."""
    db = demo.settings["DATABASE_URL"]
    return (
        f"\n  心桥 Xinqiao demo is running: open {demo.sandbox.base_url}/\n"
        f"  Supervisors' dashboard: sign in within 10 minutes, once, with\n"
        f"    {demo.sign_in}\n"
        f"  (later: send /dashboard in the supervisor's phone for a new link)\n"
        f"  Commands against this demo, from this directory (e.g. in another terminal):\n"
        f"    python -m bot --demo lessons run-due\n"
        f"    python -m bot --demo lessons status\n"
        f"  (database: {db}; press Ctrl-C to stop)\n"
    )


async def demo(args: argparse.Namespace) -> int:
    try:
        _find_sandbox()
    except NoSandboxError as exc:
        print(exc, file=sys.stderr)
        return 2
    async with running_demo(args) as running:
        print(banner(running), flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await run_polling(running.app)
    print("demo stopped")
    return 0
