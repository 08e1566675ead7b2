"""How a message is read for risk: with the person's last minutes of messages, or alone.

Context across messages is its own step: "药我都攒好了" then "今天晚上" is danger that neither
message shows alone. The words are kept only for the context window (`Helpline.tick`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.people import Person, Role
from bot.domain.safety_net import Action, Decision, decide
from bot.ports import UnitOfWork
from bot.services.helpline.line import Line


@dataclass(frozen=True, slots=True)
class Reading:
    """A message as read: what to do about it, and whether it was read with earlier words."""

    decision: Decision
    earlier: Sequence[str]
    guardian: bool


class Reader:
    def __init__(self, line: Line) -> None:
        self.line = line

    async def read(
        self, uow: UnitOfWork, person: Person | None, text: str, now: datetime
    ) -> Reading:
        """The message with the earlier ones still kept, which it then joins."""
        net = self.line.net
        earlier: Sequence[str] = ()
        if person is not None and person.id is not None:
            earlier = await uow.net.earlier(
                person.id, now - net.context_window, net.context_messages
            )
            await uow.net.remember(person.id, text, now)
        triage = self.line.triager.classify(text, earlier)
        guardian = person is not None and person.role is Role.GUARDIAN
        return Reading(decide(triage, guardian=guardian, policy=net), earlier, guardian)

    def alone(self, text: str, guardian: bool = False) -> Decision:
        """The message as if it were the first of a conversation."""
        return decide(self.line.triager.classify(text), guardian=guardian, policy=self.line.net)

    def needs_action(self, text: str, words_only: bool = False) -> bool:
        """Whether the words alone, in a new conversation, call for anything (a case, the
        question or a check-in): for words that are not talk to a counsellor (a command's
        arguments), which are acted on only then. With `words_only`, only what the lexicon
        found or a request for a person counts, not the model's score: a staff command's
        arguments are codes ("C-0001 asq 7"), which the model may score like anything."""
        decision = self.alone(text)
        if words_only and decision.reason not in ("level", "request"):
            return False
        return decision.action is not Action.NONE
