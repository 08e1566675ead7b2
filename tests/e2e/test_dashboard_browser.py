"""The dashboard in a real browser: headless Chromium over the DevTools protocol (tests/e2e/
cdp.py says why not Selenium). A supervisor asks for a link on the sandbox's web page, signs
in, opens the queue, a case and a child's file (the access log gets its rows), downloads the
CSV, switches language and signs out; used, forged and expired links are refused. Every
screenshot is decoded and must not be blank.

Set XINQIAO_SCREENSHOTS=1 to refresh docs/dashboard.png (the picture in docs/oversight.md) from
the run.
Without Chromium on the machine, these tests skip and say so (`.ci/run` installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import FileAccessRow
from tests.e2e.cdp import Browser, assert_not_blank, downloaded, find_chromium
from tests.e2e.commands import drain_output, read_until
from tests.e2e.dashboard_support import (
    CHILD_WORDS,
    NOTE_WORDS,
    Seeded,
    base_url,
    dashboard_world,
    seed,
)
from tests.e2e.harness import World, free_port, stop_demo

CHROMIUM = find_chromium()
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found: `apt-get install chromium` (CI does) or set CHROMIUM=<path>",
)


@contextlib.asynccontextmanager
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    async with Browser.launch(CHROMIUM, tmp_path / "chromium") as b:
        yield b


async def shot(b: Browser, folder: Path, name: str, full_page: bool = False) -> bytes:
    await b.fonts_ready()
    png = await b.screenshot(folder / f"{name}.png", full_page=full_page)
    assert_not_blank(png, name)
    return png


async def link_from_sandbox_page(b: Browser, pane: int) -> str:
    """Type /dashboard in a pane of the sandbox's page, as a person would, and read the link
    out of the bot's answer there."""
    await b.wait_for(f"document.querySelectorAll('.pane').length > {pane}")
    await b.wait_for(
        f"document.querySelectorAll('.pane')[{pane}].querySelector('form.composer') !== null"
    )
    before = int(
        await b.eval(
            f"document.querySelectorAll('.pane')[{pane}]"
            ".querySelectorAll('a[href*=\"/dashboard/login\"]').length"
        )
    )
    await b.eval(
        f"(() => {{ const p = document.querySelectorAll('.pane')[{pane}];"
        " p.querySelector('textarea').value = '/dashboard';"
        " p.querySelector('form.composer').requestSubmit(); return true; })()"
    )
    found = await b.wait_for(
        f"(() => {{ const a = document.querySelectorAll('.pane')[{pane}]"
        ".querySelectorAll('a[href*=\"/dashboard/login\"]');"
        f" return a.length > {before} ? a[a.length - 1].href : ''; }})()",
        timeout=15,
    )
    return str(found)


