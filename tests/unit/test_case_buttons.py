"""Every staff button reaches the use case it always has (bot/services/case_buttons.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import case_actions as ca
from bot.domain.cases import CloseOutcome, ReferralStatus, Tier
from bot.domain.triage import RiskLevel
from bot.services.case_buttons import CALLS, Press, press
from bot.services.casework import STALE, Place, StaffResult

WHO = 7
AT = Place(-100, 5)
DONE = StaffResult("toast.test.done")


Calls = list[tuple[str, tuple[Any, ...]]]


class Recording:
    """A service whose every use case records its name and arguments and answers DONE."""

    def __init__(self, calls: Calls, service: str) -> None:
        self.calls = calls
        self.service = service

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any) -> StaffResult:
            self.calls.append((f"{self.service}.{name}", args))
            return DONE

        return call


# Each button, and the call the staff router's match made for it before the table.
EXPECTED: list[tuple[ca.CaseAction, str, tuple[Any, ...]]] = [
    (ca.TellGuardian(3), "files.tell_guardian", (WHO, AT.chat_id, 3)),
    (ca.TellChildFirst(3), "files.tell_child_first", (WHO, AT.chat_id, 3)),
    (ca.WhyNotFirst(3), "files.why_needed", (WHO, AT.chat_id, 3)),
    (ca.PreviewCanned(9, "calm"), "casework.preview_canned", (WHO, AT, 9, "calm")),
    (ca.SendCanned(9, "calm", "t1"), "casework.send_canned", (WHO, AT, 9, "calm", "t1")),
    (
        ca.MarkReferral(4, ReferralStatus.ATTENDED),
        "casework.referral_status",
        (WHO, AT, 4, "attended"),
    ),
    (ca.FollowUpDone(6), "casework.follow_up_done", (WHO, AT.chat_id, 6)),
    (ca.NextCase(), "casework.take_next", (WHO, AT.chat_id)),
    (ca.Claim(9), "casework.claim", (WHO, AT, 9)),
    (ca.Release(9), "casework.release", (WHO, AT, 9)),
    (ca.Reopen(9), "casework.reopen", (WHO, AT, 9)),
    (ca.ShowCard(9), "casework.card_menu", (WHO, AT, 9)),
    (ca.TransferMenu(9), "casework.transfer_menu", (WHO, AT, 9)),
    (ca.ReferMenu(9), "casework.refer_menu", (WHO, AT, 9)),
    (ca.TierMenu(9), "casework.menu_for", (WHO, AT, 9, "tier")),
    (ca.CloseMenu(9), "casework.menu_for", (WHO, AT, 9, "close")),
    (ca.FollowUpMenu(9), "casework.menu_for", (WHO, AT, 9, "fu")),
    (ca.CannedMenu(9), "casework.menu_for", (WHO, AT, 9, "canned")),
    (ca.SetTier(9, Tier.RED), "casework.set_tier", (WHO, AT, 9, "red")),
    (ca.CloseAs(9, CloseOutcome.REFERRED), "casework.close", (WHO, AT, 9, "referred")),
    (ca.TransferTo(9, 12), "casework.transfer", (WHO, AT, 9, 12)),
    (ca.ReferTo(9, "clinic-1"), "casework.refer", (WHO, AT, 9, "clinic-1")),
    (ca.FollowUpIn(9, 7), "casework.follow_up", (WHO, AT, 9, 7)),
    (ca.MissMenu(9), "misses.picker", (WHO, AT, 9)),
    (ca.MissAs(9, 33, RiskLevel.HIGH), "misses.picked", (WHO, AT, 9, 33, "high")),
]


def _press(calls: Calls, with_misses: bool = True) -> Press:
    misses: Any = Recording(calls, "misses") if with_misses else None
    return Press(Recording(calls, "casework"), Recording(calls, "files"), misses, WHO, AT)


def test_every_action_has_a_call() -> None:
    assert set(CALLS) == set(ca.ACTIONS)


@pytest.mark.parametrize(("action", "name", "args"), EXPECTED, ids=lambda x: str(x)[:30])
async def test_each_button_calls_its_use_case(
    action: ca.CaseAction, name: str, args: tuple[Any, ...]
) -> None:
    calls: Calls = []
    assert await press(_press(calls), action) is DONE
    assert calls == [(name, args)]


async def test_cancelling_a_preview_sends_nothing_and_clears_its_buttons() -> None:
    calls: Calls = []
    result = await press(_press(calls), ca.CancelCanned(9, "calm"))
    assert (result.toast, result.menu) == ("toast.canned.cancelled", ())
    assert calls == []


@pytest.mark.parametrize("action", [ca.MissMenu(9), ca.MissAs(9, 33, RiskLevel.HIGH)])
async def test_miss_buttons_are_outdated_without_the_misses_service(
    action: ca.CaseAction,
) -> None:
    calls: Calls = []
    assert await press(_press(calls, with_misses=False), action) is STALE
    assert calls == []
