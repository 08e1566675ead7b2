"""The digest's chart: one PNG a supervisor can read on a phone without zooming.

Pillow, not matplotlib: a few MB instead of a hundred, and one instance must stay under 300 MB
with 100 000 guardians. 1080×1350 (4:5, what Telegram shows a photo at full width): the title
and period, six tiles of headline numbers, new cases per day stacked by tier with their counts
written on the bars, and the guardians' lesson funnel. Type is large (28 px and up, about 9 pt
on a phone), colours are dark on white, and each tier has its label as well as its colour.
Every label comes from the catalogs in the chat's language (strings.yaml, `chart.*`).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.catalog.fonts import FONT
from bot.domain.oversight import TIERS, Figures, Step, duration_parts
from bot.ports import Catalog

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

WIDTH, HEIGHT = 1080, 1350
MARGIN = 48
INK = (17, 24, 39)
MUTED = (75, 85, 99)
RULE = (209, 213, 219)
TILE = (243, 244, 246)
ALERT = (185, 28, 28)
WHITE = (255, 255, 255)
TIER_COLOURS = {
    "red": (198, 40, 40),
    "orange": (239, 108, 0),
    "yellow": (249, 168, 37),
    "green": (46, 125, 50),
}
# Dark text where a white one would be hard to read.
TIER_TEXT = {"red": WHITE, "orange": WHITE, "yellow": INK, "green": WHITE}
FUNNEL = ((21, 101, 192), (30, 136, 229), (66, 165, 245), (100, 181, 246))


def _duration(catalog: Catalog, locale: str, delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    n, unit = duration_parts(delta)
    key = {"min": "chart.minutes", "h": "chart.hours", "days": "chart.days"}[unit]
    return catalog.text(key, locale, n=n)


@dataclass(frozen=True, slots=True)
class _Tile:
    value: str
    label: str
    note: str = ""
    alert: bool = False  # the number in red: something needs doing now
    note_alert: bool = False


class PillowCharts:
    """The ChartRenderer port, drawn with Pillow and the subset Noto Sans SC."""

    def __init__(self, catalog: Catalog, timezone: str, font: str = str(FONT)) -> None:
        self.catalog = catalog
        self.tz = ZoneInfo(timezone)
        self.font_path = font
        self._fonts: dict[int, ImageFont.FreeTypeFont] = {}
        # Charts are drawn in worker threads; a FreeType face is not safe to share between
        # two of them at once, and one chart at a time is plenty.
        self._lock = threading.Lock()

    def _font(self, size: int) -> ImageFont.FreeTypeFont:
        from PIL import ImageFont  # loaded at the first chart (see week_chart)

        if size not in self._fonts:
            self._fonts[size] = ImageFont.truetype(self.font_path, size)
        return self._fonts[size]

    def _t(self, locale: str, key: str, **data: object) -> str:
        return self.catalog.text(key, locale, **data)

    def week_chart(self, figures: Figures, locale: str) -> bytes:
        # Pillow is loaded at the first chart, not at start-up: its ~7 MB would stay resident
        # in every instance that never draws one (the memory target is per instance).
        from PIL import Image, ImageDraw

        with self._lock:
            image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
            draw = ImageDraw.Draw(image)
            y = self._title(draw, figures, locale)
            y = self._tiles(draw, figures, locale, y + 20)
            y = self._bars(draw, figures, locale, y + 32)
            self._funnel(draw, figures, locale, y + 20)
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
            return out.getvalue()

    # -- drawing helpers ------------------------------------------------------------------

    def _text(
        self,
        draw: ImageDraw.ImageDraw,
        xy: tuple[float, float],
        text: str,
        size: int,
        fill: tuple[int, int, int] = INK,
        *,
        bold: bool = False,
        anchor: str = "la",
        max_width: float | None = None,
    ) -> None:
        """Text that shrinks to fit `max_width` (a long translation never runs off the tile);
        bold is a thin stroke of the same colour (one font file instead of two)."""
        while max_width is not None and size > 20 and self._width(text, size) > max_width:
            size -= 2
        draw.text(
            xy,
            text,
            font=self._font(size),
            fill=fill,
            anchor=anchor,
            stroke_width=max(1, size // 30) if bold else 0,
            stroke_fill=fill,
        )

    def _width(self, text: str, size: int) -> float:
        return self._font(size).getlength(text)

    def _day(self, locale: str, day: date, year: bool = False) -> str:
        month = self._t(locale, f"chart.month.{day.month}")
        key = "chart.date_year" if year else "chart.date"
        return self._t(locale, key, month=month, day=day.day, year=day.year)

    # -- the parts --------------------------------------------------------------------------

    def _title(self, draw: ImageDraw.ImageDraw, figures: Figures, locale: str) -> int:
        first, last = figures.period.first_day(self.tz), figures.period.last_day(self.tz)
        self._text(draw, (MARGIN, 40), self._t(locale, "chart.title"), 56, bold=True)
        # The year only when it is not this one, or the period spans two.
        year = first.year != last.year or last.year != figures.as_of.astimezone(self.tz).year
        span = self._day(locale, first, year)
        if last != first:
            span = self._t(locale, "chart.range", first=span, last=self._day(locale, last, year))
        self._text(draw, (MARGIN, 116), span, 36, MUTED, max_width=WIDTH - 2 * MARGIN)
        draw.line((MARGIN, 176, WIDTH - MARGIN, 176), fill=RULE, width=2)
        return 176

    def _tiles(self, draw: ImageDraw.ImageDraw, figures: Figures, locale: str, top: int) -> int:
        response = figures.first_response_all
        share = response.share_within_answered
        g = figures.guardians
        t = self._t
        within = "" if share is None else t(locale, "chart.kpi.within", pct=round(share * 100))
        tiles = (
            _Tile(str(figures.cases_total), t(locale, "chart.kpi.cases")),
            _Tile(
                str(figures.overdue_cases),
                t(locale, "chart.kpi.overdue"),
                t(locale, "chart.kpi.open", n=figures.open_cases),
                alert=figures.overdue_cases > 0,
            ),
            _Tile(
                _duration(self.catalog, locale, response.median),
                t(locale, "chart.kpi.response"),
                within,
            ),
            _Tile(
                str(figures.follow_ups_due),
                t(locale, "chart.kpi.followups"),
                t(locale, "chart.kpi.followups_late", n=figures.follow_ups_overdue),
                note_alert=figures.follow_ups_overdue > 0,
            ),
            _Tile(
                str(figures.screenings_total),
                t(locale, "chart.kpi.screenings"),
                t(locale, "chart.kpi.worse", n=figures.worsened),
                note_alert=figures.worsened > 0,
            ),
            _Tile(
                str(g.active),
                t(locale, "chart.kpi.guardians"),
                t(locale, "chart.kpi.enrolled", n=g.enrolled),
            ),
        )
        gap = 18
        width = (WIDTH - 2 * MARGIN - 2 * gap) / 3
        height = 160
        for i, tile in enumerate(tiles):
            x = MARGIN + (i % 3) * (width + gap)
            y = top + (i // 3) * (height + gap)
            draw.rounded_rectangle((x, y, x + width, y + height), radius=18, fill=TILE)
            inner = width - 36
            colour = ALERT if tile.alert else INK
            self._text(draw, (x + 18, y + 10), tile.value, 64, colour, bold=True, max_width=inner)
            self._text(draw, (x + 18, y + 86), tile.label, 30, INK, max_width=inner)
            if tile.note:
                note_colour = ALERT if tile.note_alert else MUTED
                self._text(draw, (x + 18, y + 122), tile.note, 28, note_colour, max_width=inner)
        return int(top + 2 * height + gap)

    def _bars(self, draw: ImageDraw.ImageDraw, figures: Figures, locale: str, top: int) -> int:
        heading = {
            Step.DAY: "chart.cases_per_day",
            Step.WEEK: "chart.cases_per_week",
            Step.MONTH: "chart.cases_per_month",
        }[figures.step]
        self._text(draw, (MARGIN, top), self._t(locale, heading), 40, bold=True)
        # The legend: a swatch and a word for each tier, never colour alone.
        x = float(MARGIN)
        legend_y = top + 62
        for tier in TIERS:
            draw.rounded_rectangle(
                (x, legend_y + 4, x + 30, legend_y + 34), radius=6, fill=TIER_COLOURS[tier.value]
            )
            label = self._t(locale, f"chart.tier.{tier.value}")
            self._text(draw, (x + 40, legend_y), label, 30, INK)
            x += 40 + self._width(label, 30) + 36
        chart_top, chart_bottom = top + 116, top + 366
        points = figures.series
        base = chart_bottom
        draw.line((MARGIN, base, WIDTH - MARGIN, base), fill=INK, width=3)
        totals = [sum(p.cases.values()) for p in points]
        peak = max(totals, default=0)
        if peak == 0:
            self._text(
                draw,
                (WIDTH / 2, (chart_top + base) / 2),
                self._t(locale, "chart.no_cases"),
                36,
                MUTED,
                anchor="mm",
            )
        slot = (WIDTH - 2 * MARGIN) / max(1, len(points))
        bar = min(96.0, slot * 0.7)
        scale = (base - chart_top - 48) / peak if peak else 0
        every = max(1, round(len(points) / 10))  # a label under every bar up to ten or so
        for i, point in enumerate(points):
            cx = MARGIN + slot * (i + 0.5)
            y = float(base)
            for tier in reversed(TIERS):  # red at the bottom, where the eye starts
                n = point.cases.get(tier.value, 0)
                if not n:
                    continue
                h = n * scale
                draw.rectangle(
                    (cx - bar / 2, y - h, cx + bar / 2, y), fill=TIER_COLOURS[tier.value]
                )
                if h >= 34 and bar >= 40:
                    self._text(
                        draw, (cx, y - h / 2), str(n), 28, TIER_TEXT[tier.value], anchor="mm"
                    )
                y -= h
            if totals[i]:
                self._text(draw, (cx, y - 6), str(totals[i]), 34, bold=True, anchor="md")
            if i % every == 0:
                self._label(draw, figures.step, locale, point.day, cx, base)
        return base + 80

    def _label(
        self,
        draw: ImageDraw.ImageDraw,
        step: Step,
        locale: str,
        day: date,
        cx: float,
        base: float,
    ) -> None:
        if step is Step.MONTH:
            month = self._t(locale, f"chart.month.{day.month}")
            self._text(draw, (cx, base + 12), month, 28, MUTED, anchor="ma")
            return
        top = f"{day.month}/{day.day}"
        under = self._t(locale, f"chart.wd.{day.weekday()}") if step is Step.DAY else ""
        self._text(draw, (cx, base + 10), top, 28, INK, anchor="ma")
        if under:
            self._text(draw, (cx, base + 44), under, 26, MUTED, anchor="ma")

    def _funnel(self, draw: ImageDraw.ImageDraw, figures: Figures, locale: str, top: int) -> None:
        total = figures.funnel_total("guardian")
        self._text(draw, (MARGIN, top), self._t(locale, "chart.funnel"), 40, bold=True)
        steps = (
            ("chart.funnel.delivered", total.delivered),
            ("chart.funnel.opened", total.opened),
            ("chart.funnel.checked_in", total.checkin_answered),
            ("chart.funnel.tried", total.task_done),
        )
        label_width = 330
        left = MARGIN + label_width
        room = WIDTH - MARGIN - left - 170  # the count and share go after the bar
        y = top + 60
        for i, (key, n) in enumerate(steps):
            label = self._t(locale, key)
            self._text(draw, (MARGIN, y + 22), label, 30, anchor="lm", max_width=label_width - 16)
            width = room * n / total.delivered if total.delivered else 0
            draw.rounded_rectangle(
                (left, y, left + max(width, 6), y + 44), radius=8, fill=FUNNEL[i]
            )
            share = f" · {round(100 * n / total.delivered)}%" if total.delivered and i else ""
            end = left + max(width, 6) + 14
            room_left = WIDTH - MARGIN / 2 - end
            self._text(
                draw, (end, y + 22), f"{n}{share}", 32, bold=True, anchor="lm", max_width=room_left
            )
            y += 58