async def access_rows(world: World) -> list[tuple[str, str, int | None, int]]:
    async with world.uow() as u:
        rows = await u.session.execute(  # type: ignore[attr-defined]
            select(
                FileAccessRow.what,
                FileAccessRow.via,
                FileAccessRow.viewer_id,
                FileAccessRow.subject_id,
            ).order_by(FileAccessRow.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


# One backend is enough for a browser: the HTTP tests run on both.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_supervisor_uses_the_dashboard_in_a_browser(db_url: str, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    async with dashboard_world(db_url) as world:
        seeded: Seeded = await seed(world)
        me = seeded.supervisor_id
        async with browser(tmp_path) as b:
            # The sandbox page: the supervisor's private chat with the bot.
            admin = world.admin["id"]
            await b.goto(f"{world.sandbox.base_url}/?pane=督导|{admin}|{admin}")
            link = await link_from_sandbox_page(b, 0)
            assert link.startswith(f"{base_url(world)}/dashboard/login?t=")
            await shot(b, shots, "sandbox")

            # Sign in: the link opens a page with a button; the button signs in.
            await b.goto(link)
            assert "登录督导看板" in await b.text()
            await shot(b, shots, "login")
            await b.click("button.primary")
            assert await b.url() == f"{base_url(world)}/dashboard/"
            assert not await b.eval("document.cookie")  # HttpOnly: no script can read it
            queue = await b.text()
            for code in seeded.case_codes:
                assert code in queue
            assert "张老师" in queue and "城关镇儿童之家" in queue and CHILD_WORDS not in queue
            png = await shot(b, shots, "queue")
            if os.environ.get("XINQIAO_SCREENSHOTS"):
                (ROOT / "docs" / "dashboard.png").write_bytes(png)

            # A case, then the child's file from it: both views are logged.
            case = seeded.case_codes[3]
            await b.click(f'a[href="/dashboard/cases/{case}"]')
            text = await b.text()
            assert f"个案 {case}" in text and "已接受" in text and NOTE_WORDS not in text
            await shot(b, shots, "case", full_page=True)
            await b.click('dd a[href^="/dashboard/file/"]')
            text = await b.text()
            assert seeded.child_codes[3] in text and "查阅记录" in text
            await shot(b, shots, "file")
            assert await access_rows(world) == [
                ("case", "dashboard", me, seeded.child_ids[3]),
                ("file", "dashboard", me, seeded.child_ids[3]),
            ]
            # The search box opens another child's file by code.
            await b.eval(
                f"document.querySelector('input[name=ref]').value = '{seeded.child_codes[0]}'"
            )
            await b.click("form.find button")
            assert "PHQ-A（情绪低落）" in await b.text()
            assert (await access_rows(world))[-1] == ("file", "dashboard", me, seeded.child_ids[0])

            # Follow-ups and referrals.
            await b.click('a[href="/dashboard/followups"]')
            assert "已逾期" in await b.text()
            await b.click('a[href="/dashboard/referrals"]')
            assert "就近综合医院或儿童医院的心理门诊" in await b.text()

            # Reports: the chart loads, and the CSV downloads de-identified.
            await b.click('a[href="/dashboard/reports"]')
            await b.wait_for(
                "(() => { const i = document.querySelector('img.chart');"
                " return i && i.complete && i.naturalWidth > 500; })()",
                timeout=20,
            )
            await shot(b, shots, "reports", full_page=True)
            downloads = tmp_path / "downloads"
            await b.allow_downloads(downloads)
            await b.click('a[href^="/dashboard/reports.csv"]', navigates=False)
            path = await downloaded(downloads, ".csv")
            raw = path.read_text("utf-8-sig")
            rows = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO(raw))}
            # In the supervisor's language (issue 19), for the civil-affairs office to read.
            assert rows[("新开个案（按级别）", "合计")] == "5"
            assert rows[("新开个案（按级别）", "红")] == "<5"  # two: too few to publish
            assert rows[("首次回复用时：中位数（分钟）", "")] == "n<5"
            forbidden = [*seeded.child_codes, *seeded.case_codes, "王督导", "张老师", "李老师"]
            assert not any(s in raw for s in [*forbidden, CHILD_WORDS, NOTE_WORDS])

            # English, and the choice is kept for the session.
            await b.click('form[action="/dashboard/lang"] button')
            assert await b.eval("document.documentElement.lang") == "en"
            assert "Reports" in await b.text()
            await b.click('a[href="/dashboard/"]')
            assert "Queue and open cases" in await b.text()
            await shot(b, shots, "queue-en")

            # Sign out: the dashboard is closed again.
            await b.click('form[action="/dashboard/logout"] button')
            assert "signed out" in await b.text()
            assert await b.status_of("/dashboard/") == 401
            await b.goto(f"{base_url(world)}/dashboard/cases/{case}")
            assert case not in await b.text()

            # The link again (used), a forged one, and an expired one: a refusal, no session.
            await b.goto(link)
            assert "无法使用" in await b.text()
            assert await b.status_of(link) == 403
            await shot(b, shots, "refused")
            forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
            await b.goto(forged)
            assert "无法使用" in await b.text()
            assert await b.status_of(forged) == 403
            await b.goto(f"{world.sandbox.base_url}/?pane=督导|{admin}|{admin}")
            fresh = await link_from_sandbox_page(b, 0)
            world.clock.advance(minutes=11)
            await b.goto(fresh)
            assert "无法使用" in await b.text()
            assert await b.status_of("/dashboard/") == 401
    print(f"\nscreenshots: {shots}")


async def test_the_demo_prints_a_link_and_its_page_gives_a_new_one(tmp_path: Path) -> None:
    """`python -m bot demo` as a person starts it: the link it prints signs in; the demo page
    has the supervisor's phone, where /dashboard gives a fresh link."""
    shots = tmp_path / "screenshots"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "WEBHOOK_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        str(port),
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        printed = await read_until(process, re.compile(r"/dashboard/login\?t=\S+"), 60)
        link = re.search(r"http\S+/dashboard/login\?t=\S+", printed)
        page = re.search(r"open (http://\S+)/", printed)
        assert link and page, printed
        # Keep reading what the demo logs, so that a full pipe never stalls it.
        drain = asyncio.create_task(drain_output(process))
        async with browser(tmp_path) as b:
            await b.goto(page.group(1) + "/")
            await b.wait_for("document.querySelectorAll('.pane').length === 4")
            text = await b.text()
            assert "/dashboard" in text  # the page says what to try
            await shot(b, shots, "demo-page")
            await b.goto(link.group(0))
            await b.click("button.primary")
            assert "队列" in await b.text()
            await shot(b, shots, "demo-queue")
            # The supervisor's phone on the demo page asks for another link, which works too.
            await b.goto(page.group(1) + "/")
            again = await link_from_sandbox_page(b, 3)
            assert again != link.group(0)
            await b.goto(again)
            assert "登录督导看板" in await b.text()
        drain.cancel()
    finally:
        await stop_demo(process)
    shutil.rmtree(tmp_path / "var", ignore_errors=True)
