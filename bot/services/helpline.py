"""The person's side of the helpline: triage every message, answer at once, escalate.

A child who writes something that shows danger gets a calm reply in the same update and a case
in the counsellor queue; a person with an open case is heard by the counsellor, not the bot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.asking import Answer, TypedAnswers
from bot.domain.case_actions import Reopen
from bot.domain.cases import Case, CaseStatus, DutyHours, EventKind, Targets, Tier, Trigger
from bot.domain.hotlines import HotlineBook
from bot.domain.lengths import MARK, head_and_rest, share
from bot.domain.locale import Locale
from bot.domain.outbox import Priority
from bot.domain.people import Person, Role
from bot.domain.replies import Choice, Keyboard, Outcome, Reply, rows
from bot.domain.safety_net import Action, Decision, NetPolicy, decide, may_ask, settle
from bot.domain.triage import Category, RiskLevel, Triage
from bot.ports import CaseMessage, Classifier, Clock, UnitOfWork, UnitOfWorkFactory
from bot.services.board import Board, card_actions
from bot.services.common import Who, person_for

# Categories whose disclosure at "high" is already the most urgent tier (the journey: a child
# writing 我不想活了 is a red case).
_RED_AT_HIGH = frozenset({Category.SUICIDE, Category.SEXUAL_ABUSE})
# The card quotes the person's first words and the evidence within Telegram's 4,096 UTF-16
# units, leaving room for its own lines in either language (tests/content/test_lengths.py
# renders the worst case); the words that do not fit follow as the topic's next post.
CARD_WORDS = 2800
EVIDENCE_UNITS = 600
EVIDENCE_ITEMS = 10
# A message this soon after the person's case closed goes to that case's topic (issue 17).
AFTER_CLOSE = timedelta(days=1)
# The words quoted on the card of a case the direct question led to.
ASKED_WORDS = 5
DUE_BATCH = 100


def evidence_quotes(evidence: Sequence[str]) -> list[str]:
    """What triage matched, as a card or an alert can show it: a long message can match many
    rules, and a pattern's match can be long."""
    return share(list(evidence)[:EVIDENCE_ITEMS], EVIDENCE_UNITS)


def case_card(case: Case, person: Person, text: str, target_minutes: int) -> tuple[Reply, str]:
    """A new case's card, quoting the person's first words as far as they fit, and the rest
    of them (marked as going on), for the topic's next post."""
    words, rest = head_and_rest(text, CARD_WORDS)
    card = Reply(
        "helpline/card",
        {
            "code": case.code,
            "tier": case.tier.value,
            "icon": case.tier.icon,
            "trigger": case.trigger.value,
            "categories": list(case.categories),
            "evidence": evidence_quotes(case.evidence),
            "role": person.role.value if person.role else "",
            "age": person.age_band.value if person.age_band else "",
            "opened": case.opened_at.isoformat(timespec="seconds"),
            "target": target_minutes,
            "first": words,
        },
        choices=card_actions(case),
    )
    return card, MARK + rest if rest else ""


def tier_for(triage: Triage) -> Tier | None:
    """The case tier a message calls for; None when it does not open a case."""
    if triage.level is RiskLevel.CRITICAL:
        return Tier.RED
    if triage.level is RiskLevel.HIGH:
        return Tier.RED if _RED_AT_HIGH & set(triage.categories) else Tier.ORANGE
    return None


@dataclass(frozen=True, slots=True)
class HelplinePolicy:
    targets: Targets = field(default_factory=Targets)
    duty: DutyHours = field(default_factory=DutyHours)
    staff_chat_id: int | None = None
    default_locale: Locale = Locale.ZH_HANS


@dataclass(frozen=True, slots=True)
class Heard:
    """What the handler does with a message: answer it here, or let other routers have it."""

    outcome: Outcome
    handled: bool


