"""What every dashboard handler shares: the site's parts, the signed-in viewer, rendering."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.ports import Pages
from bot.services.dashboard import Dashboard, Viewer
from bot.services.reports import Reports

COOKIE = "xq_dashboard"


@dataclass(frozen=True, slots=True)
class Site:
    dashboard: Dashboard
    pages: Pages
    base_url: str  # DASHBOARD_URL: the origin browsers see
    session_seconds: int
    locales: Sequence[str]  # the first is the default
    static_dir: Path
    font: Path | None  # the bundled CJK font, when there is one
    reports: Reports | None = None

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure(self) -> bool:
        return self.base_url.startswith("https:")


SITE = web.AppKey("site", Site)
VIEWER = web.RequestKey("viewer", Viewer)


def site_of(request: web.Request) -> Site:
    return request.app[SITE]


def viewer_of(request: web.Request) -> Viewer | None:
    return request.get(VIEWER)


def signed_in(request: web.Request) -> Viewer:
    viewer = viewer_of(request)
    assert viewer is not None  # the sessions middleware let only signed-in requests here
    return viewer


def see_other(location: str) -> web.Response:
    """303 to another dashboard page (after a POST, or from the search box)."""
    return web.Response(status=303, headers={"Location": location})


def csrf_token(session_id: str) -> str:
    """A per-session form token; derived from the session id, so nothing more is stored."""
    return hashlib.sha256(f"csrf:{session_id}".encode()).hexdigest()


def render(
    request: web.Request, name: str, data: dict[str, Any], status: int = 200, locale: str = ""
) -> web.Response:
    """A page in the viewer's language (or, signed out, the one asked for with ?lang=)."""
    site = site_of(request)
    viewer = viewer_of(request)
    if viewer is not None:
        locale = viewer.locale
    elif locale not in site.locales:
        asked = request.query.get("lang", "")
        locale = asked if asked in site.locales else site.locales[0]
    base = {
        "viewer": viewer,
        "viewer_until": site.dashboard.when(viewer.expires_at) if viewer else "",
        "csrf": csrf_token(request.cookies.get(COOKIE, "")) if viewer else "",
        "here": request.path_qs,
        "nav": "",
        "reports": site.reports is not None,
    }
    html = site.pages.page(name, locale, {**base, **data})
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
