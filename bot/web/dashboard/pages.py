"""The dashboard's pages: read-only GETs for signed-in supervisors (routes.py checks that)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from aiohttp import web

from bot.services.reports import ChoiceError
from bot.web.dashboard.site import render, see_other, signed_in, site_of


async def queue(request: web.Request) -> web.StreamResponse:
    data = await site_of(request).dashboard.queue()
    return render(request, "queue", {**data, "nav": "queue"})


async def follow_ups(request: web.Request) -> web.StreamResponse:
    data = await site_of(request).dashboard.follow_ups()
    return render(request, "followups", {**data, "nav": "followups"})


async def referrals(request: web.Request) -> web.StreamResponse:
    data = await site_of(request).dashboard.referrals()
    return render(request, "referrals", {**data, "nav": "referrals"})


def _not_found(request: web.Request) -> web.Response:
    return render(request, "not_found", {}, status=404)


async def case(request: web.Request) -> web.StreamResponse:
    viewer = signed_in(request)
    data = await site_of(request).dashboard.case(viewer, request.match_info["ref"])
    if data is None:
        return _not_found(request)
    return render(request, "case", {**data, "nav": "queue"})


async def find_file(request: web.Request) -> web.StreamResponse:
    """The search box: a typed code, on to the file's own address."""
    ref = request.query.get("ref", "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9-]{1,32}", ref):
        return _not_found(request)
    return see_other(f"/dashboard/file/{ref}")


async def child_file(request: web.Request) -> web.StreamResponse:
    viewer = signed_in(request)
    data = await site_of(request).dashboard.child_file(viewer, request.match_info["ref"])
    if data is None:
        return _not_found(request)
    return render(request, "file", data)


async def access_log(request: web.Request) -> web.StreamResponse:
    viewer = signed_in(request)
    data = await site_of(request).dashboard.access_log(viewer, request.match_info["ref"])
    if data is None:
        return _not_found(request)
    return render(request, "access_log", data)


# -- reports -------------------------------------------------------------------------------


def _fields(request: web.Request) -> tuple[str, str, str]:
    q = request.query
    return q.get("first", "")[:20], q.get("last", "")[:20], q.get("sp", "")[:12]


async def reports(request: web.Request) -> web.StreamResponse:
    service = site_of(request).reports
    if service is None:
        return _not_found(request)
    first, last, sp = _fields(request)
    points = await service.service_points()
    form = {"first": first, "last": last, "sp": sp, "points": points, "nav": "reports"}
    try:
        choice = await service.choose(first, last, sp)
    except ChoiceError as exc:
        return render(request, "reports", {**form, "error": exc.reason, "f": None}, status=400)
    figures = await service.figures(choice)
    query = f"first={choice.first.isoformat()}&last={choice.last.isoformat()}"
    if choice.service_point is not None:
        query += f"&sp={choice.service_point.id}"
    data = {
        **form,
        "error": "",
        "first": choice.first.isoformat(),
        "last": choice.last.isoformat(),
        "place": choice.service_point.name if choice.service_point else "",
        "query": query,
        "f": service.page_data(figures),
        "misses": await site_of(request).dashboard.misses_per_week(choice.period),
    }
    return render(request, "reports", data)


async def chart(request: web.Request) -> web.StreamResponse:
    service = site_of(request).reports
    if service is None:
        return _not_found(request)
    try:
        choice = await service.choose(*_fields(request))
    except ChoiceError:
        return web.Response(status=400, text="not a report")
    image = await service.chart(choice, signed_in(request).locale)
    return web.Response(body=image, content_type="image/png")


async def export_csv(request: web.Request) -> web.StreamResponse:
    """Aggregated, de-identified figures (bot/services/reports.py says how)."""
    site = site_of(request)
    service = site.reports
    if service is None:
        return _not_found(request)
    try:
        choice = await service.choose(*_fields(request))
    except ChoiceError:
        return web.Response(status=400, text="not a report")
    figures = await service.figures(choice)
    locale = signed_in(request).locale

    def words(cells: Sequence[tuple[str, str]]) -> list[str]:
        page = site.pages.page("_csv_labels", locale, {"cells": [list(c) for c in cells]})
        # One label a line; the template's first cell (a column's name) is never empty.
        return [html.unescape(line) for line in page.lstrip("\n").split("\n")[: len(cells)]]

    name, body = service.csv(choice, figures, site.dashboard.clock.now(), words)
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
