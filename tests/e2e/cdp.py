"""Headless Chromium driven over the Chrome DevTools Protocol, with nothing but aiohttp.

Why not Selenium: it would add a Python dependency and a chromedriver whose version must match
the browser's; the DevTools protocol is what chromedriver itself speaks, and the few commands
these tests need (navigate, evaluate, screenshot, downloads) are a page of code. The browser is
Debian's `chromium` (`apt-get install chromium`; `.ci/run` installs it), or CHROMIUM=<path>.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import struct
import subprocess
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    wanted = os.environ.get("CHROMIUM", "")
    if wanted:
        return shutil.which(wanted) or (wanted if Path(wanted).is_file() else None)
    return next((found for name in NAMES if (found := shutil.which(name))), None)


class CdpError(RuntimeError):
    pass


class Browser:
    """One tab of a headless Chromium."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.session = ""
        self.loaded = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data:
                future = self.pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            elif data.get("method") == "Page.loadEventFired":
                self.loaded.set()

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, tab: bool = True
    ) -> Any:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if tab and self.session:
            message["sessionId"] = self.session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.ws.send_str(json.dumps(message))
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    async def _open_tab(self, width: int, height: int) -> None:
        target = await self.send("Target.createTarget", {"url": "about:blank"}, tab=False)
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, tab=False
        )
        self.session = attached["sessionId"]
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    @classmethod
    @contextlib.asynccontextmanager
    async def launch(
        cls, executable: str, profile: Path, width: int = 1280, height: int = 860
    ) -> AsyncIterator[Browser]:
        _folder(profile)
        args = [
            executable,
            "--headless=new",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            "--lang=zh-CN",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        with (profile.parent / "chromium.log").open("wb") as log:
            process = subprocess.Popen(args, stdout=log, stderr=log)  # noqa: ASYNC220
        try:
            endpoint = await _devtools_url(profile / "DevToolsActivePort", process)
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(endpoint, max_msg_size=64 * 1024 * 1024) as ws,
            ):
                browser = cls(ws)
                try:
                    await browser._open_tab(width, height)
                    yield browser
                finally:
                    browser.reader.cancel()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # -- what the tests do --------------------------------------------------------------------

    async def goto(self, url: str) -> None:
        self.loaded.clear()
        answer = await self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise CdpError(f"navigate {url}: {answer['errorText']}")
        await asyncio.wait_for(self.loaded.wait(), 20)

    async def eval(self, expression: str) -> Any:
        answer = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            raise CdpError(f"{expression}: {answer['exceptionDetails'].get('text')}")
        return answer["result"].get("value")

    async def click(self, selector: str, *, navigates: bool = True) -> None:
        """Click the first element matching `selector` (and wait for the next page)."""
        self.loaded.clear()
        found = await self.eval(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.click(); return true; })()"
        )
        if not found:
            raise CdpError(f"nothing matches {selector!r} on {await self.url()}")
        if navigates:
            await asyncio.wait_for(self.loaded.wait(), 20)

    async def wait_for(self, expression: str, timeout: float = 30) -> Any:
        # Generous: a page on a machine busy with other work can take seconds to render; a
        # wait that is never met still fails, only later.
        deadline = time.monotonic() + timeout
        while True:
            value = await self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"timed out waiting for {expression}")
            await asyncio.sleep(0.1)

    async def url(self) -> str:
        return str(await self.eval("location.href"))

    async def text(self) -> str:
        return str(await self.eval("document.body.innerText"))

    async def status_of(self, url: str) -> int:
        """The HTTP status this tab would get for a GET, with its cookies."""
        return int(await self.eval(f"fetch({json.dumps(url)}).then(r => r.status)"))

    async def fonts_ready(self) -> None:
        """Every web font the page uses is loaded and drawn (a screenshot before that shows
        boxes where Chinese will be)."""
        await self.eval(
            "Promise.all([...document.fonts].map(f => f.load().catch(() => null)))"
            ".then(() => document.fonts.ready)"
            ".then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
            ".then(() => true)"
        )

    async def screenshot(self, path: Path, full_page: bool = False) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = await self.eval(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = base64.b64decode((await self.send("Page.captureScreenshot", params))["data"])
        _write(path, data)
        return data

    async def allow_downloads(self, folder: Path) -> None:
        _folder(folder)
        await self.send(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(folder)},
            tab=False,
        )


# File work is instant here; kept out of the coroutines so they read as what they wait for.
def _folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


def _write(path: Path, data: bytes) -> None:
    _folder(path.parent)
    path.write_bytes(data)


def _words(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _files(folder: Path, suffix: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == suffix)


async def _devtools_url(port_file: Path, process: subprocess.Popen[bytes]) -> str:
    """Chromium writes its port and browser path there once DevTools listens."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CdpError(f"chromium exited with {process.returncode}")
        lines = _words(port_file)
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.1)
    raise CdpError("chromium did not open DevTools within 30 s")


async def downloaded(folder: Path, suffix: str, timeout: float = 10) -> Path:
    """The finished download (Chromium renames a .crdownload file when it completes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = _files(folder, suffix)
        if done:
            return done[0]
        await asyncio.sleep(0.1)
    raise CdpError(f"no {suffix} file arrived in {folder}")


# -- PNG, decoded by hand (no image library needed) --------------------------------------------


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced RGB or RGBA PNG, the
    kind Chromium writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG kind"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, channels)
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def _unfilter(kind: int, line: bytearray, up: bytearray, bpp: int) -> None:
    n = len(line)
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(n):
            line[i] = (line[i] + up[i]) & 0xFF
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + up[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = up[i]
            c = up[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pred) & 0xFF


def png_colours(data: bytes, step: int = 3) -> tuple[int, int, int]:
    """(width, height, distinct colours among every `step`-th pixel of every `step`-th row)."""
    width, height, rows = png_pixels(data)
    channels = len(rows[0]) // width if rows else 3
    seen = {row[x : x + 3] for row in rows[::step] for x in range(0, len(row), channels * step)}
    return width, height, len(seen)


def assert_not_blank(png: bytes, name: str) -> None:
    """A screenshot of a real page: the size asked for and many colours (text is
    anti-aliased; a blank or error page has a handful)."""
    width, height, colours = png_colours(png)
    assert width >= 800 and height >= 600, name
    assert colours >= 40, f"{name} looks blank: {colours} colours"
