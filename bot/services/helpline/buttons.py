"""What the person's helpline buttons do: ask for a counsellor, say whether they are safe
right now, or leave the offered check-in for later. Each says honestly who hears it and when.
"""

from __future__ import annotations

from bot.domain.cases import EventKind, Tier, Trigger
from bot.domain.outbox import Priority
from bot.domain.replies import Outcome, Reply
from bot.services.common import Who, person_for
from bot.services.helpline.escalation import Escalation
from bot.services.helpline.line import Line


class Buttons:
    def __init__(self, line: Line, escalation: Escalation) -> None:
        self.line = line
        self.escalation = escalation
        self.uow = line.uow
        self.clock = line.clock
        self.board = line.board

    async def request(self, who: Who) -> Outcome:
        """The person asked for a counsellor: a case (or the open one), and honest timing."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await person_for(uow, who, self.line.policy.default_locale)
            if person.role is not None and person.role.is_staff:
                return Outcome.of(Reply("helpline/staff_asked"))
            case, new = await self.escalation.for_triage(
                uow, person, Tier.YELLOW, Trigger.REQUEST, None, "", now
            )
            staffed = await self.line.staffed(uow, now)
            region = await self.line.region_of(uow, person)
            await uow.commit()
        return self.line.requested(staffed, now, case, new, region)

    async def safe_answer(self, who: Who, safe: bool) -> Outcome:
        """The answer to "are you safe right now?": recorded, told to staff, and answered."""
        now = self.clock.now()
        told, staffed, region, tier = False, False, None, Tier.RED
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            case = await uow.cases.open_for(person.id) if person and person.id else None
            region = await self.line.region_of(uow, person)
            if case is not None and person is not None:
                told, staffed = True, await self.line.staffed(uow, now)
                await uow.cases.log(case.id, EventKind.RAISED, now, None, safe_now=safe)
                if not safe and case.tier is not Tier.RED:
                    await uow.cases.update(case.id, tier=Tier.RED)
                    case = await uow.cases.by_id(case.id) or case
                    await self.board.rename(uow, case, now)
                    await self.escalation.red_alert(uow, case, person, staffed, now)
                await self.board.post(
                    uow,
                    case,
                    Reply("helpline/staff_safe", {"code": case.code, "safe": safe}),
                    now,
                    Priority.ALERT,
                )
                tier = case.tier
                await uow.commit()
        template = "helpline/safe_yes" if safe else "helpline/safe_no"
        # Who heard the answer is said as it is: the counsellor on duty, or nobody until
        # the next duty starts (and when), or nobody at all without a case.
        data = {
            **self.line.hotline_data(region),
            **self.line.when_data(now, tier),
            "told": told,
            "staffed": staffed,
        }
        return Outcome.of(Reply(template, data), toast="toast.thanks")

    def check_in_later(self) -> Outcome:
        return Outcome.of(Reply("helpline/check_in_later", self.line.hotline_data()))
