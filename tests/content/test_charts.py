"""The digest's chart: a PNG a phone shows well, every label drawable with the bundled font."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from bot.catalog.charts import HEIGHT, WIDTH, PillowCharts
from bot.catalog.fonts import FONT, cmap, missing
from bot.cli.fonts import wanted
from bot.domain.oversight import (
    Period,
)
from tests.figures import NOW, TZ, make_figures
from tests.shipped import LOCALES


@pytest.fixture(scope="module")
def charts(catalog: Any) -> PillowCharts:
    return PillowCharts(catalog, "Asia/Shanghai")


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


WEEK = Period.week_before(NOW, TZ)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.slow
def test_the_chart_is_a_phone_sized_png_with_something_on_it(
    charts: PillowCharts, locale: str
) -> None:
    image = decode(charts.week_chart(make_figures(WEEK), locale))
    assert image.size == (WIDTH, HEIGHT) == (1080, 1350)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # text, bars, tiles: not blank
    # The four tier colours are there, as bars and in the legend.
    present = {c for _, c in colours}
    assert {(198, 40, 40), (239, 108, 0), (249, 168, 37), (46, 125, 50)} <= present
    # Nothing runs off the bottom edge.
    bottom = image.crop((0, HEIGHT - 16, WIDTH, HEIGHT))
    assert bottom.getcolors() == [(WIDTH * 16, (255, 255, 255))]


@pytest.mark.slow
def test_different_figures_and_languages_draw_different_charts(charts: PillowCharts) -> None:
    figures = make_figures(WEEK)
    zh = charts.week_chart(figures, "zh_Hans")
    assert charts.week_chart(figures, "zh_Hans") == zh  # the same figures: the same picture
    assert charts.week_chart(figures, "en") != zh
    other = charts.week_chart(make_figures(WEEK, cases=5), "zh_Hans")
    assert decode(other).tobytes() != decode(zh).tobytes()


@pytest.mark.parametrize(
    "text",
    ["", "month", "2026-01-01..2026-03-08", "2025-03-09..2026-03-08", "2026-03-08"],
)
@pytest.mark.slow
def test_every_period_length_draws_within_the_frame(charts: PillowCharts, text: str) -> None:
    """A day, a week, a month of days, a quarter of weeks, a year of months; big numbers."""
    period = Period.parse(text, NOW, "Asia/Shanghai")
    for locale in LOCALES:
        for figures in (make_figures(period, 0), make_figures(period, 120, scale=1000)):
            image = decode(charts.week_chart(figures, locale))
            right = image.crop((WIDTH - 12, 0, WIDTH, HEIGHT))
            assert right.getcolors() == [(12 * HEIGHT, (255, 255, 255))]


def test_the_font_is_the_bundled_subset() -> None:
    assert FONT.name == "NotoSansSC-Subset.otf" and FONT.stat().st_size < 2_000_000
    assert (FONT.parent / "OFL.txt").exists() and (FONT.parent / "README.md").exists()
    assert {ord(c) for c in "心桥0123456789%·–—/"} <= cmap()
    assert missing("心桥 \n") == set()
    assert missing("😀") == {"😀"}


def test_every_chinese_character_of_the_content_is_in_the_subset() -> None:
    """The dashboard and the demo page draw with the subset too: a hotline added with 北京 in
    its name showed as ☒☒ on machines without a CJK font until the subset was remade."""
    han = {cp for cp in wanted() if 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF}
    lacking = "".join(sorted(chr(cp) for cp in han - cmap()))
    assert not lacking, f"regenerate content/fonts (see its README): {lacking}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_chart_label_can_be_drawn(catalog: Any, locale: str) -> None:
    """A translation with a character the subset lacks would draw an empty box without a
    word of warning: `python -m bot fonts subset` (content/fonts/README.md) adds it."""
    lacking: dict[str, set[str]] = {}
    for key in catalog.strings:
        if not key.startswith("chart."):
            continue
        text = re.sub(r"%\(\w+\)s", "", catalog.text(key, locale)).replace("%%", "%")
        if gone := missing(text):
            lacking[key] = gone
    assert lacking == {}, f"regenerate content/fonts (see its README): {lacking}"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_digest_caption_fits_a_photo(catalog: Any, locale: str) -> None:
    """Telegram refuses a caption over 1024 characters (and the photo with it)."""
    from bot.domain.replies import Reply
    from tests.content.samples import SAMPLES

    for data in SAMPLES["oversight/digest"]:
        text = catalog.render(Reply("oversight/digest", data), locale).text
        assert len(re.sub(r"<[^>]+>", "", text)) <= 1024
        assert text.count("\n") == 6  # seven short lines


@pytest.mark.slow  # handlers.transport imports aiogram: seconds
def test_an_overlong_caption_is_cut_at_a_line_break() -> None:
    from bot.telegram.transport import fit_caption

    assert fit_caption("short") == "short"
    lines = "\n".join(f"line {i} " + "x" * 90 for i in range(20))
    cut = fit_caption(lines)
    assert len(cut) <= 1024 and lines.startswith(cut) and not cut.endswith("\n")
    assert fit_caption("y" * 2000) == "y" * 1024
