"""The demo page driven in a real browser (issue 19 item 7), headless Chromium over the DevTools
protocol (tests/e2e/cdp.py). On a laptop's 1366×768 every pane's message box is on screen and
nothing hidden shows (the stray ✕); an invitation link clicked in the staff group opens in the
pane of the person chosen, or in a new pane for a new person, as "/start CODE"; the child's
phone sends a voice note and a photo and edits a message, and the bot's answers appear.

Set XINQIAO_SCREENSHOTS=1 to remake docs/demo.png (the README's picture) from `python -m bot
demo`. Without Chromium on the machine, these tests skip and say so (`.ci/run` installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.people import AgeBand, Role
from tests.e2e.cdp import Browser, find_chromium
from tests.e2e.harness import World, free_port, running_world
from tests.e2e.test_dashboard_browser import _drain, _read_until, assert_not_blank
from tests.e2e.test_helpline import ROOMY, make_staff
from tests.e2e.test_media import CHILD_SAYS
from tests.e2e.test_never_silent import LOCALE, PHONE, RISKY, SAFE_Q
from tests.e2e.test_screening import registered

CHROMIUM = find_chromium()
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found: `apt-get install chromium` (CI does) or set CHROMIUM=<path>",
)
LAPTOP = (1366, 768)
# A guardian's invitation skips "who are you?": the privacy notice comes first.
PRIVACY = {"zh": "关于您的隐私", "en": "Your privacy, in plain words"}
WHO_ARE_YOU = {"zh": "请问你是谁", "en": "Who are you"}
GUARDIAN, CHILD, STAFF = 0, 1, 2


def link_of(code: str) -> str:
    return f"https://t.me/xinqiao_test_bot?start={code}"


def pane(i: int) -> str:
    return f"document.querySelectorAll('.pane')[{i}]"


@contextlib.asynccontextmanager
async def laptop(tmp_path: Path) -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    async with Browser.launch(CHROMIUM, tmp_path / "chromium", *LAPTOP) as b:
        yield b


async def shot(b: Browser, path: Path) -> bytes:
    await b.fonts_ready()
    png = await b.screenshot(path)
    assert_not_blank(png, path.name)
    return png


async def type_in(b: Browser, i: int, text: str) -> None:
    """Type into a pane's message box and press Send, as a person would."""
    await b.eval(
        f"(() => {{ const p = {pane(i)}; p.querySelector('textarea').value = {json.dumps(text)};"
        " p.querySelector('form.composer').requestSubmit(); return true; })()"
    )


async def click_in(b: Browser, i: int, selector: str) -> None:
    found = await b.eval(
        f"(() => {{ const e = {pane(i)}.querySelector({json.dumps(selector)});"
        " if (!e) return false; e.click(); return true; })()"
    )
    assert found, f"no {selector} in pane {i}"


async def bubbles(b: Browser, i: int) -> int:
    return int(await b.eval(f"{pane(i)}.querySelectorAll('.msg').length"))


async def appears(b: Browser, i: int, words: str, after: int = 0, timeout: float = 20) -> str:
    """The text of the first message after the `after`-th in pane i that contains `words`."""
    found = await b.wait_for(
        f"[...{pane(i)}.querySelectorAll('.msg')].slice({after}).map(m => m.innerText)"
        f".find(t => t.includes({json.dumps(words)})) || ''",
        timeout=timeout,
    )
    return str(found)


