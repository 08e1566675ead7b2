"""Re-tiering a case: from its menu's buttons to the typed `/tier <tier> <reason>`."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.case_actions import SetTier, ShowCard
from bot.domain.cases import EventKind, Tier, lowers_red, parse_tier
from bot.domain.lengths import clip
from bot.domain.people import Role
from bot.domain.replies import Choice, Reply
from bot.services.board import card_actions
from bot.services.casework.access import NOT_STAFF, holder_refusal
from bot.services.casework.desk import REASON_LIMIT, REASON_UNITS, DeskWork
from bot.services.casework.results import Menu, Place, StaffResult


class Tiers(DeskWork):
    def tier_menu(self, case_id: int) -> Menu:
        return (
            tuple(Choice(f"btn.tier.{t.value}", SetTier(case_id, t).pack()) for t in Tier),
            (Choice("btn.case.back", ShowCard(case_id).pack()),),
        )

    async def set_tier(
        self, telegram_id: int, at: Place, case_id: int, tier_value: str, reason: str = ""
    ) -> StaffResult:
        """Re-tier on the same terms as release, close and transfer (the holder, or a
        supervisor; a waiting case, anyone on staff), always with a reason on the record.
        Lowering a red case takes a supervisor: it moves the first-response target from
        minutes to hours, and stops the paging that comes with it."""
        tier = parse_tier(tier_value)
        if tier is None:
            return StaffResult("toast.case.bad_tier", alert=True)
        reason = reason.strip()[:REASON_LIMIT]
        now = self.clock.now()
        async with self.uow() as uow:
            acting = await self.access.acting(uow, telegram_id, at, case_id, open_only=True)
            if isinstance(acting, StaffResult):
                return acting
            staff, case = acting
            if case.tier is tier:
                return StaffResult("toast.case.tier_same")
            if (refused := holder_refusal(staff, case)) is not None:
                return refused
            if lowers_red(case, tier) and staff.role is not Role.SUPERVISOR:
                return StaffResult("toast.case.lower_red", alert=True)
            if not reason:
                # The tier menu's buttons land here: the reason is typed, as a command.
                return StaffResult("toast.case.tier_reason", {"tier": tier.value}, alert=True)
            reason = clip(reason, REASON_UNITS)
            await uow.cases.update(case.id, tier=tier)
            await uow.cases.log(
                case.id,
                EventKind.RETIERED,
                now,
                staff.person_id,
                before=case.tier.value,
                after=tier.value,
                reason=reason,
            )
            changed = await uow.cases.by_id(case.id) or case
            await self.board.rename(uow, changed, now)
            await self.board.post(
                uow,
                changed,
                Reply(
                    "helpline/staff_retiered",
                    {
                        "code": case.code,
                        "tier": tier.value,
                        # As on the record: a reason of 4000 characters would make the post
                        # too long for Telegram, and the re-tier would go unannounced.
                        "reason": reason,
                        "name": staff.display_name,
                    },
                ),
                now,
            )
            await uow.commit()
        return StaffResult("toast.case.retiered", {"tier": tier.value}, menu=card_actions(changed))

    async def tier_command(
        self, telegram_id: int, chat_id: int, topic_id: int | None, args: str
    ) -> str | StaffResult:
        """`/tier red <reason>` in a case topic. A refusal comes back as a StaffResult, to be
        said in the topic."""
        async with self.uow() as uow:
            # Staff first: anyone else, in any group, gets no answer at all (not even "use it
            # in a case topic", which tells a stranger what this chat is).
            if await self.access.staff(uow, telegram_id, chat_id) is None:
                return "ignored"
            case, args = await self.access.command_case(uow, chat_id, topic_id, args)
        if case is None:
            return "helpline/staff_in_topic_only"
        words = args.split(maxsplit=1)
        if not words:
            return "helpline/staff_tier_usage"
        result = await self.set_tier(
            telegram_id,
            Place(chat_id, topic_id),
            case.id,
            words[0].lower(),
            words[1] if len(words) > 1 else "",
        )
        if result is NOT_STAFF:
            return "ignored"
        if result.toast == "toast.case.bad_tier":
            return "helpline/staff_tier_usage"
        # The topic hears of a re-tier from its post; a toast is said only when it refuses.
        return result if result.alert or not result.menu else replace(result, toast="")
