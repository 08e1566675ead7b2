"""Every message composed from people's words fits Telegram's limits, measured (issue 16, item
2): each is built the way its service builds it, from the longest inputs there can be, rendered
through the real catalog in every locale, and its visible text counted as Telegram counts it
(UTF-16 code units after entity parsing, by the sandbox's parser). The buttons survive whole.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.cases import Case, CaseStatus, Tier, Trigger
from bot.domain.lengths import CAPTION_LIMIT, TEXT_LIMIT, clip, units
from bot.domain.people import AgeBand, Person, Role
from bot.domain.replies import Reply
from bot.domain.triage import Category
from bot.ports import CaseMessage, Removal, SeenMember, StaffMember
from bot.services.board import LINE_COST, MERGE_LIMIT, card_actions, pieces
from bot.services.casework import (
    AUTHORITY_UNITS,
    NOTE_UNITS,
    REASON_UNITS,
    transfer_notice,
)
from bot.services.child_file import about, for_chat
from bot.services.duty import NOTE_IN_LIST_UNITS, fitting, staff_list, staff_removed
from bot.services.helpline import case_card, evidence_quotes
from bot.services.roster import GroupRemoval, Removed
from sandbox.text import parse_html, utf16_len
from tests import shipped
from tests.content.samples import SAMPLES
from tests.shipped import LOCALES

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
# The HTML escapes of <&> are five times their visible length; the emoji and the rare
# character are two units each.
FILL = "<&>😀𠀀好 "


def longest(limit: int = TEXT_LIMIT, fill: str = FILL) -> str:
    out = ""
    while units(out) < limit:
        out += fill[len(out) % len(fill)]
    return out if units(out) == limit else out[:-1] + "a"


MESSAGE = longest()  # the most a person can send
NAME = "😀" * 100  # staff and service point names are kept to 100 and 200 characters
PLACE = "<&>" * 66 + "😀😀"
CATEGORIES = [c.value for c in Category]


def measured(catalog: Any, reply: Reply, locale: str, limit: int = TEXT_LIMIT) -> str:
    """The visible text Telegram would count; fails if over `limit` or a button is lost."""
    rendered = catalog.render(reply, locale)
    visible, _ = parse_html(rendered.text)
    assert utf16_len(visible) <= limit, (reply.template, locale, utf16_len(visible))
    assert [len(row) for row in rendered.buttons] == [len(row) for row in reply.choices]
    assert all(label for row in rendered.buttons for label, _, _ in row)
    return visible


def a_case(tier: Tier = Tier.ORANGE, evidence: tuple[str, ...] = ()) -> Case:
    return Case(
        id=99999,
        code="C-99999",
        person_id=1,
        tier=tier,
        status=CaseStatus.WAITING,
        trigger=Trigger.TRIAGE,
        categories=tuple(CATEGORIES),
        opened_at=NOW,
        staff_chat_id=-100,
        evidence=evidence,
    )


def staff(n: int) -> StaffMember:
    return StaffMember(
        person_id=n,
        telegram_id=10**15 + n,
        role=Role.SUPERVISOR,
        display_name=NAME,
        pseudonym_no=99999,
        on_duty=True,
        service_point_id=None,
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_card_quotes_what_fits_and_relays_the_rest(catalog: Any, locale: str) -> None:
    evidence = tuple(longest(400, "自杀😀<") for _ in range(10))
    person = Person(
        telegram_id=1, locale=locale, code="P-1", role=Role.GUARDIAN, age_band=AgeBand.A12_13
    )
    for text in (MESSAGE, "✏️ " + MESSAGE, "短"):
        card, rest = case_card(a_case(evidence=evidence), person, text, 1440)
        visible = measured(catalog, card, locale)
        assert card.choices == card_actions(a_case())
        quoted = visible.split("💬 ", 1)[1]
        joined = quoted.replace("…", "") + rest.replace("…", "", 1)
        assert "".join(joined.split()) == "".join(text.split())  # every word, in order
        for piece in pieces(rest):
            measured(catalog, Reply("helpline/relay_in", {"lines": [piece]}), locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_relayed_lines_merged_up_to_the_limit_fit(catalog: Any, locale: str) -> None:
    for line in ("😀", "<", "好", MESSAGE):
        lines: list[str] = []
        for piece in pieces(line * (TEXT_LIMIT if len(line) == 1 else 1)):
            if sum(units(x) + LINE_COST for x in [*lines, piece]) > MERGE_LIMIT:
                break
            lines.append(piece)
        measured(catalog, Reply("helpline/relay_in", {"lines": lines}), locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_counsellors_longest_line_goes_out_in_pieces_that_fit(catalog: Any, locale: str) -> None:
    said = ""
    for piece in pieces(MESSAGE):
        visible = measured(
            catalog, Reply("helpline/relay_out", {"n": 99999, "body": piece}), locale
        )
        said += visible.replace("：", ":", 1).split(":", 1)[1].removeprefix(" ")
    assert said == MESSAGE.strip() or said.replace(" ", "") == MESSAGE.replace(" ", "")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_transfer_summary_fits(catalog: Any, locale: str) -> None:
    said = [CaseMessage(NOW, d, 1, MESSAGE) for d in ("in", "note") * 5]
    notice = transfer_notice(a_case(Tier.RED), staff(1), staff(2), said)
    visible = measured(catalog, notice, locale)
    assert MESSAGE[:100] in visible  # the last words are quoted, as far as they fit


@pytest.mark.parametrize("locale", LOCALES)
def test_staff_posts_with_typed_words_fit(catalog: Any, locale: str) -> None:
    code = "C-99999"
    for reply in (
        Reply(
            "helpline/staff_raised",
            {
                "code": code,
                "tier": "orange",
                "categories": CATEGORIES,
                "evidence": evidence_quotes([MESSAGE] * 50),
            },
        ),
        Reply(
            "helpline/staff_retiered",
            {"code": code, "tier": "orange", "reason": clip(MESSAGE, REASON_UNITS), "name": NAME},
        ),
        Reply(
            "helpline/staff_reported",
            {"code": code, "authority": clip(MESSAGE, AUTHORITY_UNITS), "name": NAME},
        ),
        Reply(
            "helpline/staff_follow_up_set",
            {"code": code, "due": "2026-12-02", "name": NAME, "note": clip(MESSAGE, NOTE_UNITS)},
        ),
        Reply(  # a note as the database keeps it: 500 characters
            "helpline/staff_follow_up_due",
            {"code": code, "note": "😀" * 500, "name": NAME, "tg": 10**15},
        ),
        Reply("helpline/staff_claimed", {"code": code, "name": NAME, "n": 99999}),
        Reply(
            "helpline/staff_closed",
            {"code": code, "outcome": "emergency", "name": NAME, "note": clip("😀" * 900, 500)},
        ),
        Reply("helpline/staff_reopened", {"code": code, "name": NAME}),
        Reply("helpline/staff_added", {"name": NAME, "role": "supervisor", "n": 99999}),
        staff_removed(
            Removed(
                True,
                NAME,
                tuple(
                    GroupRemoval(-100 - n, PLACE, Removal.ADMIN if n % 2 else Removal.REMOVED)
                    for n in range(40)
                ),
            ),
            -100,
        ),
        Reply("onboarding/welcome", {"service_point": PLACE}),
        Reply(
            "staff/invite_link",
            {**SAMPLES["staff/invite_link"][0], "service_point": PLACE},
        ),
    ):
        measured(catalog, reply, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_lists_show_what_fits_and_count_the_rest(catalog: Any, locale: str) -> None:
    queue = [
        {
            "icon": "🟠",
            "code": f"C-{i:05d}",
            "tier": "orange",
            "status": "claimed" if i % 2 else "waiting",
            "minutes": 10**6,
            "who": NAME,
        }
        for i in range(500)
    ]
    items, hidden = fitting(queue, lambda i: units(i["who"]))
    assert hidden > 0
    visible = measured(
        catalog,
        Reply("helpline/staff_queue", {"items": items, "hidden": hidden, "waiting": 250}),
        locale,
    )
    assert str(hidden) in visible.splitlines()[-1]
    follow_ups = [
        {
            "id": i,
            "code": f"C-{i:05d}",
            "due": "2026-12-01",
            "overdue": True,
            "who": NAME,
            "note": clip("😀" * 500, NOTE_IN_LIST_UNITS),
        }
        for i in range(500)
    ]
    items, hidden = fitting(follow_ups, lambda i: units(i["who"]) + units(i["note"]))
    measured(
        catalog, Reply("helpline/staff_follow_ups", {"items": items, "hidden": hidden}), locale
    )
    member = StaffMember(1, 10**12, Role.SUPERVISOR, NAME, 99999, True, None)
    stranger = SeenMember(-(10**15), True, datetime(2026, 1, 1, tzinfo=UTC))
    measured(catalog, staff_list([member] * 500, [stranger] * 500, False), locale)
    names, hidden = fitting([NAME] * 500, units)
    measured(
        catalog,
        Reply(
            "helpline/staff_duty",
            {"name": NAME, "on": True, "count": 500, "names": names, "hidden": hidden},
        ),
        locale,
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_childs_file_in_the_chat_fits(catalog: Any, locale: str) -> None:
    instruments = shipped.instruments()
    # Every point flagged, as many ways as a result can be, and each form's credit.
    flags = [
        {"kind": "safety", "item": 9, "value": 3},
        {"kind": "asq_acute"},
        *(
            {"kind": "subscale", "label": s.label, "value": 10, "cutoff": s.cutoff}
            for i in instruments.values()
            for s in i.subscales
        ),
        {"kind": "missing", "items": [1, 2, 3], "how": "missing_as_zero"},
    ]
    point = {
        "date": "2026-10-01",
        "total": 27,
        "icon": "🔴",
        "tier": "red",
        "band": "severe",
        "flags": flags,
    }
    data = {
        "code": "P-ABC234",
        "role": "child",
        "age": "12-13",
        "trends": [
            {"instrument": name, "points": [point] * 300, **about(instruments[name])}
            for name in ("asq", "gad-7", "mood-kids", "phq-a", "psc-17", "who-5")
        ],
        "cases": [
            {
                "code": f"C-{i:05d}",
                "icon": "🔴",
                "tier": "red",
                "status": "closed",
                "outcome": "emergency",
                "opened": "2026-01-01",
                "notes": 999,
                "referrals": [f"local-psychiatric-clinic-{j}:attended" for j in range(40)],
            }
            for i in range(200)
        ],
        "follow_ups": [{"due": "2026-01-01", "done": i % 2 == 0} for i in range(500)],
        "views": 10**6,
    }
    visible = measured(catalog, Reply("screening/file", for_chat(data)), locale)
    assert "C-00199" in visible and "C-00000" not in visible  # the newest cases
    assert ("安全题" if locale == "zh_Hans" else "safety item") in visible  # flags spelled out


@pytest.mark.parametrize("locale", LOCALES)
def test_captions_fit(catalog: Any, locale: str) -> None:
    for data in SAMPLES["oversight/digest"]:
        big = {
            k: 10**7 if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in data.items()
        }
        digest = Reply("oversight/digest", {**big, "place": "😀" * 200})
        measured(catalog, digest, locale, CAPTION_LIMIT)
    for data in SAMPLES["privacy/mydata"]:
        measured(catalog, Reply("privacy/mydata", data), locale, CAPTION_LIMIT)
