"""The supervisors' web dashboard over real HTTP, without a browser: who gets a sign-in link,
that every route refuses without a valid session, one-time and expiring links, sessions that
end, the access log, CSRF, headers, and no child's words anywhere."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.db.models import DashboardSessionRow, DashboardTokenRow, FileAccessRow
from bot.domain.people import Role
from bot.services.duty import register_staff
from tests.e2e.dashboard_support import (
    CHILD_WORDS,
    COOKIE,
    NOTE_WORDS,
    Seeded,
    ask_link,
    base_url,
    client,
    dashboard_world,
    seed,
    sign_in,
)
from tests.e2e.harness import World


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with dashboard_world(db_url) as w:
        yield w


@pytest.fixture
async def seeded(world: World) -> Seeded:
    return await seed(world)


def routes(s: Seeded) -> list[str]:
    child, case = s.child_codes[0], s.case_codes[3]
    paths = [
        "/dashboard/",
        "/dashboard/followups",
        "/dashboard/referrals",
        f"/dashboard/cases/{case}",
        f"/dashboard/file?ref={child}",
        f"/dashboard/file/{child}",
        f"/dashboard/file/{child}/log",
        f"/dashboard/file/{case}",
        "/dashboard/nowhere",
    ]
    return [*paths, "/dashboard/reports", "/dashboard/reports/chart.png", "/dashboard/reports.csv"]


async def test_only_a_supervisor_gets_a_link_and_only_its_hash_is_kept(
    world: World, seeded: Seeded
) -> None:
    link, message = await ask_link(world, world.counsellor["id"])
    assert link == "" and "仅供督导" in message["text"]
    link, message = await ask_link(world, world.outsider["id"])
    assert link == "" and "/dashboard" not in message["text"] and "/help" in message["text"]
    link, message = await ask_link(world, world.admin["id"])
    assert link.startswith(f"{base_url(world)}/dashboard/login?t=")
    assert "10" in message["text"]  # minutes
    token = link.rpartition("t=")[2]
    assert len(token) >= 40
    async with world.uow() as u:
        rows = (
            await u.session.execute(  # type: ignore[attr-defined]
                select(DashboardTokenRow.token_hash, DashboardTokenRow.person_id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (hashlib.sha256(token.encode()).hexdigest(), seeded.supervisor_id)
    ]


async def test_every_route_refuses_without_a_valid_session(world: World, seeded: Seeded) -> None:
    secret = [*seeded.child_codes, *seeded.case_codes, CHILD_WORDS, "李老师", "张老师"]
    async with client() as http:
        for cookie in (None, "forged-session-id", "x" * 500):
            if cookie:
                http.cookie_jar.update_cookies({COOKIE: cookie})
            for path in routes(seeded):
                async with http.get(base_url(world) + path, allow_redirects=False) as r:
                    body = await r.text()
                    assert r.status == 401, path
                    assert "/dashboard" in body and "登录" in body
                    assert not any(s in body for s in secret), path
                    assert r.headers["Cache-Control"] == "no-store"
                    assert r.headers["X-Frame-Options"] == "DENY"
        # Changing the language needs a session too, and nothing changes without one.
        async with http.post(
            f"{base_url(world)}/dashboard/lang", data={"to": "en"}, allow_redirects=False
        ) as r:
            assert r.status == 401
    async with world.uow() as u:
        views = await u.session.scalar(select(func.count()).select_from(FileAccessRow))  # type: ignore[attr-defined]
    assert views == 0  # refused requests read no file


async def test_a_link_signs_in_once(world: World, seeded: Seeded) -> None:
    async with client() as http:
        await sign_in(world, http)
        async with http.get(f"{base_url(world)}/dashboard/") as r:
            page = await r.text()
        assert r.status == 200
        assert seeded.case_codes[0] in page and "王督导" in page and "张老师" in page
        for header, value in {
            "Content-Security-Policy": "default-src 'self'",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }.items():
            assert value in r.headers[header]
    # The same link again, in another browser: refused, no session.
    link = await _spent_link(world)
    async with client() as http:
        async with http.get(link) as r:
            assert r.status == 403 and "无法使用" in await r.text()
        async with http.post(
            f"{base_url(world)}/dashboard/login",
            data={"t": link.rpartition("t=")[2]},
            allow_redirects=False,
        ) as r:
            assert r.status == 403 and COOKIE not in r.cookies


async def _spent_link(world: World) -> str:
    """The link the supervisor was sent last (the sandbox keeps the chat)."""
    messages = await world.sb.messages(world.admin["id"])
    texts = [m.get("text") or "" for m in messages]
    link = next(t for t in reversed(texts) if "/dashboard/login?t=" in t)
    return "http" + link.split("http", 1)[1].split()[0]


async def test_expired_forged_and_foreign_links_are_refused(world: World, seeded: Seeded) -> None:
    link, _ = await ask_link(world, world.admin["id"])
    token = link.rpartition("t=")[2]
    async with client() as http:
        for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "t" * 300):
            async with http.get(f"{base_url(world)}/dashboard/login?t={forged}") as r:
                assert r.status == 403
            async with http.post(
                f"{base_url(world)}/dashboard/login", data={"t": forged}, allow_redirects=False
            ) as r:
                assert r.status == 403 and COOKIE not in r.cookies
        # A form posted from another site (CSRF) does not spend or use the link.
        async with http.post(
            f"{base_url(world)}/dashboard/login",
            data={"t": token},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as r:
            assert r.status == 403
        world.clock.advance(minutes=10, seconds=1)
        async with http.get(link) as r:
            assert r.status == 403
        async with http.post(
            f"{base_url(world)}/dashboard/login", data={"t": token}, allow_redirects=False
        ) as r:
            assert r.status == 403 and COOKIE not in r.cookies
    async with world.uow() as u:
        sessions = await u.session.scalar(select(func.count()).select_from(DashboardSessionRow))  # type: ignore[attr-defined]
    assert sessions == 0


async def test_a_session_expires_and_ends_when_the_person_is_no_longer_a_supervisor(
    world: World, seeded: Seeded
) -> None:
    async with client() as http:
        await sign_in(world, http)
        world.clock.advance(hours=8, seconds=1)
        async with http.get(f"{base_url(world)}/dashboard/") as r:
            assert r.status == 401
        world.clock.advance(hours=-8, seconds=-1)
    async with client() as http:
        await sign_in(world, http)
        async with http.get(f"{base_url(world)}/dashboard/followups") as r:
            assert r.status == 200
        async with world.uow() as u:  # made a counsellor
            await register_staff(u, world.admin["id"], Role.COUNSELLOR, "王老师", None, "zh_Hans")
            await u.commit()
        async with http.get(f"{base_url(world)}/dashboard/followups") as r:
            assert r.status == 401
        async with world.uow() as u:
            await register_staff(u, world.admin["id"], Role.SUPERVISOR, "王督导", None, "zh_Hans")
            await u.commit()
        async with http.get(f"{base_url(world)}/dashboard/followups") as r:
            assert r.status == 401  # the session ended for good: a new link is needed
    async with world.uow() as u:
        left = await u.session.scalar(  # type: ignore[attr-defined]
            select(func.count())
            .select_from(DashboardSessionRow)
            .where(DashboardSessionRow.person_id == seeded.supervisor_id)
        )
    assert left == 0  # revoking ends every session of theirs, the expired one too
    async with client() as http:  # retired altogether
        await sign_in(world, http)
        async with world.uow() as u:
            await u.staff.retire(seeded.supervisor_id)
            await u.commit()
        async with http.get(f"{base_url(world)}/dashboard/") as r:
            assert r.status == 401


async def test_files_and_cases_are_logged_and_show_no_words(world: World, seeded: Seeded) -> None:
    child, case = seeded.child_codes[0], seeded.case_codes[3]
    async with client() as http:
        await sign_in(world, http)
        pages: dict[str, str] = {}
        for path in routes(seeded):
            async with http.get(base_url(world) + path) as r:
                assert r.status == (404 if path.endswith("nowhere") else 200), path
                body = await r.read()
                if path.endswith(".png"):
                    assert r.content_type == "image/png" and body[:4] == b"\x89PNG"
                    continue
                pages[path] = body.decode("utf-8")
                if path.endswith(".csv"):
                    assert r.content_type == "text/csv"
                    assert r.headers["Content-Disposition"].startswith("attachment;")
        assert "报表" in pages["/dashboard/reports"]
        for path, body in pages.items():
            assert CHILD_WORDS not in body and NOTE_WORDS not in body, path
        file_page = pages[f"/dashboard/file/{child}"]
        assert "PHQ-A（情绪低落）" in file_page and "17" in file_page
        assert seeded.case_codes[0] in file_page
        assert "安全题（第 9 题）答 3" in file_page  # every flag, not only total and tier
        assert "PHQ-A：Johnson JG" in file_page  # the form's credit
        case_page = pages[f"/dashboard/cases/{case}"]
        assert "心理门诊" in case_page or "Psychological clinic" in case_page
        assert "已接受" in case_page and "张老师" in case_page
        assert "1 条" in case_page  # one message from the person, counted, not shown
        log_page = pages[f"/dashboard/file/{child}/log"]
        assert "督导" in log_page and "网页看板" in log_page
    async with world.uow() as u:
        rows = (
            await u.session.execute(  # type: ignore[attr-defined]
                select(
                    FileAccessRow.what,
                    FileAccessRow.via,
                    FileAccessRow.viewer_id,
                    FileAccessRow.subject_id,
                ).order_by(FileAccessRow.id)
            )
        ).all()
    seen = [tuple(r) for r in rows]
    me = seeded.supervisor_id
    assert seen[:4] == [
        ("case", "dashboard", me, seeded.child_ids[3]),
        ("file", "dashboard", me, seeded.child_ids[0]),  # the search box led here
        ("file", "dashboard", me, seeded.child_ids[0]),
        ("access_log", "dashboard", me, seeded.child_ids[0]),
    ]
    assert ("file", "dashboard", me, seeded.child_ids[3]) in seen  # opened by its case code


async def test_sign_out_and_language_need_our_form(world: World, seeded: Seeded) -> None:
    url = base_url(world)
    async with client() as http:
        session = await sign_in(world, http)
        async with http.post(f"{url}/dashboard/logout", allow_redirects=False) as r:
            assert r.status == 403  # no form token
        async with http.get(f"{url}/dashboard/") as r:
            page = await r.text()
            assert r.status == 200 and "退出登录" in page
        token = hashlib.sha256(f"csrf:{session}".encode()).hexdigest()
        assert f'value="{token}"' in page
        async with http.post(
            f"{url}/dashboard/lang",
            data={"csrf": token, "to": "en", "next": "//evil.example/x"},
            allow_redirects=False,
        ) as r:
            assert r.status == 303 and r.headers["Location"] == "/dashboard/"
        async with http.get(f"{url}/dashboard/referrals") as r:
            page = await r.text()
            assert "Referrals" in page and "They accepted" in page and 'lang="en"' in page
            assert seeded.case_codes[3] in page  # each referral names its case
        async with http.post(
            f"{url}/dashboard/logout",
            data={"csrf": token},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as r:
            assert r.status == 403
        async with http.post(
            f"{url}/dashboard/logout", data={"csrf": token}, allow_redirects=False
        ) as r:
            assert r.status == 200 and "signed out" in (await r.text())
            assert r.cookies[COOKIE].value == ""
        http.cookie_jar.update_cookies({COOKIE: session})  # an old copy of the cookie
        async with http.get(f"{url}/dashboard/") as r:
            assert r.status == 401


async def test_no_token_or_name_in_the_logs(
    world: World, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client() as http:
        session = await sign_in(world, http)
        async with http.get(f"{base_url(world)}/dashboard/file/{seeded.child_codes[0]}") as r:
            assert r.status == 200
    text = "\n".join(r.getMessage() for r in caplog.records)
    link = await _spent_link(world)
    assert link.rpartition("t=")[2] not in text and session not in text
    assert "王督导" not in text and CHILD_WORDS not in text
    assert "signed in" in text


async def test_webhook_mode_serves_the_dashboard_beside_the_webhook(db_url: str) -> None:
    async with dashboard_world(db_url, webhook=True) as world:
        listen = world.app.settings.webhook_listen
        async with client() as http:
            async with http.get(f"http://{listen}/dashboard/queue-or-anything") as r:
                assert r.status == 401
            async with http.get(f"http://{listen}/dashboard", allow_redirects=False) as r:
                assert r.status == 303
            async with http.get(f"http://{listen}/dashboard/static/dashboard.css") as r:
                assert r.status == 200 and "Xinqiao CJK" in await r.text()
            async with http.get(f"http://{listen}/healthz") as r:
                assert r.status == 200


async def test_the_dashboard_is_off_without_an_address(db_url: str) -> None:
    from tests.e2e.crisis import ROOMY
    from tests.e2e.harness import running_world

    async with running_world(db_url, **ROOMY) as world:
        assert world.app.dashboard is None
        async with world.uow() as u:
            await register_staff(u, world.admin["id"], Role.SUPERVISOR, "王督导", None, "zh_Hans")
            await u.commit()
        link, message = await ask_link(world, world.admin["id"])
        assert link == "" and "DASHBOARD_URL" in message["text"]
