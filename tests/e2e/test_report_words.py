"""The figures CSV for civil-affairs offices in the staff's language (issue 19 item 4): a
Chinese supervisor's file says 新开个案（按级别） and 红色, not cases_opened_by_tier and red; an
English one's says it in English. The figures and the hiding of small counts are unchanged.
Over real HTTP, signed in through the bot's link, as the dashboard is used."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import AsyncIterator

import pytest

from tests.e2e.dashboard_support import Seeded, base_url, client, dashboard_world, seed, sign_in
from tests.e2e.harness import World

CODES = ("cases_opened_by_tier", "guardians_by_state", "red", "total", "gad-7", "psc-17", "active")
WORDS = {
    "zh": {
        "header": ["指标", "分类", "数值"],
        "rows": [("新开个案（按级别）", "合计"), ("新开个案（按级别）", "红")],
        "more": ["参加每周小课的监护人（按状态）", "正在接收小课", "筛查"],
    },
    "en": {
        "header": ["Measure", "Breakdown", "Value"],
        "rows": [("New cases, by tier", "Total"), ("New cases, by tier", "red")],
        "more": ["Guardians in the weekly lessons, by state", "Receiving lessons", "Screenings"],
    },
}


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with dashboard_world(db_url) as w:
        yield w


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_csv_is_in_the_staffs_language(world: World, lang: str) -> None:
    seeded: Seeded = await seed(world)
    url = base_url(world)
    async with client() as http:
        session = await sign_in(world, http)
        if lang == "en":
            token = hashlib.sha256(f"csrf:{session}".encode()).hexdigest()
            async with http.post(
                f"{url}/dashboard/lang", data={"csrf": token, "to": "en"}, allow_redirects=False
            ) as r:
                assert r.status == 303
        async with http.get(f"{url}/dashboard/reports.csv") as r:
            assert r.status == 200
            raw = (await r.read()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    want = WORDS[lang]
    assert rows[0] == want["header"]
    cells = {(r[0], r[1]): r[2] for r in rows[1:]}
    total, red = want["rows"]
    assert cells[total] == "5" and cells[red] == "<5"  # the same figures, in words
    for word in want["more"]:
        assert word in raw, word
    # In English a tier's word is its code ("red"): only the codes no person writes.
    for code in CODES if lang == "zh" else [c for c in CODES if "_" in c or "-" in c]:
        assert not any(code in cell for row in rows for cell in row), code
    assert not any(code in raw for code in seeded.child_codes)
