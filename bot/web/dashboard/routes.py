"""The dashboard's web side: an aiohttp sub-application mounted at /dashboard.

Security, in the order a request meets it:
- every response carries a strict Content-Security-Policy (no script, no inline style, nothing
  from elsewhere), X-Frame-Options DENY, Referrer-Policy no-referrer (the sign-in link's token
  never leaves in a Referer) and, except the stylesheet and font, Cache-Control no-store;
- every route but the sign-in pages, sign-out and the two static files needs a valid session,
  looked up by the SHA-256 of the cookie and re-checked against the staff roster on every
  request; without one the answer is 401 and a page that says how to sign in, with no data;
- pages only read (GET); the three POSTs (sign-in, sign-out, language) refuse another
  site's (Sec-Fetch-Site, Origin), and the two made while signed in carry a token derived
  from the session id; the cookie is HttpOnly, SameSite=Strict, path /dashboard, and Secure
  when DASHBOARD_URL is https.
The server's access log stays off: a sign-in URL carries its token.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.web.dashboard import pages
from bot.web.dashboard.site import (
    COOKIE,
    SITE,
    VIEWER,
    Site,
    csrf_token,
    render,
    see_other,
    site_of,
    viewer_of,
)

CSP = (
    "default-src 'self'; img-src 'self'; style-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Reachable without a session: nothing in them comes from the database.
PUBLIC = frozenset({"static", "login", "login_post", "logout"})
STATIC_TYPES = {".css": "text/css", ".woff2": "font/woff2", ".otf": "font/otf", ".ttf": "font/ttf"}
_REF = "{ref:[A-Za-z0-9-]{1,32}}"
# Where the language form may send the browser back to: a dashboard page, never elsewhere.
_SAFE_NEXT = re.compile(
    r"^/dashboard(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?(\?[A-Za-z0-9=&._~%-]*)?$"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- middlewares ---------------------------------------------------------------------------


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _harden(exc.headers, static=False)
        raise
    static = request.match_info.route.name == "static" and response.status == 200
    _harden(response.headers, static=static)
    return response


def _harden(headers: Any, static: bool) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if static:
        headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        headers["Cache-Control"] = "no-store"


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.route.name == "static":
        return await handler(request)  # the stylesheet and font: no database round trip
    raw = request.cookies.get(COOKIE, "")
    viewer = await site_of(request).dashboard.viewer(raw) if raw else None
    if viewer is not None:
        request[VIEWER] = viewer
    if request.match_info.route.name in PUBLIC:
        return await handler(request)
    if viewer is None:
        response = render(request, "signed_out", {"bye": False}, status=401)
        if raw:  # a stale or revoked cookie: let the browser forget it
            response.del_cookie(COOKIE, path="/dashboard")
        return response
    if request.match_info.http_exception is not None:
        return render(request, "not_found", {}, status=404)
    return await handler(request)


def _foreign(request: web.Request) -> bool:
    """A POST from another site (CSRF). SameSite=Strict already keeps the cookie off it; the
    browser's own word is checked too: Sec-Fetch-Site, and an Origin that is not ours. (Our
    pages' no-referrer policy makes browsers send `Origin: null` for our own forms.)"""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    return origin not in (None, "null", site_of(request).origin)


async def _form(request: web.Request) -> Any | None:
    """The form of a POST made while signed in, if it is one of ours (else None)."""
    form = await request.post()
    if _foreign(request):
        return None
    if viewer_of(request) is not None:
        sent = str(form.get("csrf", ""))
        if not hmac.compare_digest(sent, csrf_token(request.cookies.get(COOKIE, ""))):
            return None
    return form


# -- sign-in and out -----------------------------------------------------------------------


def _refused(request: web.Request) -> web.Response:
    return render(request, "refused", {}, status=403)


async def login_page(request: web.Request) -> web.StreamResponse:
    """The link from the bot: a page with a button that signs in. Opening the link spends
    nothing, so a link checker or a preview cannot use it up."""
    token = request.query.get("t", "")
    if not await site_of(request).dashboard.link_is_fresh(token):
        return _refused(request)
    return render(request, "login", {"token": token})


async def login(request: web.Request) -> web.StreamResponse:
    """Spend the token for a session (a new random id; any older one here ends)."""
    site = site_of(request)
    form = await request.post()
    if _foreign(request):
        return _refused(request)
    signed = await site.dashboard.sign_in(str(form.get("t", "")), str(form.get("lang", "")))
    if signed is None:
        return _refused(request)
    old = request.cookies.get(COOKIE, "")
    if old:
        await site.dashboard.sign_out(old)
    response = see_other("/dashboard/")
    response.set_cookie(
        COOKIE,
        signed.session_id,
        max_age=site.session_seconds,
        path="/dashboard",
        httponly=True,
        secure=site.secure,
        samesite="Strict",
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    if await _form(request) is None:
        return _refused(request)
    raw = request.cookies.get(COOKIE, "")
    if raw:
        await site_of(request).dashboard.sign_out(raw)
    gone = request.pop(VIEWER, None)
    response = render(request, "signed_out", {"bye": True}, locale=gone.locale if gone else "")
    response.del_cookie(COOKIE, path="/dashboard")
    return response


async def set_language(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    if form is None:
        return _refused(request)
    raw = request.cookies.get(COOKIE, "")
    await site_of(request).dashboard.set_locale(raw, str(form.get("to", "")))
    target = str(form.get("next", ""))
    return see_other(target if _SAFE_NEXT.match(target) else "/dashboard/")


async def static(request: web.Request) -> web.StreamResponse:
    """The stylesheet and the CJK font: no data, so no session needed."""
    site = site_of(request)
    name = request.match_info["name"]
    path = {"dashboard.css": site.static_dir / "dashboard.css", "cjk-font": site.font}.get(name)
    if path is None or not path.is_file():
        return web.Response(status=404, text="not found")
    kind = STATIC_TYPES.get(path.suffix, "application/octet-stream")
    return web.FileResponse(path, headers={"Content-Type": kind})


def dashboard_app(site: Site) -> web.Application:
    """The sub-application; `mount` puts it on a server."""
    app = web.Application(middlewares=[security_headers, sessions], client_max_size=64 * 1024)
    app[SITE] = site
    r = app.router
    r.add_get("/static/{name}", static, name="static")
    r.add_get("/login", login_page, name="login")
    r.add_post("/login", login, name="login_post")
    r.add_post("/logout", logout, name="logout")
    r.add_post("/lang", set_language, name="lang")
    r.add_get("/", pages.queue, name="queue")
    r.add_get("/followups", pages.follow_ups, name="followups")
    r.add_get("/referrals", pages.referrals, name="referrals")
    r.add_get(f"/cases/{_REF}", pages.case, name="case")
    r.add_get("/file", pages.find_file, name="find_file")
    r.add_get(f"/file/{_REF}", pages.child_file, name="file")
    r.add_get(f"/file/{_REF}/log", pages.access_log, name="access_log")
    if site.reports is not None:
        r.add_get("/reports", pages.reports, name="reports")
        r.add_get("/reports/chart.png", pages.chart, name="chart")
        r.add_get("/reports.csv", pages.export_csv, name="csv")
    return app


def mount(root: web.Application, site: Site) -> None:
    """/dashboard/… on `root`: the webhook server, or a small one of its own."""

    async def to_index(_: web.Request) -> web.StreamResponse:
        return see_other("/dashboard/")

    root.router.add_get("/dashboard", to_index)
    root.add_subapp("/dashboard", dashboard_app(site))
