"""The safety net's decision, its signals (content/helpline/triage/signals.yaml) and their loader,
in both languages."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.catalog.triage import (
    SIGNALS_FILE,
    TRIAGE_DIR,
    TriageContentError,
    load_model,
    load_safety_net,
    load_triager,
)
from bot.domain.safety_net import (
    Action,
    Decision,
    NetPolicy,
    SafetyNet,
    Signal,
    decide,
    may_ask,
    settle,
)
from bot.domain.triage import Category, RiskLevel, Triage
from content import CONTENT_DIR
from tests import shipped

NET = shipped.safety_net()
POLICY = shipped.net_policy()


def _t(level: RiskLevel = RiskLevel.NONE, score: float = 0.0, *signals: Signal) -> Triage:
    return Triage(level, (Category.SUICIDE,) if level is not RiskLevel.NONE else (), (), (), score,
                  tuple(signals))  # fmt: skip


# --- decide() ------------------------------------------------------------------------------

POLICY_AT = NetPolicy(ask_at=0.6, means_ask_at=0.4, death_ask_at=0.3, relayed_ask_at=0.2)


def test_the_lexicon_escalates_whatever_the_model_says() -> None:
    """The model never lowers what the lexicon found."""
    for level in (RiskLevel.HIGH, RiskLevel.CRITICAL):
        got = decide(_t(level, 0.0), policy=POLICY_AT)
        assert (got.action, got.request, got.reason) == (Action.ESCALATE, False, "level")


def test_a_request_for_a_person_escalates_as_the_counsellor_button() -> None:
    got = decide(_t(RiskLevel.NONE, 0.0, Signal.REQUEST), policy=POLICY_AT)
    assert (got.action, got.request) == (Action.ESCALATE, True)


def test_the_model_alone_asks_and_escalates_only_from_its_escalation_band() -> None:
    assert decide(_t(score=0.61), policy=POLICY_AT).action is Action.ASK
    assert decide(_t(score=0.59), policy=POLICY_AT).action is Action.NONE
    assert decide(_t(score=0.99), policy=POLICY_AT).action is Action.ASK  # escalate_at is inf
    assert decide(_t(RiskLevel.MEDIUM, 0.9), policy=POLICY_AT).action is Action.ASK
    banded = replace(POLICY_AT, escalate_at=0.94)
    got = decide(_t(score=0.95), policy=banded)
    assert (got.action, got.request, got.reason) == (Action.ESCALATE, False, "score")
    assert decide(_t(score=0.93), policy=banded).action is Action.ASK
    # A request stays a request (the 💬 button's yellow case), whatever the score.
    assert decide(_t(RiskLevel.NONE, 0.99, Signal.REQUEST), policy=banded).request


def test_the_model_never_lowers_the_lexicon() -> None:
    for level in (RiskLevel.HIGH, RiskLevel.CRITICAL):
        got = decide(_t(level, 0.0), policy=replace(POLICY_AT, escalate_at=0.94))
        assert (got.action, got.reason) == (Action.ESCALATE, "level")


@pytest.mark.parametrize(("signal", "floor"), [(Signal.MEANS, 0.4), (Signal.DEATH, 0.3)])
def test_a_means_or_death_word_asks_from_its_floor(signal: Signal, floor: float) -> None:
    assert decide(_t(RiskLevel.NONE, floor, signal), policy=POLICY_AT).action is Action.ASK
    assert decide(_t(RiskLevel.NONE, floor, signal), policy=POLICY_AT).reason == signal.value
    below = decide(_t(RiskLevel.NONE, floor - 0.01, signal), policy=POLICY_AT)
    assert below.action is Action.NONE
    # Without a floor (the default policy) the word alone asks.
    assert decide(_t(RiskLevel.NONE, 0.0, signal)).action is Action.ASK


def test_a_guardians_relay_asks_a_childs_own_words_get_the_check_in() -> None:
    medium = _t(RiskLevel.MEDIUM, 0.0, Signal.RELAYED)
    assert decide(medium, guardian=True, policy=POLICY_AT).action is Action.ASK
    assert decide(medium, guardian=False, policy=POLICY_AT).action is Action.OFFER
    unclear = _t(RiskLevel.LOW, 0.25, Signal.RELAYED)
    assert decide(unclear, guardian=True, policy=POLICY_AT).action is Action.ASK
    assert decide(unclear, guardian=False, policy=POLICY_AT).action is Action.NONE
    quiet = _t(RiskLevel.LOW, 0.1, Signal.RELAYED)
    assert decide(quiet, guardian=True, policy=POLICY_AT).action is Action.NONE


def test_medium_is_a_check_in_and_nothing_is_nothing() -> None:
    assert decide(_t(RiskLevel.MEDIUM), policy=POLICY_AT).action is Action.OFFER
    assert decide(_t(RiskLevel.LOW), policy=POLICY_AT).action is Action.NONE
    assert decide(_t(), policy=POLICY_AT).action is Action.NONE


def test_one_question_per_stretch_of_time() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    policy = NetPolicy(ask_again=timedelta(hours=6))
    assert may_ask(None, now, policy)
    assert not may_ask(now - timedelta(hours=5), now, policy)
    assert may_ask(now - timedelta(hours=6), now, policy)
    ask = Decision(Action.ASK, _t(score=0.9), reason="score")
    assert settle(ask, may_ask_now=False).action is Action.OFFER
    assert settle(ask, may_ask_now=True) is ask
    escalate = Decision(Action.ESCALATE, _t(RiskLevel.HIGH))
    assert settle(escalate, may_ask_now=False) is escalate


# --- the shipped signals -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "救救我",
        "帮帮我",
        "我被打了",
        "我想找老师聊聊",
        "我想和人聊聊",
        "有人吗",
        "救命",
        "help",
        "help me",
        "please help",
        "i need to talk to someone",
        "can i talk to a real person",
        "is anyone there?",
    ],
)
def test_requests_for_a_person(text: str) -> None:
    got = NET.classify(text)
    assert Signal.REQUEST in got.signals
    decision = decide(got, policy=POLICY)
    assert decision.action is Action.ESCALATE and decision.request


@pytest.mark.parametrize(
    "text",
    [
        "救命 作业写不完了",
        "救命啊 我把我妈的口红掰断了",
        "can you help me with maths",
        "help me with my homework please",
        "i need help with my essay",
        "thanks for your help",
    ],
)
def test_no_request_in_a_joke_or_a_homework_question(text: str) -> None:
    assert Signal.REQUEST not in NET.classify(text).signals


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("奶奶的安眠药都在我这里", Signal.MEANS),
        ("我现在在楼顶", Signal.MEANS),
        ("绳子我买好了", Signal.MEANS),
        ("i have a rope in my bag", Signal.MEANS),
        ("im on the roof", Signal.MEANS),
        ("我要是消失了会怎样", Signal.DEATH),
        ("再见了 谢谢你陪我说话", Signal.DEATH),
        ("what if i just disappear", Signal.DEATH),
        ("tell my mom i love her", Signal.DEATH),
        ("孙子说他不想活了", Signal.RELAYED),
        ("外孙女说活着太累了", Signal.RELAYED),
        ("my granddaughter said she wants to disappear", Signal.RELAYED),
        ("he told me he is scared to go home", Signal.RELAYED),
    ],
)
def test_signals_in_both_languages(text: str, signal: Signal) -> None:
    assert signal in NET.classify(text).signals


@pytest.mark.parametrize(
    "text",
    ["累死了", "笑死我了", "热死了 空调坏了", "饿死了", "i'm dying to see it", "my phone died"],
)
def test_hyperbole_is_no_death_word(text: str) -> None:
    assert Signal.DEATH not in NET.classify(text).signals


@pytest.mark.parametrize("text", ["我不想死", "我不会消失的", "i dont want to die"])
def test_a_denied_death_word_is_no_signal(text: str) -> None:
    assert Signal.DEATH not in NET.classify(text).signals


def test_everyday_messages_carry_no_signal() -> None:
    for text in ("今天天气真好", "放学去打篮球", "what time is it", "i like my new shoes"):
        got = NET.classify(text)
        assert got.signals == ()
        assert decide(got, policy=POLICY).action is Action.NONE


# --- context -------------------------------------------------------------------------------


def test_a_statement_split_in_two_is_read_together() -> None:
    alone = NET.classify("今天晚上就用")
    joined = NET.classify("今天晚上就用", ["药我都攒好了"])
    assert joined.score >= alone.score
    assert Signal.MEANS in joined.signals and Signal.MEANS not in alone.signals
    assert decide(joined, policy=POLICY).action in (Action.ESCALATE, Action.ASK)
    en = NET.classify("what time is it", ["I have been saving up my sleeping pills"])
    assert decide(en, policy=POLICY).action in (Action.ESCALATE, Action.ASK)
    assert decide(NET.classify("what time is it"), policy=POLICY).action is Action.NONE


def test_context_never_lowers() -> None:
    for text in ("我今晚就跳楼", "I am going to kill myself tonight"):
        alone = NET.classify(text)
        for earlier in (["今天天气真好"], ["what a nice day", "lol"]):
            got = NET.classify(text, earlier)
            assert got.level is alone.level
            assert got.score >= alone.score
            assert got.matched == alone.matched  # the message's own evidence leads


@pytest.mark.slow
def test_without_model_or_signals_the_lexicon_decides_alone() -> None:
    bare = SafetyNet(load_triager(CONTENT_DIR))
    got = bare.classify("救救我")
    assert got.score == 0.0 and got.signals == ()


# --- the loaders ---------------------------------------------------------------------------


def test_the_policy_comes_from_the_weights_and_the_signals_file() -> None:
    model = load_model(CONTENT_DIR)
    assert model is not None
    assert POLICY.ask_at == model.ask_at
    assert 0.0 < POLICY.means_ask_at < POLICY.ask_at
    assert 0.0 < POLICY.death_ask_at < POLICY.ask_at
    assert 0.0 <= POLICY.relayed_ask_at < POLICY.ask_at
    # The model opens a case on its own only where it is as sure as the lexicon's high matches.
    assert POLICY.escalate_at == model.escalate_at
    assert 0.9 < POLICY.escalate_at < 1.0
    assert POLICY.context_window == timedelta(minutes=10)
    assert POLICY.context_messages == 4


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(CONTENT_DIR / TRIAGE_DIR, tmp_path / TRIAGE_DIR)
    return tmp_path


def _edit(root: Path, old: str, new: str) -> None:
    path = root / TRIAGE_DIR / SIGNALS_FILE
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("asks:\n  means: 0.4", "asks:\n  means: 4", "`asks.means` must be a model score"),
        ("asks:\n", "asks:\n  request: 0.1\n", "`asks` has 'request'"),
        ("  - id: means-zh-tool\n", "  - id: Means Tool\n", "kebab-case `id`"),
        ("  - id: means-zh-tool\n", "  - id: means-zh-place\n", "means-zh-place: duplicate id"),
        ("  - id: means-zh-tool\n", "  - id: means-zh-tool\n    level: high\n", "unknown keys"),
        ("      - '(割|划)", "      - '((割|划)", "means-zh-tool: pattern"),
        ("relayed:\n", "relayd:\n", "must be a mapping with some of"),
    ],
)
@pytest.mark.slow
def test_a_broken_signals_file_names_the_file_and_the_item(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    root = _copy(tmp_path)
    _edit(root, old, new)
    with pytest.raises(TriageContentError) as err:
        load_safety_net(root)
    assert str(err.value).startswith(f"{(TRIAGE_DIR / SIGNALS_FILE).as_posix()}: "), err.value
    assert problem in str(err.value)


@pytest.mark.slow
def test_a_missing_signals_file_stops_the_bot_not_the_lexicon(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / TRIAGE_DIR / SIGNALS_FILE).unlink()
    assert load_triager(root).classify("我不想活了").level is RiskLevel.HIGH
    with pytest.raises(TriageContentError, match="missing"):
        load_safety_net(root)


@pytest.mark.slow
def test_the_lexicon_does_not_read_the_signals_file() -> None:
    """signals.yaml has sections the lexicon loader would refuse; it is skipped there."""
    triager = load_triager(CONTENT_DIR)
    assert "signals" not in triager.version
    assert NET.triager.version == triager.version
