"""Hostile input end to end: forged buttons, broken commands, every kind of text, long and
empty-ish messages, edits, groups the bot was never set up for, service messages and a flood,
against the real bot polling the sandbox.

Invariants, whatever the input: nothing raises out of a handler (no ERROR record from any
logger, so neither ``handlers.errors`` nor the inbox ever catches one), every person who writes
in a private chat is answered (a button press at least with a toast), and the database stays
consistent (``check_invariants``).

How the property tests run. pytest-asyncio (1.x, ``asyncio_mode = "auto"``) runs an ``async``
test decorated with hypothesis' ``@given`` by awaiting each example on the test's own event
loop, the loop on which the function-scoped ``world`` fixture started the bot. So one running
bot and one database serve every example of a test, and the examples run against a world that
carries on, as a real bot's does: ``HealthCheck.function_scoped_fixture`` is suppressed on
purpose, and the properties are invariants that hold whatever came before rather than exact
answers. The alternatives cost more: a fresh world per example takes seconds, and a
synchronous ``@given`` driving an event loop of its own cannot share the fixture's loop (the
bot would stand still between examples). ``deadline=None`` because a round trip through the
bot takes what it takes; ``database=None`` so no example database is kept (hypothesis still
caches a little in ``.hypothesis/``, which ignores itself in git); ``max_examples`` is modest
so that each test stays within seconds per backend.
Runtime values (ids, codes) are drawn inside the test with ``st.data()``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiogram.filters import Command
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.db.models import (
    CaseMessageRow,
)
from bot.domain.people import AgeBand, Role
from sandbox import SandboxClient
from sandbox.messaging import create_topic, post, shallow
from tests.e2e.chat import last_message_id
from tests.e2e.crisis import CRITICAL, ROOMY, make_staff
from tests.e2e.harness import World, running_world
from tests.e2e.people import registered
from tests.e2e.scene import Scene, build_scene, more_staff_chats, open_case_for
from tests.e2e.watch import (
    ANSWER_WITHIN,
    changed,
    check_invariants,
    failures,
    outbox_idle,
    settle,
    snapshot,
)

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    # The staff group's budget is not what these tests are about.
    async with running_world(db_url, **ROOMY) as w:
        yield w


# -- the scene: people with something to attack --------------------------------------------


# -- waiting and checking ------------------------------------------------------------------


def registered_commands(world: World) -> list[str]:
    """Every command any router answers, read from the dispatcher itself."""
    found: set[str] = set()
    routers = [world.app.dispatcher]
    while routers:
        router = routers.pop()
        routers.extend(router.sub_routers)
        for handler in router.message.handlers:
            for f in handler.filters or ():
                if isinstance(f.callback, Command):
                    found.update(c for c in f.callback.commands if isinstance(c, str))
    return sorted(found)


# -- what attackers send -------------------------------------------------------------------

VERBS = [
    *("claim", "release", "reopen", "card", "xfer", "refer", "tier", "close", "fu", "canned"),
    *("settier", "closeas", "xferto", "referto", "fuin", "next", "tell", "done", "greeting"),
    *("a", "s", "b", "stop", "start", "child", "again", "addchild", "resume", "later"),
    *("n", "r", "c", "p", "day", "hour", "del", "keep", "lang", "role", "age", "consent"),
    *("yes", "no", "red", "purple", "supported", "accepted", "phq-a", "psc-17", "asq", "zh_Hans"),
]
# Numbers a parser may choke on: out of every integer column's range, negative, and strings
# that str.isdigit() accepts but int() refuses ("²"), or that int() reads unexpectedly.
AWKWARD_NUMBERS = [
    *("99999999999999999999", "9223372036854775808", "2147483648", "-1", "-9999999999"),
    *("²", "³³", "١٢", "０", "𝟙", "1_0", " 1", "1e3", "0x10", "٣", "00000000001", "NaN"),
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
BIDI = ["\u202e", "\u202b", "\u202a", "\u200f", "\u061c", "\u2066", "\u2069"]
COMBINING = ["\u0301", "\u0336", "\u20dd", "\u0489", "\u1ab0", "\ufe0f"]
EMPTY_ISH = [
    " ",
    "\n",
    "\t \n",
    "\u3000",
    "/",
    "/ ",
    "@",
    "!",
    "！",
    "\u200b",
    "\u202e",
    "\ufeff" * 3,
    "\u0301",
    ".",
    "/start@other_bot",
    "/help@xinqiao_test_bot",
    "\x00",
    "nul\x00byte",
]


# The shapes of every button the bot makes, with each field left open for an attacker.
TEMPLATES = [
    *("case:{verb}:{n}", "case:{verb}:{n}:{w}", "case:{verb}:{n}:{n}", "case:next"),
    *("canned:{n}:{w}", "ref:{n}:{w}", "fu:done:{n}", "file:tell:{n}", "file:first:{n}"),
    "file:why:{n}",
    *("sc:a:{n}:{n}:{n}", "sc:s:{n}:{n}", "sc:b:{n}:{n}", "sc:stop:{n}", "sc:start:{w}"),
    *("sc:addchild:{w}", "sc:child:{w}:{n}", "sc:again:{w}:{n}", "sc:resume", "sc:later"),
    *("sc:case:{n}", "sc:nocase:{n}"),
    *("ls:n:{n}:{n}:{n}", "ls:a:{n}:{n}:{n}", "ls:c:{n}:{n}:{w}", "ls:r:{n}:{n}", "ls:p:{n}"),
    *("ls:day:{n}", "ls:hour:{n}:{n}", "pv:del:{w}:{n}", "pv:keep", "acc:lang:{w}"),
    *("acc:stop:{w}", "ob:{w}:{w}", "ob:{w}:{w}:{w}", "fam:{w}:{w}", "safe:{w}", "help:{w}"),
]
CASE_VERBS = [
    *("claim", "release", "reopen", "card", "xfer", "refer", "tier", "close", "fu", "canned"),
    *("settier", "closeas", "xferto", "referto", "fuin", "next"),
]


def number(ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=-2, max_value=8).map(str),
        st.sampled_from(ids or ["1"]),
        st.sampled_from(AWKWARD_NUMBERS),
    )


def word(codes: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(VERBS), st.sampled_from(codes or ["x"]), st.text(max_size=8))


def fits_callback(data: str) -> bool:
    return 1 <= len(data.encode()) <= 64


@st.composite
def callback_data(draw: st.DrawFn, ids: list[str], codes: list[str]) -> str:
    """Telegram's callback data, 1-64 bytes: a button's shape with forged fields, or junk."""
    kind = draw(st.sampled_from(["shape", "shape", "shape", "text", "bytes"]))
    if kind == "text":
        data = draw(st.text(min_size=1, max_size=64))
    elif kind == "bytes":
        data = draw(st.binary(min_size=1, max_size=64)).decode("utf-8", "replace")
    else:
        parts = []
        for piece in draw(st.sampled_from(TEMPLATES)).split(":"):
            if piece == "{n}":
                parts.append(draw(number(ids)))
            elif piece == "{w}":
                parts.append(draw(word(codes)))
            elif piece == "{verb}":
                parts.append(draw(st.sampled_from(CASE_VERBS)))
            else:
                parts.append(piece)
        data = ":".join(parts)
    assume(fits_callback(data))
    return data


def awkward_text() -> st.SearchStrategy[str]:
    """Text from every plane, zero-width and bidi controls, combining marks, emoji."""
    anything = st.text(
        alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=300
    )
    astral = st.text(
        alphabet=st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
        min_size=1,
        max_size=100,
    )
    mixed = st.lists(
        st.one_of(
            st.sampled_from(ZERO_WIDTH + BIDI + COMBINING),
            st.sampled_from(
                ["你好", "hello", "مرحبا", "שלום", "😀", "👨‍👩‍👧", "🇨🇳", "<b>", "&amp;"]
            ),
            st.text(max_size=5),
        ),
        min_size=1,
        max_size=40,
    ).map("".join)
    zalgo = st.builds(
        lambda base, n: base + "\u0301" * n, st.sampled_from("a你😀"), st.integers(50, 2000)
    )
    return st.one_of(anything, astral, mixed, zalgo, st.sampled_from(EMPTY_ISH)).filter(
        lambda t: 0 < len(t) <= 4096
    )


# -- the tests -----------------------------------------------------------------------------


@EXAMPLES
@given(data=st.data())
async def test_forged_callback_data_is_refused_or_handled(
    world: World, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """Any 1-64 bytes as callback data, from anyone, on any message: the press is answered,
    no handler raises, and the database stays consistent."""
    scene = await _scene(world)
    ids = [
        str(v) for v in (scene.case_id, scene.session_id, scene.enrolment_id, scene.kid_person_id)
    ]
    extra = [scene.child_code, scene.kid_code, scene.guardian_code, "C-0001"]
    payload = data.draw(callback_data(ids, extra), label="callback data")
    who = data.draw(
        st.sampled_from(["child", "kid", "guardian", "newcomer", "counsellor", "outsider"]),
        label="presser",
    )
    caplog.clear()
    if who in ("counsellor", "outsider"):
        user = world.counsellor if who == "counsellor" else world.outsider
        chat, message = world.staff_chat_id, scene.card["message_id"]
        uid = int(user["id"])
    else:
        uid = scene.private_people()[who]
        chat, message = uid, await last_message_id(world, uid)
    qid = await world.sb.press(uid, chat, message, payload)
    toast = await world.sb.wait_callback_answer(qid, ANSWER_WITHIN)
    assert toast["answered"], (who, payload)
    if who != "counsellor":
        assert not any(s in (toast.get("text") or "") for s in scene.secrets()), toast
    await settle(world)
    assert not failures(caplog), (who, payload, failures(caplog))
    await check_invariants(world)


@EXAMPLES
@given(data=st.data())
async def test_every_command_with_wrong_or_missing_arguments(
    world: World, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """Every registered command, with nothing, junk, huge or foreign arguments, from a
    guardian, a child, a newcomer, a counsellor and an outsider in the staff chat."""
    scene = await _scene(world)
    commands = registered_commands(world)
    command = data.draw(st.sampled_from(commands), label="command")
    args = data.draw(
        st.one_of(
            st.just(""),
            st.sampled_from(
                [
                    *AWKWARD_NUMBERS,
                    *(f"C-{n}" for n in AWKWARD_NUMBERS),
                    scene.child_code,
                    scene.kid_code,
                    f"{scene.kid_code} phq-a 7",
                    f"{scene.child_code} nonsense ²",
                    "add 99999999999999999999 counsellor X",
                    "add ² supervisor X",
                    "remove -99999999999999999999",
                    "add counsellor",
                    "list extra words",
                    "guardian 99999999999999999999 ²",
                    "child ² ²",
                    "red " + "理由" * 2100,  # past 4096 with the command: cut there
                    "purple",
                    "' OR 1=1 --",
                    "<b>bold</b> &amp;",
                    "@xinqiao_test_bot",
                    "\u202e\u200b",
                    "x" * 4000,
                ]
            ),
            st.text(max_size=60),
        ),
        label="args",
    )
    text = f"/{command} {args}".strip() if args.strip() else f"/{command}"
    text = text[:4096]
    where = data.draw(
        st.sampled_from(
            ["child", "kid", "guardian", "newcomer", "counsellor", "counsellor@topic", "outsider"]
        ),
        label="sender",
    )
    caplog.clear()
    if where.startswith(("counsellor", "outsider")):
        user = world.counsellor if where.startswith("counsellor") else world.outsider
        thread = scene.thread if where.endswith("@topic") else None
        await world.sb.send_text(user["id"], text, world.staff_chat_id, thread)
    else:
        uid = scene.private_people()[where]
        await world.sb.send_text(uid, text)
        reply = await world.sb.wait_for(uid, lambda m: True, ANSWER_WITHIN)
        shown = reply.get("text") or reply.get("caption") or ""
        assert not any(s in shown for s in scene.secrets() if s != _own_code(scene, uid))
    await settle(world)
    assert not failures(caplog), (where, text[:200], failures(caplog))
    await check_invariants(world)


async def test_every_registered_command_bare_and_with_junk(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Each command the dispatcher knows, with no argument and with junk, from every kind of
    sender: answered in a private chat (with nobody else's code), ignored from an outsider,
    and answered with something Telegram accepts in the staff chats."""
    scene = await build_scene(world)
    commands = registered_commands(world)
    expected = {"start", "help", "check", "invite", "queue", "next", "staff", "file", "screen"}
    expected |= {"tier", "canned", "onduty", "offduty", "reported", "mydata", "delete"}
    assert expected <= set(commands), commands  # the introspection found them all
    junk = "²² C-99999999999999999999 \u202e<b>"

    async def private(uid: int, texts: list[str]) -> None:
        # A client of its own: "after my latest action" must not move with the others'.
        async with SandboxClient(world.sandbox.base_url) as sb:
            for text in texts:
                await sb.send_text(uid, text)
                reply = await sb.wait_for(uid, lambda m: True, ANSWER_WITHIN)
                check(uid, text, reply)

    def check(uid: int, text: str, reply: dict[str, Any]) -> None:
        shown = reply.get("text") or reply.get("caption") or ""
        leaked = [x for x in scene.secrets() if x in shown and x != _own_code(scene, uid)]
        assert not leaked, (uid, text, leaked)

    bare = [f"/{c}" for c in commands]
    with_junk = [f"/{c} {junk}" for c in commands]
    await asyncio.gather(
        private(scene.child, bare),
        private(scene.kid, with_junk),
        private(scene.guardian, bare),
        private(scene.newcomer, with_junk),
    )
    chats = [world.staff_chat_id, *await more_staff_chats(world, 3)]
    for n, text in enumerate([*bare, *with_junk]):
        await world.sb.send_text(world.outsider["id"], text, world.staff_chat_id)
        await world.sb.send_text(world.counsellor["id"], text, chats[n % len(chats)])
    await settle(world, timeout=60)
    assert not failures(caplog), "\n".join(failures(caplog))
    await outbox_idle(world, timeout=60)
    await check_invariants(world)