class Helpline:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        triager: Classifier,
        hotlines: HotlineBook,
        board: Board,
        policy: HelplinePolicy,
        hold_kinds: Sequence[str] = (),
        net: NetPolicy | None = None,
        answers: TypedAnswers | None = None,
    ) -> None:
        self.net = net or NetPolicy()
        self.answers = answers or TypedAnswers()
        self.uow = uow
        self.clock = clock
        self.triager = triager
        self.hotlines = hotlines
        self.board = board
        self.policy = policy
        self.hold_kinds = tuple(hold_kinds)

    # -- what the person sees -------------------------------------------------------------

    def _hotline_data(self, region: str | None = None) -> dict[str, object]:
        """The lines that answer at this hour first (a reply never claims a closed line)."""
        return dict(self.hotlines.shown(region, self.clock.now()))

    async def _staffed(self, uow: UnitOfWork, now: datetime) -> bool:
        if not self.policy.duty.is_open(now) or self.policy.staff_chat_id is None:
            return False
        return any(s.on_duty for s in await uow.staff.active())

    def _when_data(self, now: datetime, tier: Tier) -> dict[str, object]:
        opening = self.policy.duty.next_opening(now)
        minutes = int(self.policy.targets.target(tier).total_seconds() // 60)
        # `back`: when counsellors are next on duty, for a person told that nobody is now.
        return {
            "minutes": minutes,
            "opens": opening.isoformat(timespec="minutes"),
            "back": self.policy.duty.back(now),
        }

    async def staffed_now(self, uow: UnitOfWork, now: datetime) -> bool:
        return await self._staffed(uow, now)

    def safety_reply(
        self, staffed: bool, now: datetime, tier: Tier, region: str | None = None
    ) -> Reply:
        return self._safety_reply(staffed, now, tier, region)

    async def region_of(self, uow: UnitOfWork, person: Person | None) -> str | None:
        """Hotlines differ by province: the person's service point says where they are."""
        if person is None or person.service_point_id is None:
            return None
        sp = await uow.service_points.by_id(person.service_point_id)
        return sp.region if sp and sp.region else None

    async def region_for(self, who: Who) -> str | None:
        async with self.uow() as uow:
            return await self.region_of(uow, await uow.people.by_telegram_id(who.telegram_id))

    def _safety_reply(
        self, staffed: bool, now: datetime, tier: Tier, region: str | None = None
    ) -> Reply:
        return Reply(
            "helpline/safety_now",
            {**self._hotline_data(region), **self._when_data(now, tier), "staffed": staffed},
            choices=rows(
                Choice("btn.safe.yes", "safe:yes"), Choice("btn.safe.no", "safe:no"), width=2
            ),
            keyboard=Keyboard.KEEP,
        )

    # -- cases ----------------------------------------------------------------------------

    async def _escalate(
        self,
        uow: UnitOfWork,
        person: Person,
        tier: Tier,
        trigger: Trigger,
        triage: Triage | None,
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> tuple[Case, bool]:
        categories = [c.value for c in triage.categories] if triage else []
        evidence = list(triage.matched) if triage else []
        return await self.escalate(
            uow, person, tier, trigger, categories, evidence, text, now, relay
        )

    async def escalate(
        self,
        uow: UnitOfWork,
        person: Person,
        tier: Tier,
        trigger: Trigger,
        categories: Sequence[str],
        evidence: Sequence[str],
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> tuple[Case, bool]:
        """Open the person's case or raise the open one; the staff chat hears of it either way.
        Runs inside the caller's unit of work: the case and what caused it commit together.
        `relay=False`: the words reach the topic another way (a caption, on its copied media)."""
        assert person.id is not None
        categories = list(categories)
        evidence = list(evidence)
        chat = await self._staff_chat_for(uow, person, now)
        case, new = await uow.cases.open(person.id, chat, tier, trigger, categories, evidence, now)
        staffed = await self._staffed(uow, now)
        if new:
            await uow.cases.log(
                case.id,
                EventKind.OPENED,
                now,
                None,
                trigger=trigger.value,
                tier=tier.value,
                categories=categories,
                staffed=staffed,
            )
            if person.telegram_id is not None:
                await uow.holds.hold_chat(person.telegram_id, self.hold_kinds)
            await self.board.open_topic(uow, case, now)
            # Crisis priority, queued before the person's words: the card leads the topic.
            # The person's first words ride on the card: one post, not two, from the group's
            # 20 a minute.
            target = int(self.policy.targets.target(case.tier).total_seconds() // 60)
            card, rest = case_card(case, person, text, target)
            await self.board.post(uow, case, card, now, Priority.ALERT, what="card")
            if rest:
                await self.board.relay_in(uow, case, rest, now)
            if not staffed:
                await uow.cases.log(case.id, EventKind.OUT_OF_HOURS, now)
            if tier is Tier.RED:
                await self._red_alert(uow, case, person, staffed, now)
        else:
            raised = case.tier.raised_to(tier)
            await uow.cases.log(
                case.id,
                EventKind.RAISED,
                now,
                None,
                trigger=trigger.value,
                tier=tier.value,
                categories=categories,
            )
            if raised is not case.tier:
                await uow.cases.update(case.id, tier=raised)
                case = await uow.cases.by_id(case.id) or case
                await self.board.rename(uow, case, now)
                if raised is Tier.RED:
                    await self._red_alert(uow, case, person, staffed, now)
                await self.board.post(
                    uow,
                    case,
                    Reply(
                        "helpline/staff_raised",
                        {
                            "code": case.code,
                            "tier": raised.value,
                            "categories": categories,
                            "evidence": evidence_quotes(evidence),
                        },
                    ),
                    now,
                    Priority.ALERT,
                )
        if text:
            await self._record_in(uow, case, person, text, now, relay=relay and not new)
        return case, new

    async def _red_alert(
        self, uow: UnitOfWork, case: Case, person: Person, staffed: bool, now: datetime
    ) -> None:
        """A case that is red now, opened so or raised: the counsellors on duty are alerted
        while it waits, and out of hours the supervisors are paged. A red case raised out of
        hours (a child pressing 我现在不安全 at 3 a.m.) used to reach no one until morning."""
        if staffed:
            if case.status is CaseStatus.WAITING:
                await self.board.alert_on_duty(uow, case, person.service_point_id, now)
            return
        await self.board.page_supervisors(
            uow,
            case,
            "helpline/page_unstaffed",
            {"tier": case.tier.value},
            now,
            f"helpline/page_unstaffed:{case.alert_level}",
        )

    async def _staff_chat_for(self, uow: UnitOfWork, person: Person, now: datetime) -> int:
        """The person's service point's staff group; of several, the one least behind (one
        group carries about six calm conversations: a new case must not queue behind a
        saturated group's chat while the point has another)."""
        if person.service_point_id is not None:
            sp = await uow.service_points.by_id(person.service_point_id)
            chats = sp.staff_chat_ids if sp is not None else ()
            if len(chats) > 1:
                backlog = await uow.outbox.backlog(chats, now)
                talking = Counter(c.staff_chat_id for c in await uow.cases.all_open())
                return min(chats, key=lambda c: (backlog.get(c, 0), talking[c], chats.index(c)))
            if chats:
                return chats[0]
        return self.policy.staff_chat_id or 0

    async def _record_in(
        self,
        uow: UnitOfWork,
        case: Case,
        person: Person,
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> None:
        await uow.cases.add_message(case.id, CaseMessage(now, "in", person.id, text))
        await uow.cases.update(case.id, last_person_at=now)
        if relay:
            await self.board.relay_in(uow, case, text, now)

    # -- entry points ---------------------------------------------------------------------

    def needs_action(self, text: str, words_only: bool = False) -> bool:
        """Whether the words alone, in a new conversation, call for anything (a case, the
        question or a check-in): for words that are not talk to a counsellor (a command's
        arguments), which are acted on only then. With `words_only`, only what the lexicon
        found or a request for a person counts, not the model's score: a staff command's
        arguments are codes ("C-0001 asq 7"), which the model may score like anything."""
        decision = decide(self.triager.classify(text), policy=self.net)
        if words_only and decision.reason not in ("level", "request"):
            return False
        return decision.action is not Action.NONE

    async def hear(self, who: Who, text: str, relay: bool = True) -> Heard:
        """Every free-text message from a private chat passes here first: read with the
        person's last minutes of messages, then escalated, asked about, offered a counsellor,
        relayed to their counsellor, or left to the other routers. `relay=False` for a
        caption: heard and acted on alike, but the counsellor sees it on the copied media
        (`media`), not twice."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is not None and person.role is not None and person.role.is_staff:
                return Heard(Outcome(), handled=False)
            earlier: Sequence[str] = ()
            if person is not None and person.id is not None:
                earlier = await uow.net.earlier(
                    person.id, now - self.net.context_window, self.net.context_messages
                )
                await uow.net.remember(person.id, text, now)
            triage = self.triager.classify(text, earlier)
            guardian = person is not None and person.role is Role.GUARDIAN
            decision = decide(triage, guardian=guardian, policy=self.net)
            # A whole-message answer (有, 没有, 不想说) to a waiting question is that answer,
            # even where read with the words that led to the question it would escalate: the
            # answer decides (有 is red at once), not a second reading of the same words.
            typed = self.answers.read(text)
            if typed is not None and person is not None and person.id is not None:
                question = await uow.net.pending(person.id)
                if question is not None and question.due_at > now:
                    # "有" typed instead of pressed is the same answer.
                    outcome = await self._answer(uow, person, question.id, typed, now)
                    await uow.commit()
                    return Heard(outcome, handled=True)
            case = await uow.cases.open_for(person.id) if person and person.id else None
            if case is not None and person is not None:
                if earlier and decision.action is not Action.NONE:
                    decision = self._news_in_case(case, decision, text, guardian)
                outcome = await self._hear_in_case(uow, person, case, decision, text, now, relay)
                await uow.commit()
                return Heard(outcome, handled=True)
            if decision.action is Action.ESCALATE:
                person = person or await person_for(uow, who, self.policy.default_locale)
                outcome = await self._escalate_now(uow, person, decision, text, now)
                await uow.commit()
                return Heard(outcome, handled=True)
            after = await self._closed_lately(uow, person, now)
            if decision.action is Action.ASK:
                if person is None:
                    # The question needs someone to belong to (only a Telegram id and a
                    # language, as for an emergency case), and its card the words.
                    person = await person_for(uow, who, self.policy.default_locale)
                    assert person.id is not None
                    await uow.net.remember(person.id, text, now)
                assert person.id is not None
                last = await uow.net.last_asked(person.id)
                decision = settle(decision, may_ask(last, now, self.net))
            if after is not None and person is not None:
                # Within a day of closing: the counsellor who closed it hears it, not the bot.
                await self._after_close(uow, after, text, now, relay)
            if decision.action is Action.ASK and person is not None:
                outcome = await self._ask(uow, person, decision, now)
            elif after is not None:
                outcome = Outcome.of(await self._passed_on(uow, person, after, now))
            elif decision.action is Action.OFFER:
                outcome = Outcome.of(
                    Reply(
                        "helpline/check_in",
                        {"guardian": guardian},
                        choices=rows(
                            Choice("btn.checkin.talk", "help:counsellor"),
                            Choice("btn.checkin.later", "help:later"),
                        ),
                    )
                )
            else:
                outcome = Outcome()
            await uow.commit()
        return Heard(outcome, handled=bool(outcome.replies))

    async def _escalate_now(
        self, uow: UnitOfWork, person: Person, decision: Decision, text: str, now: datetime
    ) -> Outcome:
        """A case at once. Emergency escalation needs no fresh consent (docs/DOMAIN.md §5): a
        first message can open a case, with only the Telegram id and language kept until
        consent. A request for a person is the counsellor button, in words."""
        region = await self.region_of(uow, person)
        if decision.request:
            case, new = await self._escalate(
                uow, person, Tier.YELLOW, Trigger.REQUEST, None, text, now
            )
            return self._requested(await self._staffed(uow, now), now, case, new, region)
        tier = tier_for(decision.triage) or Tier.ORANGE
        case, _ = await self._escalate(
            uow, person, tier, Trigger.TRIAGE, decision.triage, text, now
        )
        staffed = await self._staffed(uow, now)
        return Outcome.of(self._safety_reply(staffed, now, case.tier, region))

    def _news_in_case(self, case: Case, decision: Decision, text: str, guardian: bool) -> Decision:
        """In an open case, what only the earlier words made risky has been acted on: the
        case exists (or was raised) for them. "好的" after "药我都攒好了" is not a new danger,
        and answering it with the safety reply again would be noise. Context still counts
        where it raises the case (high and then a time: critical)."""
        alone = decide(self.triager.classify(text), guardian=guardian, policy=self.net)
        if alone.action is Action.ESCALATE:
            return decision if not alone.request else alone
        if decision.action is Action.ESCALATE and not decision.request:
            tier = tier_for(decision.triage) or Tier.ORANGE
            if case.tier.raised_to(tier) is not case.tier:
                return decision
        return alone

    async def _hear_in_case(
        self,
        uow: UnitOfWork,
        person: Person,
        case: Case,
        decision: Decision,
        text: str,
        now: datetime,
        relay: bool = True,
    ) -> Outcome:
        """A counsellor owns the conversation: the words are relayed, and the case is raised
        when they show danger. Until a counsellor has answered, the person is not left in
        silence: the safety reply with the new response time; afterwards one quiet line of
        hotlines, so as not to talk over the counsellor."""
        answered = case.first_response_at is not None
        region = await self.region_of(uow, person)
        if decision.action is Action.ESCALATE and not decision.request:
            tier = tier_for(decision.triage) or Tier.ORANGE
            case, _ = await self._escalate(
                uow, person, tier, Trigger.TRIAGE, decision.triage, text, now, relay
            )
            if answered:
                return Outcome.of(Reply("helpline/quiet_hotlines", self._hotline_data(region)))
            staffed = await self._staffed(uow, now)
            return Outcome.of(self._safety_reply(staffed, now, case.tier, region))
        if decision.request:
            case, new = await self._escalate(
                uow, person, Tier.YELLOW, Trigger.REQUEST, None, text, now, relay
            )
            if answered:
                return Outcome()
            return self._requested(await self._staffed(uow, now), now, case, new, region)
        await self._record_in(uow, case, person, text, now, relay)
        if decision.action is Action.ASK and not answered:
            return Outcome.of(Reply("helpline/quiet_hotlines", self._hotline_data(region)))
        return Outcome()

    async def _passed_on(
        self, uow: UnitOfWork, person: Person | None, case: Case, now: datetime
    ) -> Reply:
        """Words or media after a case closed went to the counsellor who closed it: said
        honestly about duty (out of hours, when they are back), with the hotlines."""
        region = await self.region_of(uow, person)
        data = {
            **self._hotline_data(region),
            **self._when_data(now, case.tier),
            "staffed": await self._staffed(uow, now),
        }
        return Reply("helpline/passed_on", data)

    def _requested(
        self, staffed: bool, now: datetime, case: Case, new: bool, region: str | None
    ) -> Outcome:
        template = "helpline/requested" if staffed else "helpline/requested_unstaffed"
        data = {**self._hotline_data(region), **self._when_data(now, case.tier), "again": not new}
        return Outcome.of(Reply(template, data))

    # -- after a case closed --------------------------------------------------------------

    async def _closed_lately(
        self, uow: UnitOfWork, person: Person | None, now: datetime
    ) -> Case | None:
        """The person's case closed within the last day, if any: their next words are most
        likely for the counsellor who just talked with them."""
        if person is None or person.id is None:
            return None
        ids = await uow.cases.ids_for(person.id)
        last = await uow.cases.by_id(ids[-1]) if ids else None
        if last is None or last.status is not CaseStatus.CLOSED or last.closed_at is None:
            return None
        return last if now - last.closed_at <= AFTER_CLOSE else None

    async def _after_close(
        self, uow: UnitOfWork, case: Case, text: str, now: datetime, relay: bool = True
    ) -> None:
        """The words in the closed case's topic, then one tap to reopen it."""
        await uow.cases.add_message(case.id, CaseMessage(now, "in", case.person_id, text))
        if relay:  # else a caption: its media follows (`media`), and offers the reopening
            await self.board.relay_in(uow, case, text, now)
            await self._offer_reopen(uow, case, now)

    async def _offer_reopen(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        await self.board.post(
            uow,
            case,
            Reply(
                "helpline/staff_after_close",
                {"code": case.code},
                choices=rows(Choice("btn.case.reopen", Reopen(case.id).pack())),
            ),
            now,
            Priority.ALERT,
        )

    # -- the direct question --------------------------------------------------------------

    async def _ask(
        self, uow: UnitOfWork, person: Person, decision: Decision, now: datetime
    ) -> Outcome:
        """The direct question, with 有 / 没有 / 不想说, the counsellor button and the
        hotlines. What is kept: who, when, by when, and why (never their words)."""
        assert person.id is not None
        guardian = person.role is Role.GUARDIAN
        question = await uow.net.ask(
            person.id, decision.reason[:16], guardian, now, now + self.net.answer_within
        )
        region = await self.region_of(uow, person)
        return Outcome.of(self._question_reply(question.id, guardian, region))

    def _question_reply(self, q: int, guardian: bool, region: str | None) -> Reply:
        return Reply(
            "helpline/ask",
            {**self._hotline_data(region), "guardian": guardian},
            choices=(
                (
                    Choice("btn.ask.yes", f"ask:yes:{q}"),
                    Choice("btn.ask.no", f"ask:no:{q}"),
                    Choice("btn.ask.skip", f"ask:skip:{q}"),
                ),
                (Choice("btn.help", "help:counsellor"),),
            ),
        )

    async def waiting(self, who: Who) -> tuple[Reply, bool] | None:
        """The direct question this person was asked and has not answered in time yet, to ask
        again after a typed message that is none of its answers (and showed no risk: that was
        heard first), and whether they are addressed with 您. Only the words in
        content/helpline/answers.yaml answer it: never a number or a guess."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return None
            question = await uow.net.pending(person.id)
            if question is None or question.due_at <= now:
                return None
            guardian = person.role is Role.GUARDIAN
            region = await self.region_of(uow, person)
        return self._question_reply(question.id, guardian, region), guardian

    async def answer(self, who: Who, question_id: int, answer: Answer) -> Outcome:
        """A press of 有 / 没有 / 不想说. A stale or repeated press, or someone else's
        button, is thanked and changes nothing."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            question = await uow.net.question(question_id)
            if person is None or question is None or question.person_id != person.id:
                return Outcome(toast="toast.ask.answered")
            outcome = await self._answer(uow, person, question_id, answer, now)
            await uow.commit()
        return outcome

    async def _answer(
        self, uow: UnitOfWork, person: Person, question_id: int, answer: Answer, now: datetime
    ) -> Outcome:
        """有 escalates at once as critical; 不想说 opens a yellow case so a human looks;
        没有 gets a warm reply and the offer of a counsellor. Only the first answer counts
        (one conditional UPDATE), so a double press or a press racing the timer makes one
        case, whichever instance handles it."""
        if not await uow.net.settle(question_id, answer, now):
            return Outcome(toast="toast.ask.answered")
        if answer is Answer.NO:
            return Outcome.of(
                Reply(
                    "helpline/ask_no",
                    {"guardian": person.role is Role.GUARDIAN},
                    choices=rows(Choice("btn.checkin.talk", "help:counsellor")),
                ),
                toast="toast.thanks",
            )
        region = await self.region_of(uow, person)
        case = await self._unsure_case(uow, person, answer, now)
        staffed = await self._staffed(uow, now)
        if answer is Answer.YES:
            return Outcome.of(self._safety_reply(staffed, now, case.tier, region))
        data = {**self._hotline_data(region), **self._when_data(now, case.tier)}
        return Outcome.of(Reply("helpline/ask_skip", {**data, "staffed": staffed}))

    async def _unsure_case(
        self, uow: UnitOfWork, person: Person, answer: Answer, now: datetime
    ) -> Case:
        """The case an answer calls for, with the words that led to the question (from the
        context still kept) on its card."""
        assert person.id is not None
        words = await uow.net.earlier(
            person.id, now - self.net.answer_within - self.net.context_window, ASKED_WORDS
        )
        triage = self.triager.classify(words[-1], words[:-1]) if words else None
        categories = [c.value for c in triage.categories] if triage else []
        evidence = list(triage.matched) if triage else []
        if answer is Answer.YES:
            tier, trigger = Tier.RED, Trigger.ASKED
            if Category.SUICIDE.value not in categories:
                categories.append(Category.SUICIDE.value)
        else:
            tier, trigger = Tier.YELLOW, Trigger.UNCONFIRMED
        case, _ = await self.escalate(
            uow, person, tier, trigger, categories, evidence, "\n".join(words), now
        )
        return case

    async def unanswered(self, now: datetime) -> int:
        """Questions nobody answered in time become yellow cases ("possible risk,
        unconfirmed"), so a human looks. Claimed one by one with the same conditional UPDATE
        as a press: a restart, a late press or a second instance makes no second case."""
        done = 0
        async with self.uow() as uow:
            due = await uow.net.due(now, DUE_BATCH)
        for question in due:
            async with self.uow() as uow:
                person = await uow.people.by_id(question.person_id)
                if person is None or not await uow.net.settle(question.id, Answer.TIMEOUT, now):
                    continue
                await self._unsure_case(uow, person, Answer.TIMEOUT, now)
                await uow.commit()
            done += 1
        return done

    async def tick(self, now: datetime) -> dict[str, int]:
        """The safety net's timer: unanswered questions first (their cards quote the words
        still kept), then the words older than the context window go."""
        asked = await self.unanswered(now)
        async with self.uow() as uow:
            forgotten = await uow.net.forget_before(now - self.net.context_window)
            await uow.commit()
        return {"unanswered": asked, "forgotten": forgotten}

    async def request(self, who: Who) -> Outcome:
        """The person asked for a counsellor: a case (or the open one), and honest timing."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await person_for(uow, who, self.policy.default_locale)
            if person.role is not None and person.role.is_staff:
                return Outcome.of(Reply("helpline/staff_asked"))
            case, new = await self._escalate(
                uow, person, Tier.YELLOW, Trigger.REQUEST, None, "", now
            )
            staffed = await self._staffed(uow, now)
            region = await self.region_of(uow, person)
            await uow.commit()
        return self._requested(staffed, now, case, new, region)

    async def media(self, who: Who, chat_id: int, message_id: int, kind: str) -> Heard:
        """A voice note, photo, sticker, video, file or location, copied as itself (through
        the outbox, like words) into the topic of the person's open case, or of the case that
        closed within the day (with the tap to reopen it, as for words). Not handled without
        a case: the bot answers it (`Account.media`). Only its kind is kept, never a file id."""
        now = self.clock.now()
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            if person is None or person.id is None:
                return Heard(Outcome(), handled=False)
            outcome = Outcome()
            case = await uow.cases.open_for(person.id)
            closed = case is None
            if case is None:
                case = await self._closed_lately(uow, person, now)
                if case is None:
                    return Heard(Outcome(), handled=False)
                outcome = Outcome.of(await self._passed_on(uow, person, case, now))
            await uow.cases.add_message(case.id, CaseMessage(now, "in", person.id, "", kind))
            if not closed:
                await uow.cases.update(case.id, last_person_at=now)
            await self.board.copy_in(uow, case, chat_id, message_id, now)
            if closed:
                await self._offer_reopen(uow, case, now)
            await uow.commit()
        return Heard(outcome, handled=True)

    async def safe_answer(self, who: Who, safe: bool) -> Outcome:
        """The answer to "are you safe right now?": recorded, told to staff, and answered."""
        now = self.clock.now()
        told, staffed, region, tier = False, False, None, Tier.RED
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(who.telegram_id)
            case = await uow.cases.open_for(person.id) if person and person.id else None
            region = await self.region_of(uow, person)
            if case is not None and person is not None:
                told, staffed = True, await self._staffed(uow, now)
                await uow.cases.log(case.id, EventKind.RAISED, now, None, safe_now=safe)
                if not safe and case.tier is not Tier.RED:
                    await uow.cases.update(case.id, tier=Tier.RED)
                    case = await uow.cases.by_id(case.id) or case
                    await self.board.rename(uow, case, now)
                    await self._red_alert(uow, case, person, staffed, now)
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
            **self._hotline_data(region),
            **self._when_data(now, tier),
            "told": told,
            "staffed": staffed,
        }
        return Outcome.of(Reply(template, data), toast="toast.thanks")

    def check_in_later(self) -> Outcome:
        return Outcome.of(Reply("helpline/check_in_later", self._hotline_data()))

    async def open_case_of(self, telegram_id: int) -> Case | None:
        async with self.uow() as uow:
            person = await uow.people.by_telegram_id(telegram_id)
            if person is None or person.id is None:
                return None
            case = await uow.cases.open_for(person.id)
        return case if case is not None and case.status is not CaseStatus.CLOSED else None