async def fits_the_window(b: Browser) -> None:
    """Every pane's message box lies inside the window, and no element marked hidden shows."""
    width, height = LAPTOP
    boxes = await b.eval(
        "[...document.querySelectorAll('.pane textarea')].map(t => {"
        " const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert boxes, "no panes"
    for left, top, right, bottom in boxes:
        assert 0 <= left < right <= width and 0 <= top < bottom <= height, (boxes, LAPTOP)
    shown = await b.eval(
        "[...document.querySelectorAll('[hidden]')].filter(e => e.getClientRects().length)"
        ".map(e => e.className || e.tagName)"
    )
    assert shown == [], f"hidden yet shown: {shown}"


async def open_invitation(b: Browser, i: int, choice: str, after: int) -> str:
    """Click the newest start link in pane i, then a choice in the picker; the link."""
    link = await b.wait_for(
        f"[...{pane(i)}.querySelectorAll('.msg')].slice({after})"
        ".flatMap(m => [...m.querySelectorAll('a[href*=\"?start=\"]')])"
        ".map(a => a.getAttribute('href')).pop() || ''",
        timeout=20,
    )
    await click_in(b, i, f'.msg a[href="{link}"]')
    await b.wait_for(f"{pane(i)}.querySelector('.picker') !== null")
    await click_in(b, i, f'.picker button[value="{choice}"]')
    return str(link)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_newcomer_drives_the_demo_page(db_url: str, lang: str, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    async with running_world(db_url, **ROOMY) as world:
        await make_staff(world, world.admin, Role.SUPERVISOR)
        granny = await world.user("奶奶" if lang == "zh" else "Granny", PHONE[lang])
        child, _ = await registered(world, "小芳", Role.CHILD, AgeBand.A12_13, LOCALE[lang])
        staff = [world.admin["id"], world.counsellor["id"]]
        await world.sb.set_demo_config(
            panes=[
                {"title": "Guardian", "user_id": granny, "chat_id": granny},
                {"title": "Child", "user_id": child, "chat_id": child},
                {"title": "Staff", "user_id": staff[0], "chat_id": world.staff_chat_id,
                 "user_ids": staff},  # fmt: skip
            ]
        )
        async with laptop(tmp_path) as b:
            await b.goto(f"{world.sandbox.base_url}/")
            await b.wait_for("document.querySelectorAll('.pane form.composer').length === 3")
            await fits_the_window(b)
            for href in (link_of("ABC"), "tg://resolve?domain=xinqiao_test_bot&start=ABC"):
                found = await b.eval(f"invitation({json.dumps(href)})")
                assert found["code"] == "ABC" and found["bot"]["username"] == "xinqiao_test_bot"
            for other in (
                "https://t.me/some_other_bot?start=ABC",  # another bot: an ordinary link
                "https://example.org/xinqiao_test_bot?start=ABC",
                link_of("no spaces"),  # Telegram would not pass it as a start parameter
            ):
                assert await b.eval(f"invitation({json.dumps(other)})") is None, other

            # An invitation made in the staff group, opened in the grandmother's phone.
            await type_in(b, STAFF, "/invite guardian")
            link = await open_invitation(b, STAFF, str(granny), 0)
            code = link.rsplit("start=", 1)[1]
            await appears(b, GUARDIAN, f"/start {code}")
            await appears(b, GUARDIAN, PRIVACY[lang])
            await shot(b, shots / "invited.png")

            # The next one for someone not on the page yet: a new pane, a new person.
            seen = await bubbles(b, STAFF)
            await type_in(b, STAFF, "/invite guardian")
            link = await open_invitation(b, STAFF, "new", seen)
            await b.wait_for("document.querySelectorAll('.pane form.composer').length === 4")
            newcomer = 3
            await appears(b, newcomer, f"/start {link.rsplit('start=', 1)[1]}")
            # The new person's phone speaks the inviter's language (the staff's: Chinese).
            await appears(b, newcomer, PRIVACY["zh"])
            assert WHO_ARE_YOU["zh"] not in await b.eval(f"{pane(newcomer)}.innerText")

            # The child's phone: a voice note and a photo, each answered as what it is.
            seen = await bubbles(b, CHILD)
            await click_in(b, CHILD, "button.voice")
            await appears(b, CHILD, "🎤", seen)
            await appears(b, CHILD, CHILD_SAYS["voice"][lang], seen)
            seen = await bubbles(b, CHILD)
            await click_in(b, CHILD, "button.photo")
            await appears(b, CHILD, CHILD_SAYS["photo"][lang], seen)

            # An edit is heard again: a child may add what they could not say at first.
            seen = await bubbles(b, CHILD)
            short = "嗯" if lang == "zh" else "hm"
            await type_in(b, CHILD, short)
            last_mine = f"[...{pane(CHILD)}.querySelectorAll('.msg.mine')].pop()"
            await b.wait_for(f"{last_mine}.innerText.startsWith({json.dumps(short)})")
            count = await b.eval(f"{pane(CHILD)}.querySelectorAll('.msg.mine').length")
            await b.eval(f"{last_mine}.querySelector('.edit-link').click()")
            assert await b.eval(f"{pane(CHILD)}.querySelector('textarea').value") == short
            assert "✎" in await b.eval(f"{pane(CHILD)}.querySelector('.reply-bar').innerText")
            await type_in(b, CHILD, RISKY[lang])
            edited = await appears(b, CHILD, RISKY[lang], seen)
            assert "edited" in edited
            assert await b.eval(f"{pane(CHILD)}.querySelectorAll('.msg.mine').length") == count
            await appears(b, CHILD, SAFE_Q[lang], seen)
            assert await world.sb.bot_messages(world.staff_chat_id)  # the case card went out
            await fits_the_window(b)
            await shot(b, shots / "child.png")
    print(f"\nscreenshots: {shots}")