@EXAMPLES
@given(data=st.data())
async def test_any_text_from_anyone_is_answered_or_relayed(
    world: World, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """Text from every Unicode plane, zero-width and bidi controls, combining marks, 4096
    characters or next to nothing: a person is answered, or (with an open case) heard by the
    counsellor word for word; a counsellor's line in the case topic reaches the child."""
    scene = await _scene(world)
    text = data.draw(awkward_text(), label="text")
    who = data.draw(
        st.sampled_from(["child", "kid", "guardian", "newcomer", "counsellor@topic"]),
        label="writer",
    )
    caplog.clear()
    if who == "counsellor@topic":
        uid, case_id = world.counsellor["id"], scene.case_id
        relayed = not _is_command_or_note(text)
    else:
        uid = scene.private_people()[who]
        # Whoever has a case open (the child; anyone an earlier example's /help gave one)
        # talks to the counsellor, not to the bot; commands are the bot's either way.
        case_id = await _open_case_of(world, uid)
        relayed = case_id is not None and not text.startswith("/")
    before = await _case_messages(world, case_id) if relayed and case_id else []
    if who == "counsellor@topic":
        await world.sb.send_text(uid, text, world.staff_chat_id, scene.thread)
    else:
        await world.sb.send_text(uid, text)
        if not relayed:
            await world.sb.wait_for(uid, lambda m: True, ANSWER_WITHIN)
    await settle(world)
    assert not failures(caplog), (who, text[:100], failures(caplog))
    if relayed and case_id is not None:
        # The words are on the case's record, whole, for the other side.
        said = await _case_messages(world, case_id)
        assert len(said) > len(before), (who, text[:100])
        # U+0000 cannot be stored in PostgreSQL text: the bot takes it for U+FFFD.
        assert said[-1] == text.replace("\x00", "\ufffd"), (who, said[-1][:100], text[:100])
    await check_invariants(world)


async def _open_case_of(world: World, telegram_id: int) -> int | None:
    async with world.uow() as u:
        person = await u.people.by_telegram_id(telegram_id)
        case = await u.cases.open_for(person.id) if person and person.id else None
    return case.id if case else None


def _is_command_or_note(text: str) -> bool:
    return text.strip().startswith(("/", "!", "！"))


def _own_code(scene: Scene, uid: int) -> str:
    return {
        scene.child: scene.child_code,
        scene.kid: scene.kid_code,
        scene.guardian: scene.guardian_code,
    }.get(uid, "")


async def _case_messages(world: World, case_id: int) -> list[str]:
    """What was said in the case, both ways, in order (private notes left out)."""
    table = CaseMessageRow.__table__
    async with world.uow() as u:
        rows = (
            await u.session.execute(
                select(table.c.body)
                .where(table.c.case_id == case_id, table.c.direction != "note")
                .order_by(table.c.id)
            )
        ).all()
    return [r.body for r in rows]


_SCENES: dict[int, Scene] = {}


async def _scene(world: World) -> Scene:
    """One scene per world: built by the first example, attacked by every later one."""
    scene = _SCENES.get(id(world))
    if scene is None or scene.world is not world:
        _SCENES.clear()
        scene = await build_scene(world)
        _SCENES[id(world)] = scene
    return scene


# Numbers that break a careless parser: past every integer column (and PostgreSQL's int4
# case ids), and digits str.isdigit() accepts but int() refuses.
BREAKERS = ["99999999999999999999", "2147483648", "²"]
STAFF_PREFIXES = ("case:", "canned:", "ref:", "fu:", "file:")


def shapes_with(value: str) -> list[str]:
    """Every button shape, each number field set to `value` (case verbs spelled out)."""
    out = []
    for template in TEMPLATES:
        verbs = CASE_VERBS if "{verb}" in template else [""]
        for verb in verbs:
            data = template.replace("{verb}", verb).replace("{n}", value).replace("{w}", "x")
            if fits_callback(data) and "{n}" in template:
                out.append(data)
    return out


async def press_all(
    world: World, presses: list[tuple[int, int, int, str]], at_once: int = 16
) -> None:
    """Press many buttons, a few at a time (a person cannot press hundreds at once, and
    Telegram takes an answer only within 15 s); every press must be answered."""
    for first in range(0, len(presses), at_once):
        batch = presses[first : first + at_once]
        qids = await asyncio.gather(*(world.sb.press(u, c, m, d) for u, c, m, d in batch))
        answers = await asyncio.gather(
            *(world.sb.wait_callback_answer(q, ANSWER_WITHIN) for q in qids)
        )
        unanswered = [p[3] for p, a in zip(batch, answers, strict=True) if not a["answered"]]
        assert not unanswered, unanswered


async def test_breaking_numbers_in_every_button_shape(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Each number field of each button, set to a value no parser or column can take,
    pressed by a counsellor in the staff chat and by a child in a private chat."""
    scene = await build_scene(world)
    card = scene.card["message_id"]
    kid_message = await last_message_id(world, scene.kid)
    presses = []
    for value in BREAKERS:
        for data in shapes_with(value):
            presses.append((scene.kid, scene.kid, kid_message, data))
            if data.startswith(STAFF_PREFIXES):
                presses.append((world.counsellor["id"], world.staff_chat_id, card, data))
    await settle(world)
    await outbox_idle(world)
    before = await snapshot(world)
    await press_all(world, presses)
    await settle(world)
    assert not failures(caplog), "\n".join(failures(caplog))
    after = await snapshot(world)
    assert not changed(before, after), changed(before, after)
    await check_invariants(world)


def fill(head: str, filler: str) -> str:
    """A message of exactly 4096 characters: `head`, then `filler` over and over."""
    return (head + filler * 4096)[:4096]


async def test_breaking_arguments_to_staff_commands_and_start(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The commands that parse codes, ids and numbers, given ones nothing can hold, and the
    longest reasons: no handler raises, and every answer is one Telegram accepts."""
    scene = await build_scene(world)
    code = scene.kid_code
    general = [
        *(f"/file C-{v}" for v in BREAKERS),
        *(f"/screen C-{v} phq-a 7" for v in BREAKERS),
        f"/screen {code} phq-a ²",
        f"/screen {code} phq-a {'9' * 5000}"[:4096],
        *(f"/staff add {v} counsellor 某人" for v in BREAKERS),
        *(f"/staff remove {v}" for v in BREAKERS),
        f"/staff add {'9' * 4090}"[:4096],
        *(f"/invite guardian {v} {v}" for v in BREAKERS),
        *(f"/accesslog C-{v}" for v in BREAKERS),
    ]
    in_topic = [
        fill("/tier orange ", "理由"),
        fill("/reported ", "派出所"),
        *(f"/tier {v}" for v in BREAKERS),
        "/canned ²",
        "/plan ²",
        fill("/plan safety ", "理由"),
        "/visit ²",
    ]
    chats = [world.staff_chat_id, *await more_staff_chats(world, 3)]
    for n, text in enumerate(general):
        await world.sb.send_text(world.counsellor["id"], text, chats[n % len(chats)])
    for text in in_topic:
        await world.sb.send_text(world.counsellor["id"], text, world.staff_chat_id, scene.thread)
    for payload in [*BREAKERS, "x" * 64, "C-²", "\\u0000", "../../etc/passwd"]:
        await world.sb.send_text(scene.newcomer, f"/start {payload}")
        await world.sb.wait_for(scene.newcomer, lambda m: True, ANSWER_WITHIN)
    await settle(world, timeout=60)
    assert not failures(caplog), "\n".join(failures(caplog))
    await outbox_idle(world, timeout=60)
    await check_invariants(world)  # no answer Telegram refused (e.g. too long)


async def test_longest_and_nul_messages_cross_the_relay_whole(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """4096 characters both ways through a case: the bot's own header must not push either
    over Telegram's limit, or the words are lost (the outbox row fails with a 400). And a
    U+0000, which PostgreSQL text cannot hold, must not lose a message either."""
    scene = await build_scene(world)
    await world.sb.send_text(scene.child, fill("", "长")[:-1] + "终")
    await world.sb.send_text(scene.child, "我\x00在")
    await settle(world)
    await outbox_idle(world)
    topic = await world.sb.messages(world.staff_chat_id, scene.thread)
    arrived = "".join((m.get("text") or "") for m in topic if m["from"]["is_bot"])
    assert arrived.count("长") >= 4095 and "终" in arrived and "我\ufffd在" in arrived

    reply = fill("", "好")[:-1] + "了"
    await world.sb.send_text(world.counsellor["id"], reply, world.staff_chat_id, scene.thread)
    await world.sb.send_text(world.counsellor["id"], "你\x00好", world.staff_chat_id, scene.thread)
    await settle(world)
    await outbox_idle(world)
    got = "".join((m.get("text") or "") for m in await world.sb.bot_messages(scene.child))
    assert got.count("好") >= 4095 and "了" in got and "你\ufffd好" in got
    assert (await _case_messages(world, scene.case_id))[-4:] == [
        fill("", "长")[:-1] + "终",
        "我\ufffd在",
        reply,
        "你\ufffd好",
    ]
    assert not failures(caplog), "\n".join(failures(caplog))
    await check_invariants(world)


async def test_a_message_edited_into_a_crisis_is_heard(world: World) -> None:
    """A child goes back and adds what they could not say at first: the edit is triaged like
    a new message (safety reply, case); an edit that needs nothing gets no second answer."""
    scene = await build_scene(world)
    sb = world.sb
    mine = [m for m in await sb.messages(scene.kid) if not m["from"]["is_bot"]]
    await settle(world)
    answers = len(await sb.bot_messages(scene.kid))
    await sb.edit_text(scene.kid, mine[-1]["message_id"], "你好呀")
    await settle(world)
    assert len(await sb.bot_messages(scene.kid)) == answers  # nothing to say to that
    await sb.mark()
    await sb.edit_text(scene.kid, mine[-1]["message_id"], CRITICAL)
    safety = await sb.wait_for(scene.kid, lambda m: "110" in (m.get("text") or ""), 10)
    assert "12356" in safety["text"]
    async with world.uow() as u:
        kid = await u.people.by_telegram_id(scene.kid)
        assert kid is not None and kid.id is not None
        case = await u.cases.open_for(kid.id)
    assert case is not None and case.tier.value == "red"


async def test_edits_strange_groups_and_service_messages_change_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """An edited staff note, a group the bot was never set up for (forum and plain), and service
    messages (members joining and leaving, a pin, a topic made by a person): silence where
    silence is right, no errors, and not one row changed."""
    scene = await build_scene(world)
    sb = world.sb
    note = await sb.send_text(
        world.counsellor["id"], "! 先记一笔", world.staff_chat_id, scene.thread
    )
    await settle(world)
    await outbox_idle(world)
    before = await snapshot(world)
    # A counsellor's note edited into something else: staff edits are not relayed.
    await sb.edit_text(world.counsellor["id"], note["message_id"], "改过了", world.staff_chat_id)
    # Groups nobody registered: everything a staff chat would answer, and a crisis.
    strange = [
        await sb.create_group(
            "陌生的群", [scene.guardian, world.counsellor["id"], world.outsider["id"]]
        ),
        await sb.create_group(
            "plain", [scene.guardian, world.counsellor["id"]], is_forum=False, bot_admin=False
        ),
    ]
    lines = [
        "/queue",
        "/next",
        "/staff list",
        "/staff add 1 supervisor X",
        "/invite guardian 5",
        f"/file {scene.kid_code}",
        f"/screen {scene.kid_code} phq-a",
        "/onduty",
        "/followups",
        "/tier red",
        "/canned",
        f"/accesslog {scene.kid_code}",
        "/start",
        "/help",
        CRITICAL,
        "hello",
    ]
    for group in strange:
        gid = group["id"]
        for who in (world.counsellor["id"], scene.guardian):
            for text in lines:
                await sb.send_text(who, text, gid)
        await sb.send_photo(scene.guardian, gid, caption="/queue")
        some = await last_message_id(world, gid)
        for data in ("case:claim:1", "case:next", "sc:resume", "ls:p:7", "file:tell:1"):
            qid = await sb.press(world.counsellor["id"], gid, some, data)
            await sb.wait_callback_answer(qid, ANSWER_WITHIN)
    # Service messages in the staff chat and in a private chat.
    await sb.join(scene.kid, world.staff_chat_id)
    await sb.leave(scene.kid, world.staff_chat_id)
    here = world.sandbox.world
    staff_chat = here.groups[world.staff_chat_id]
    pinned = staff_chat.messages[scene.card["message_id"]]
    post(
        here,
        staff_chat,
        here.user(world.counsellor["id"]),
        {"pinned_message": shallow(pinned)},
        service=True,
    )
    create_topic(
        here, staff_chat, here.user(world.outsider["id"]), "闲聊", icon_color=0, emoji=None
    )
    bot = here.default_bot
    chat = bot.private_chats[scene.guardian]
    last = chat.messages[max(chat.messages)]
    post(here, chat, here.user(scene.guardian), {"pinned_message": shallow(last)}, service=True)
    await settle(world)
    await outbox_idle(world)
    for group in strange:
        said = await sb.bot_messages(group["id"])
        assert not said, [m.get("text") for m in said]
    assert not failures(caplog), "\n".join(failures(caplog))
    after = await snapshot(world)
    assert not changed(before, after), changed(before, after)
    await check_invariants(world)


async def test_a_flood_is_answered_and_does_not_starve_others(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """50 messages within a second from one person (a crisis among them), then another
    person's /help: that one is answered promptly, the flood is answered sensibly, one case."""
    await make_staff(world, world.counsellor)
    flooder = await world.user("刷屏")
    other = await world.user("别人")
    await world.sb.send_text(other, "/start")
    await world.sb.wait_for(other, lambda m: True, ANSWER_WITHIN)
    texts = [CRITICAL if i == 10 else f"第{i}条 hello 😀" for i in range(50)]
    started = time.monotonic()
    sends = [asyncio.create_task(world.sb.send_text(flooder, t)) for t in texts]
    await asyncio.sleep(0)
    async with SandboxClient(world.sandbox.base_url) as own:  # a mark the flood cannot move
        await own.send_text(other, "/help")
        sent = time.monotonic()
        helped = await own.wait_for(other, lambda m: True, ANSWER_WITHIN)
        waited = time.monotonic() - sent
    await asyncio.gather(*sends)
    assert time.monotonic() - started < 5.0  # the flood itself was within a second or so
    assert "110" in helped["text"] and waited < ANSWER_WITHIN
    await settle(world, timeout=60)
    answers = await world.sb.bot_messages(flooder)
    assert 1 <= len(answers) <= len(texts) + 5, len(answers)
    async with world.uow() as u:
        person = await u.people.by_telegram_id(flooder)
        assert person is not None and person.id is not None
        case = await u.cases.open_for(person.id)
    assert case is not None
    # Everything after the crisis reached the counsellor's record, in order.
    said = await _case_messages(world, case.id)
    later = [t for t in said if t.startswith("第")]
    assert later == texts[11:], later
    assert not failures(caplog), "\n".join(failures(caplog))
    await check_invariants(world)


async def test_a_button_answered_too_late_still_gets_its_reply(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram takes a button's answer for about 15 s; behind a backlog the bot answers
    later and is refused. The toast is lost then, but not the reply (the next question), and
    a counsellor's claim stands."""
    scene = await build_scene(world)
    # Every answer comes too late.
    world.sandbox.options = replace(world.sandbox.options, callback_answer_timeout_s=0.0)
    item = (await world.sb.bot_messages(scene.kid))[-1]
    assert item["text"].startswith("2/"), item["text"]
    data = item["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await world.sb.press(scene.kid, scene.kid, item["message_id"], data)
    following = await world.sb.wait_for(scene.kid, lambda m: True, ANSWER_WITHIN)
    assert following["text"].startswith("3/"), following["text"]
    other, card = await open_case_for(world, "小亮")
    await world.sb.press_button(
        world.counsellor["id"], world.staff_chat_id, "✋", card["message_id"]
    )
    await settle(world)
    async with world.uow() as u:
        lee = await u.staff.by_telegram_id(world.counsellor["id"])
        person = await u.people.by_telegram_id(other)
        case = await u.cases.open_for(person.id or 0) if person else None
    assert lee is not None and case is not None and case.claimed_by == lee.person_id
    assert not failures(caplog), "\n".join(failures(caplog))


async def test_the_inbox_marks_the_last_update_done(world: World) -> None:
    """Once idle, no update is left 'handling'. A slow commit (simulated: the flush returns
    half a second late) must not strand an update that finished meanwhile."""
    inbox = world.app.inbox
    flush = inbox._flush

    async def slow_flush() -> None:
        await flush()
        await asyncio.sleep(0.5)  # the database took its time

    first, second = await world.user("甲"), await world.user("乙")
    inbox._flush = slow_flush  # type: ignore[method-assign]
    await world.sb.send_text(first, "/hotlines")
    await world.sb.wait_for(first, lambda m: True, ANSWER_WITHIN)
    await asyncio.sleep(0.1)  # the first flush is now under way
    await world.sb.send_text(second, "/hotlines")
    await world.sb.wait_for(second, lambda m: True, ANSWER_WITHIN)
    inbox._flush = flush  # type: ignore[method-assign]
    await asyncio.sleep(2.0)  # idle: nothing else arrives
    async with world.uow() as u:
        counts = await u.inbox.counts()
    assert not counts.get("handling"), dict(counts)


async def test_access_log_and_delete_button_with_breaking_numbers(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A supervisor's /accesslog with a case number nothing can hold, and a person's own
    delete button with a forged stamp: refused politely, not raised."""
    uid, person = await registered(world, "小华", Role.CHILD, AgeBand.A14_15)
    await make_staff(world, world.admin, Role.SUPERVISOR)
    for value in BREAKERS:
        await world.sb.send_text(world.admin["id"], f"/accesslog C-{value}", world.staff_chat_id)
        qid = await world.sb.press(
            uid, uid, await last_message_id(world, uid), f"pv:del:{person.code}:{value}"
        )
        await world.sb.wait_callback_answer(qid, ANSWER_WITHIN)
    await settle(world)
    assert not failures(caplog), "\n".join(failures(caplog))
