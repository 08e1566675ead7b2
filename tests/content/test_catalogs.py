"""Content is data, validated: templates render, catalogs are complete and consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.catalog.checks import catalog_problems
from bot.catalog.po import po_path, read_catalog
from bot.domain.cases import CaseStatus, CloseOutcome, Tier
from bot.domain.people import Role
from bot.domain.replies import Choice, Keyboard, Reply, reply_from_data, reply_to_data, verbatim
from bot.domain.triage import Category
from content import CONTENT_DIR
from tests.content.samples import SAMPLES, TEMPLATES
from tests.shipped import LOCALES

_TAG = re.compile(r"</?([a-z-]+)[^>]*>")
ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler"}


@pytest.mark.slow
def test_catalogs_complete_and_consistent() -> None:
    """Every source string translated, nothing fuzzy, placeholders match, nothing stale."""
    assert catalog_problems(CONTENT_DIR, LOCALES) == []


def test_every_template_has_sample() -> None:
    missing = [t for t in TEMPLATES if t not in SAMPLES and _needs_data(t)]
    assert missing == []


def _needs_data(template: str) -> bool:
    return "{{" in (CONTENT_DIR / "templates" / f"{template}.j2").read_text("utf-8")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_template_renders(catalog: Any, template: str, locale: str) -> None:
    for data in SAMPLES.get(template, [{}]):
        text = catalog.render(Reply(template, data), locale).text
        assert text.strip(), f"{template} renders empty"
        assert len(text) <= 4096
        assert {m.group(1) for m in _TAG.finditer(text)} <= ALLOWED_TAGS
        assert "<&>" not in text  # user data is escaped, never markup
        if locale == "zh_Hans":
            assert re.search(r"[\u4e00-\u9fff]", text), f"{template} is not translated"


def test_strings_have_labels_that_fit(catalog: Any) -> None:
    for key in catalog.strings:
        for locale in LOCALES:
            text = catalog.text(key, locale)
            assert text.strip()
            if key.startswith("btn."):
                assert len(text) <= 48, f"{key} too long for a button in {locale}"
            if key.startswith("toast."):
                assert len(text) <= 200  # answerCallbackQuery text limit
            if key.startswith("cmd."):
                assert 1 <= len(text) <= 256  # BotCommand description limit


def test_string_keys_used_in_code_exist(catalog: Any) -> None:
    """Every "btn.…"/"toast.…"/"cmd.…" key in the code is in strings.yaml."""
    root = Path(__file__).resolve().parents[2]
    used: set[str] = set()
    for folder in ("bot", "handlers", "scheduler"):
        for path in (root / folder).rglob("*.py"):
            used |= set(re.findall(r"\"((?:btn|toast|cmd)\.[a-z0-9_.-]+)\"", path.read_text()))
    dynamic = {k for k in used if k.endswith(".")}
    assert sorted(used - dynamic - set(catalog.strings)) == []


def test_screening_is_never_called_diagnosis() -> None:
    for locale in LOCALES:
        catalog = read_catalog(po_path(CONTENT_DIR / "locales", locale), locale)
        for message in catalog:
            if message.id:
                assert "诊断" not in str(message.string)
                assert "diagnos" not in str(message.string).lower()


def test_choice_labels_render(catalog: Any) -> None:
    reply = Reply("onboarding/ask_role", choices=((Choice("btn.role.child", "ob:role:child"),),))
    rendered = catalog.render(reply, "en")
    assert rendered.buttons == ((("🧒 I am a child or teenager", "ob:role:child", ""),),)


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_rendered_reply_waits_in_the_outbox_unchanged(catalog: Any, template: str) -> None:
    """What a handler could not send is queued rendered (bot/telegram/replies.py): through JSON,
    as the outbox stores it, it must come back as the very text and buttons it was."""
    choices = (
        (Choice("btn.role.child", "ob:role:child"), Choice("btn.help", url="https://x.cn")),
    )
    for data in SAMPLES.get(template, [{}]):
        for locale in LOCALES:
            first = catalog.render(Reply(template, data, choices=choices), locale)
            queued = verbatim(first.text, first.buttons, Keyboard.HELP)
            back = reply_from_data(json.loads(json.dumps(reply_to_data(queued))))
            assert back.keyboard is Keyboard.HELP
            assert catalog.render(back, locale) == first


def test_tiers_and_risk_categories_are_words_in_the_staffs_language(catalog: Any) -> None:
    """A Chinese staff group reads 红 and 自杀, not the codes the database keeps."""
    title = {
        loc: catalog.render(
            Reply("helpline/topic_name", SAMPLES["helpline/topic_name"][0]), loc
        ).text
        for loc in LOCALES
    }
    assert title == {"zh_Hans": "🟠 C-0427 · 橙", "en": "🟠 C-0427 · orange"}
    closed = catalog.render(
        Reply("helpline/topic_name", SAMPLES["helpline/topic_name"][1]), "zh_Hans"
    )
    assert closed.text == "✅ 🔴 C-0001 · 红"
    card = dict(SAMPLES["helpline/card"][0], categories=["suicide", "self_harm", "online_threat"])
    zh = catalog.render(Reply("helpline/card", card), "zh_Hans").text
    assert zh.startswith("🔴 <b>C-0001</b> · 红") and "（自杀, 自伤, 网络威胁）" in zh
    assert "suicide" not in zh and "self_harm" not in zh
    en = catalog.render(Reply("helpline/card", card), "en").text
    assert "(suicide, self-harm, online threat)" in en
    # Every category the triage knows has a word in both languages, the newest included.
    every = dict(card, categories=[c.value for c in Category])
    zh = catalog.render(Reply("helpline/card", every), "zh_Hans").text
    en = catalog.render(Reply("helpline/card", every), "en").text
    assert "进食问题" in zh and "eating disorder" in en
    assert not any(c.value in zh for c in Category), zh
    assert "eating_disorder" not in en and "acute_distress" not in en
    enums: list[Any] = [Tier, Category, Role, CaseStatus, CloseOutcome]
    codes = "|".join(member.value for enum in enums for member in enum)
    shown = 0
    for template in (
        "helpline/card",
        "helpline/staff_overdue",
        "helpline/page_overdue",
        "helpline/staff_retiered",
        "helpline/staff_raised",
        "helpline/staff_transferred",
        "helpline/staff_queue",
        "helpline/staff_added",
        "helpline/staff_list",
        "helpline/staff_closed",
        "helpline/dm_red_case",
        "screening/file",
    ):
        for data in SAMPLES[template]:
            text = catalog.render(Reply(template, data), "zh_Hans").text
            assert not re.search(rf"\b({codes})\b", text), (template, text)
            shown += 1
    assert shown >= 13


def test_a_card_the_model_alone_opened_says_what_it_rests_on(catalog: Any) -> None:
    """A model-only orange case quoted no words: the counsellor read "risk in what they wrote"
    and nothing to show where. The card says no risk word matched, and to read the message."""
    bare = SAMPLES["helpline/card"][-1]
    worded = SAMPLES["helpline/card"][0]
    zh = catalog.render(Reply("helpline/card", bare), "zh_Hans").text
    en = catalog.render(Reply("helpline/card", bare), "en").text
    assert "没有匹配到已知的风险词" in zh and "no known risk words" in en
    for locale in ("zh_Hans", "en"):
        text = catalog.render(Reply("helpline/card", worded), locale).text
        assert "没有匹配到" not in text and "no known risk words" not in text
