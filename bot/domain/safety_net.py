"""The safety net: what the bot does with a message, given what triage and the model found.

Layers, in order: the lexicon's level (precise about wording it knows), the statistical
model's score (bot/domain/ngram_model.py: how much the message looks like those that needed a
human), and the uncertain signals (a means or death word without intent, a guardian relaying,
a request for a person). The lexicon escalates; the model escalates on its own only from a
narrow band where it is as sure as the lexicon's high matches (an orange case), and otherwise
raises a message to a question; signals only ask. Nothing lowers what the lexicon found. A
question is the ASQ's direct one ("你是不是有结束自己生命的想法？"), which does not plant
the idea (WHO 2014) and turns a miss into a conversation instead of silence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.ngram_model import NgramModel
from bot.domain.triage import Cues, RiskLevel, Triage, Triager


class Action(StrEnum):
    ESCALATE = "escalate"  # a case now (red or orange by the lexicon; yellow for a request)
    ASK = "ask"  # the direct question, with 有 / 没有 / 不想说 and the counsellor button
    OFFER = "offer"  # a gentle check-in and the offer of a counsellor
    NONE = "none"  # nothing to act on: the warm acknowledgement, if no flow takes it


class Signal(StrEnum):
    MEANS = "means"  # a means of harm named without intent (药, 绳子, 楼顶)
    DEATH = "death"  # death or dying named without intent (死, 不在了)
    RELAYED = "relayed"  # a guardian passing on the child's words
    REQUEST = "request"  # asking for a person: 救命, 帮帮我, 我想找老师聊聊, help


@dataclass(frozen=True, slots=True)
class NetPolicy:
    ask_at: float = math.inf  # model score from which an unflagged message is asked about
    escalate_at: float = math.inf  # the model's own escalation band (from its weights file)
    ask_again: timedelta = timedelta(hours=6)  # no second question sooner: then an offer
    answer_within: timedelta = timedelta(minutes=10)  # unanswered → a yellow case
    context_window: timedelta = timedelta(minutes=10)  # earlier messages read with a new one
    context_messages: int = 4  # at most this many earlier messages
    # A signal asks only from this model score on (0: whenever present). Means and death words
    # are common in everyday talk (感冒药, the fish died): the score tells them apart.
    means_ask_at: float = 0.0
    death_ask_at: float = 0.0
    # A guardian's relay asks when what is relayed is medium, or scores from here.
    relayed_ask_at: float = math.inf


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    triage: Triage
    request: bool = False  # a request for a person: escalate as the counsellor button does
    reason: str = ""  # why, for the audit and the CLI: "level", "score", "means", …


def decide(triage: Triage, *, guardian: bool = False, policy: NetPolicy = NetPolicy()) -> Decision:
    """The action for one message (with its context already folded into `triage`)."""
    signals = set(triage.signals)
    if triage.level.at_least(RiskLevel.HIGH):
        return Decision(Action.ESCALATE, triage, reason="level")
    if Signal.REQUEST in signals:
        return Decision(Action.ESCALATE, triage, request=True, reason="request")
    if triage.score >= policy.escalate_at:
        return Decision(Action.ESCALATE, triage, reason="score")
    if triage.score >= policy.ask_at:
        return Decision(Action.ASK, triage, reason="score")
    if Signal.MEANS in signals and triage.score >= policy.means_ask_at:
        return Decision(Action.ASK, triage, reason="means")
    if Signal.DEATH in signals and triage.score >= policy.death_ask_at:
        return Decision(Action.ASK, triage, reason="death")
    if (
        guardian
        and Signal.RELAYED in signals
        and (triage.level is RiskLevel.MEDIUM or triage.score >= policy.relayed_ask_at)
    ):
        return Decision(Action.ASK, triage, reason="relayed")
    if triage.level is RiskLevel.MEDIUM:
        return Decision(Action.OFFER, triage, reason="level")
    return Decision(Action.NONE, triage)


def may_ask(last_asked: datetime | None, now: datetime, policy: NetPolicy = NetPolicy()) -> bool:
    """One question per stretch of time: asked again and again, a child stops answering."""
    return last_asked is None or now - last_asked >= policy.ask_again


def settle(decision: Decision, may_ask_now: bool) -> Decision:
    """A question not allowed now (asked recently) becomes the offer of a counsellor."""
    if decision.action is Action.ASK and not may_ask_now:
        return replace(decision, action=Action.OFFER)
    return decision


class SafetyNet:
    """The classifier the bot uses: the lexicon on the message and on the message read after
    its context, the model's score on both, whichever is higher, and the signals found in
    either (content/helpline/triage/signals.yaml; `cues` keys are Signal values). Context can
    only raise."""

    def __init__(
        self, triager: Triager, model: NgramModel | None = None, cues: Cues | None = None
    ) -> None:
        self.triager = triager
        self.model = model
        self.cues = cues
        self.version = triager.version + (f"+{model.version}" if model else "")

    def normalise(self, text: str) -> str:
        return self.triager.normalise(text)

    def classify(self, text: str, earlier: Sequence[str] = ()) -> Triage:
        alone = self._one(text)
        if not earlier:
            return alone
        joined = self._one("\n".join([*earlier, text]))
        # The message itself leads: its evidence is what the counsellor reads first.
        best = alone if alone.level.rank >= joined.level.rank else joined
        return replace(
            best,
            score=max(alone.score, joined.score),
            signals=tuple(dict.fromkeys([*alone.signals, *joined.signals])),
        )

    def _one(self, text: str) -> Triage:
        triage = self.triager.classify(text)
        if self.model is None and self.cues is None:
            return triage
        norm = self.triager.normalise(text)
        score = self.model.score(norm) if self.model is not None else 0.0
        signals = tuple(self.cues.find(norm)) if self.cues is not None else ()
        return replace(triage, score=score, signals=signals)
