"""The staff buttons' data (bot/domain/case_actions.py): every action packs to text Telegram
keeps and parses back to itself, anything forged parses to nothing, and the text is the same
the buttons have always carried, so cards already in a staff chat keep working."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

# What is generated is the test; how fast it is generated is not. On a machine with eight test
# runs at once, Hypothesis's own "input generation is slow" check failed correct code.
UNHURRIED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

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


# -- round trips ----------------------------------------------------------------------------

row_ids = st.integers(min_value=0, max_value=MAX_ROW_ID)
words = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)


def _value(kind: Any) -> st.SearchStrategy[Any]:
    if kind is int:
        return row_ids
    if kind is str:
        return words
    assert issubclass(kind, StrEnum), kind
    return st.sampled_from(list(kind))


@st.composite
def actions(draw: st.DrawFn) -> CaseAction:
    kind = draw(st.sampled_from(ACTIONS))
    hints = get_type_hints(kind)
    values = {f.name: draw(_value(hints[f.name])) for f in fields(kind)}
    return kind(**values)


@UNHURRIED
@given(actions())
def test_an_action_parses_back_to_itself(action: CaseAction) -> None:
    data = action.pack()
    assert len(data.encode()) <= LIMIT
    assert parse(data) == action


def _forged(draw: st.DrawFn, data: str) -> str:
    """A real button's text with one piece changed, dropped, or added to."""
    parts = data.split(":")
    at = draw(st.integers(min_value=0, max_value=len(parts) - 1))
    how = draw(st.sampled_from(["change", "drop", "add"]))
    if how == "drop" and len(parts) > 1:
        del parts[at]
    elif how == "add":
        parts.insert(at, draw(st.text(max_size=6)))
    else:
        parts[at] = draw(
            st.one_of(
                st.text(max_size=8),
                st.sampled_from(["-1", "01", "²", "١٢", "2147483648", "1e3", " 1", "", "RED"]),
            )
        )
    return ":".join(parts)


@st.composite
def anything(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["forged", "forged", "text", "bytes"]))
    if kind == "text":
        return draw(st.text(max_size=70))
    if kind == "bytes":
        return draw(st.binary(max_size=70)).decode("utf-8", "replace")
    return _forged(draw, draw(actions()).pack())


@UNHURRIED
@given(anything())
def test_whatever_parses_has_one_spelling(data: str) -> None:
    """Text the bot never made is refused, or is exactly the text of what it names: a
    number with a leading zero, a tier in capitals, a piece too many never get through."""
    found = parse(data)
    if found is not None:
        assert found.pack() == data


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
