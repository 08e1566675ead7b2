"""The staff buttons' data (bot/domain/case_actions.py): every action packs to text Telegram
keeps and parses back to itself, anything forged parses to nothing, and the text is the same
the buttons have always carried, so cards already in a staff chat keep working. The same held
over whatever hypothesis makes: test_case_action_properties.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from bot.domain.callback import LIMIT, Codec
from bot.domain.case_actions import (
    ACTIONS,
    STATE_ACTIONS,
    CancelCanned,
    CannedMenu,
    CaseAction,
    Claim,
    CloseAs,
    CloseMenu,
    FollowUpDone,
    FollowUpIn,
    FollowUpMenu,
    MarkReferral,
    MissAs,
    MissMenu,
    NextCase,
    PreviewCanned,
    ReferMenu,
    ReferTo,
    Release,
    Reopen,
    SendCanned,
    SetTier,
    ShowCard,
    TellChildFirst,
    TellGuardian,
    TierMenu,
    TransferMenu,
    TransferTo,
    WhyNotFirst,
    parse,
    state_buttons,
)
from bot.domain.cases import CloseOutcome, ReferralStatus, Tier
from bot.domain.numbers import MAX_ROW_ID
from bot.domain.permissions import StaffAction
from bot.domain.triage import RiskLevel

A = StaffAction

# The text each button has carried since before the actions were typed, and the role-table
# action it takes (as handlers/staff.py mapped them): old cards must keep working.
WIRE: list[tuple[CaseAction, str, StaffAction]] = [
    (NextCase(), "case:next", A.CLAIM),
    (Claim(7), "case:claim:7", A.CLAIM),
    (Release(7), "case:release:7", A.CLAIM),
    (Reopen(7), "case:reopen:7", A.CLAIM),
    (ShowCard(7), "case:card:7", A.QUEUE),
    (TransferMenu(7), "case:xfer:7", A.TRANSFER),
    (TransferTo(7, 12), "case:xferto:7:12", A.TRANSFER),
    (ReferMenu(7), "case:refer:7", A.REFER),
    (ReferTo(7, "ex-clinic"), "case:referto:7:ex-clinic", A.REFER),
    (TierMenu(7), "case:tier:7", A.RETIER),
    (SetTier(7, Tier.GREEN), "case:settier:7:green", A.RETIER),
    (CloseMenu(7), "case:close:7", A.CLOSE),
    (CloseAs(7, CloseOutcome.NO_CONTACT), "case:closeas:7:no_contact", A.CLOSE),
    (FollowUpMenu(7), "case:fu:7", A.FOLLOW_UP),
    (FollowUpIn(7, 14), "case:fuin:7:14", A.FOLLOW_UP),
    (CannedMenu(7), "case:canned:7", A.RELAY),
    (MissMenu(7), "case:miss:7", A.MISSED),
    (MissAs(7, 99, RiskLevel.HIGH), "case:missas:7:99:high", A.MISSED),
    (PreviewCanned(7, "silence1"), "canned:7:silence1", A.RELAY),
    (SendCanned(7, "greet", "0a1b2c3d"), "canned:7:greet:ok:0a1b2c3d", A.RELAY),
    (CancelCanned(7, "greet"), "canned:7:greet:no", A.RELAY),
    (MarkReferral(3, ReferralStatus.ATTENDED), "ref:3:attended", A.REFER),
    (FollowUpDone(5), "fu:done:5", A.FOLLOW_UP),
    (TellGuardian(4), "file:tell:4", A.TELL_GUARDIAN),
    (TellChildFirst(4), "file:first:4", A.TELL_GUARDIAN),
    (WhyNotFirst(4), "file:why:4", A.TELL_GUARDIAN),
]


@pytest.mark.parametrize(("action", "data", "needs"), WIRE, ids=[w[1] for w in WIRE])
def test_the_text_is_the_one_buttons_have_always_carried(
    action: CaseAction, data: str, needs: StaffAction
) -> None:
    assert action.pack() == data
    assert parse(data) == action
    assert action.needs is needs


def test_every_action_is_in_the_table_once() -> None:
    assert {type(a) for a, _, _ in WIRE} == set(ACTIONS)
    assert len(set(ACTIONS)) == len(ACTIONS)
    assert len({a.shape for a in ACTIONS}) == len(ACTIONS)


def test_a_card_shows_its_state_with_one_of_three_buttons() -> None:
    assert state_buttons(3) == {"case:claim:3", "case:release:3", "case:reopen:3"}
    assert {type(parse(d)) for d in state_buttons(3)} == set(STATE_ACTIONS)


# -- forged and garbage -------------------------------------------------------------------------

FORGED = [
    "",
    ":",
    "case",
    "case:",
    "case:claim",
    "case:claim:",
    "case:claim:1:x",  # a piece too many
    "case:next:1",
    "case:claim:-1",
    "case:claim:01",  # one spelling per action
    "case:claim:+1",
    "case:claim:1e3",
    "case:claim: 1",
    "case:claim:²",
    "case:claim:١٢",
    "case:claim:2147483648",  # past a row id: the database driver would raise
    "case:claim:99999999999999999999",
    "case:claim:" + "9" * 5000,
    "case:settier:1:purple",
    "case:settier:1:RED",
    "case:settier:1:红",
    "case:closeas:1:closed",
    "case:missas:1:2:none ",
    "case:referto:1:",
    "case:referto:1:a b",
    "case:referto:1:资源",
    "canned:1:greet:maybe",
    "canned:1:greet:ok:",
    "canned:1:greet:ok:a:b",
    "ref:1:suggested ",
    "ref:1:lost",
    "fu:undo:1",
    "file:tell:x",
    "file:burn:1",
    "sc:case:1",
    "CASE:claim:1",
    "case:Claim:1",
    "case:claim:1\n",
    "case:claim:\u200b1",
    "case:claim:1\x00",
    "\ud800",
]


@pytest.mark.parametrize("data", FORGED)
def test_forged_data_names_no_action(data: str) -> None:
    assert parse(data) is None


def test_nothing_over_telegrams_limit_is_made_or_read() -> None:
    longest = SendCanned(MAX_ROW_ID, "c" * 20, "t" * 20)
    assert len(longest.pack().encode()) <= LIMIT
    too_long = SendCanned(MAX_ROW_ID, "c" * 40, "t" * 40)
    with pytest.raises(ValueError, match="64 bytes"):
        too_long.pack()
    assert parse("canned:1:" + "c" * 40 + ":ok:" + "t" * 40) is None


@pytest.mark.parametrize(
    "action",
    [
        Claim(-1),
        Claim(MAX_ROW_ID + 1),
        Claim(True),
        ReferTo(1, "a:b"),  # a separator inside a field would shift every piece after it
        ReferTo(1, ""),
        PreviewCanned(1, "资源"),
    ],
)
def test_the_bot_never_makes_a_button_it_would_refuse(action: CaseAction) -> None:
    with pytest.raises(ValueError, match="cannot be sent"):
        action.pack()


def test_a_codec_refuses_two_actions_with_one_shape_and_fields_it_cannot_spell() -> None:
    @dataclass(frozen=True, slots=True)
    class Twin(CaseAction):
        shape: ClassVar[str] = Claim.shape
        needs: ClassVar[StaffAction] = StaffAction.CLAIM
        case_id: int

    with pytest.raises(ValueError, match="share a shape"):
        Codec([Claim, Twin])

    @dataclass(frozen=True, slots=True)
    class Dated(CaseAction):
        shape: ClassVar[str] = "case:dated:{when}"
        needs: ClassVar[StaffAction] = StaffAction.CLAIM
        when: float

    with pytest.raises(TypeError, match="no callback reading"):
        Codec([Dated])
