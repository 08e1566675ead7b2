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
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.people import AgeBand, Role
from tests.e2e.cdp import Browser, assert_not_blank, find_chromium
from tests.e2e.chat import CHILD_SAYS
from tests.e2e.commands import drain_output, read_until
from tests.e2e.crisis import RISKY, ROOMY, SAFE_Q, make_staff
from tests.e2e.harness import free_port, running_world, stop_demo
from tests.e2e.people import LOCALE, PHONE, registered

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
    # A button's toast fades by itself; the picture is of the page, not of the last press.
    await b.wait_for("[...document.querySelectorAll('.toast')].every(t => t.hidden)")
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


def at_bottom(i: int) -> str:
    return (
        "(l => l.scrollHeight - l.scrollTop - l.clientHeight < 2)"
        f"({pane(i)}.querySelector('.messages'))"
    )


async def bubbles(b: Browser, i: int) -> int:
    return int(await b.eval(f"{pane(i)}.querySelectorAll('.msg').length"))


async def appears(b: Browser, i: int, words: str, after: int = 0, timeout: float = 30) -> str:
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


async def click_invitation(b: Browser, i: int, after: int) -> str:
    """Click the newest start link in pane i (the picker opens); the link."""
    link = await b.wait_for(
        f"[...{pane(i)}.querySelectorAll('.msg')].slice({after})"
        ".flatMap(m => [...m.querySelectorAll('a[href*=\"?start=\"]')])"
        ".map(a => a.getAttribute('href')).pop() || ''",
        timeout=20,
    )
    await click_in(b, i, f'.msg a[href="{link}"]')
    await b.wait_for(f"{pane(i)}.querySelector('.picker') !== null")
    return str(link)


async def open_invitation(b: Browser, i: int, choice: str, after: int) -> str:
    """Click the newest start link in pane i, then a choice in the picker; the link."""
    link = await click_invitation(b, i, after)
    await click_in(b, i, f'.picker button[value="{choice}"]')
    return link


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
                {
                    "title": "Staff",
                    "user_id": staff[0],
                    "chat_id": world.staff_chat_id,
                    "user_ids": staff,
                },
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

            # A start link on a button opens the same picker; Cancel opens nothing.
            await world.app.bot.send_message(
                granny,
                "Link",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="Open", url=link_of("XYZ"))]]
                ),
            )
            await b.wait_for(f"{pane(GUARDIAN)}.querySelector('.kb-row button.url') !== null")
            seen = await bubbles(b, CHILD)
            await click_in(b, GUARDIAN, ".kb-row button.url")
            choices = await b.eval(
                f"[...{pane(GUARDIAN)}.querySelectorAll('.picker button')].map(e => e.value)"
            )
            assert choices == [str(child), "new", ""], choices
            await click_in(b, GUARDIAN, ".picker button.cancel")
            assert await b.eval(f"{pane(GUARDIAN)}.querySelector('.picker')") is None
            await b.wait_for(at_bottom(GUARDIAN))  # the newest message, with its button, in view
            assert await bubbles(b, CHILD) == seen

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
            await b.wait_for(at_bottom(CHILD))  # the picture loads later; the newest stays in view

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


async def press_in(b: Browser, i: int, label: str) -> None:
    """Press the newest inline button labelled `label` in pane i."""
    await b.wait_for(
        f"[...{pane(i)}.querySelectorAll('.inline-kb button')]"
        f".some(e => e.textContent === {json.dumps(label)})",
        timeout=20,
    )
    await b.eval(
        f"[...{pane(i)}.querySelectorAll('.inline-kb button')]"
        f".filter(e => e.textContent === {json.dumps(label)}).pop().click()"
    )


async def test_the_demo_as_a_newcomer_sees_it(tmp_path: Path) -> None:
    """`python -m bot demo` on a laptop's screen: the four phones fit; an invitation from the
    staff group opens in the grandmother's phone; the child sends a voice note, then writes
    of danger; the counsellor claims the case in its topic; the supervisor asks for the
    dashboard. The last screenshot is the README's picture."""
    shots = tmp_path / "screenshots"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "WEBHOOK_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot", "demo", "--port", str(port)),
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    supervisor = 3
    try:
        printed = await read_until(process, re.compile(r"/dashboard/login\?t=\S+"), 60)
        page = re.search(r"open (http://\S+)/", printed)
        assert page, printed
        drain = asyncio.create_task(drain_output(process))
        async with laptop(tmp_path) as b:
            await b.goto(page.group(1) + "/")
            await b.wait_for("document.querySelectorAll('.pane form.composer').length === 4")
            await fits_the_window(b)
            await shot(b, shots / "demo-start.png")

            await type_in(b, STAFF, "/invite guardian")
            await click_invitation(b, STAFF, 0)
            picker = await b.eval(f"{pane(STAFF)}.querySelector('.picker').innerText")
            assert "奶奶" in picker and "孩子" in picker and "督导" in picker, picker
            await shot(b, shots / "demo-picker.png")
            granny = await b.eval(
                f"[...{pane(STAFF)}.querySelectorAll('.picker button')]"
                ".find(e => e.textContent.includes('奶奶')).value"
            )
            await click_in(b, STAFF, f'.picker button[value="{granny}"]')
            await appears(b, GUARDIAN, "/start ")
            await appears(b, GUARDIAN, PRIVACY["zh"])

            await click_in(b, CHILD, "button.voice")
            await appears(b, CHILD, "听不了语音")
            await type_in(b, CHILD, "我不想活了，今晚就想结束")
            await appears(b, CHILD, SAFE_Q["zh"])
            await b.wait_for(
                f"[...{pane(STAFF)}.querySelectorAll('.topics button')]"
                ".some(e => e.textContent.includes('C-0001'))",
                timeout=20,
            )
            await b.eval(
                f"[...{pane(STAFF)}.querySelectorAll('.topics button')]"
                ".find(e => e.textContent.includes('C-0001')).click()"
            )
            await press_in(b, STAFF, "✋ 认领")
            await appears(b, STAFF, "已由 李老师 认领")

            await type_in(b, supervisor, "/dashboard")
            await appears(b, supervisor, "/dashboard/login?t=")
            await fits_the_window(b)
            png = await shot(b, shots / "demo.png")
            if os.environ.get("XINQIAO_SCREENSHOTS"):
                (ROOT / "docs" / "demo.png").write_bytes(png)
        drain.cancel()
    finally:
        await stop_demo(process)
    shutil.rmtree(tmp_path / "var", ignore_errors=True)
    print(f"\nscreenshots: {shots}")
