"""How a test talks in the sandbox's chats as a person would: the buttons on a message,
/start, a press and what answers it, everything the bot said to one message."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import World
from tests.e2e.watch import ANSWER_WITHIN

# What the old fallback said, in either language: no child is told this any more.
CANNOT_READ = ("简单的小助手", "不会回复", "simple helper", "can't reply")
# The line that asks again for a button, when typed words answer nothing.
CHOOSE = {"zh": "从下面的按钮里选一个", "en": "one of the buttons below"}
# The first line of the answer to a child's voice, photo, sticker or place, per language.
CHILD_SAYS = {
    "voice": {"zh": "我现在还听不了语音", "en": "I can't listen to voice messages yet"},
    "photo": {"zh": "我现在还看不了图片", "en": "I can't look at pictures yet"},
    "sticker": {"zh": "收到你的表情啦", "en": "Got your sticker"},
    "location": {"zh": "我收到了一个位置", "en": "I got a location"},
}


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def has_buttons(message: dict[str, Any]) -> bool:
    return bool(buttons(message))


async def start(world: World, uid: int, payload: str = "") -> dict[str, Any]:
    """/start and wait for the question that follows the welcome."""
    await world.sb.send_text(uid, f"/start {payload}".strip())
    return await world.sb.wait_for(uid, lambda m: bool(buttons(m)))


async def press_and_wait(
    world: World, uid: int, label: str, until: Any = lambda m: True
) -> dict[str, Any]:
    """Press a button; the first bot message after it that satisfies `until`."""
    qid = await world.sb.press_button(uid, uid, label)
    msg = await world.sb.wait_for(uid, until)
    answer = await world.sb.wait_callback_answer(qid)
    assert answer["answered"]
    return msg


def has(label: str) -> Any:
    return lambda m: any(label in b for b in buttons(m))


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def replies_to(world: World, uid: int, sent: dict[str, Any]) -> list[dict[str, Any]]:
    """Every bot message after `sent` up to the answer to a /hotlines sent after it: exactly
    what the bot said to that one message (updates of one chat are answered in order)."""
    await world.sb.send_text(uid, "/hotlines")
    await world.sb.wait_for(uid, lambda m: "12356" in text_of(m) and not buttons(m))
    after = [m for m in await world.sb.bot_messages(uid) if m["message_id"] > sent["message_id"]]
    # The /hotlines answer is the last of them; what came before it answered `sent`.
    return after[:-1]


async def press_first(world: World, uid: int, message: dict[str, Any], row: int = 0) -> None:
    data = message["reply_markup"]["inline_keyboard"][row][0]["callback_data"]
    await world.sb.mark()
    qid = await world.sb.press(uid, uid, message["message_id"], data)
    await world.sb.wait_callback_answer(qid)


async def answer(world: World, uid: int, item: dict[str, Any], choice: int) -> dict[str, Any]:
    """Press the n-th answer button of an item message; the next message the bot sends."""
    data = item["reply_markup"]["inline_keyboard"][choice][0]["callback_data"]
    await world.sb.mark()
    qid = await world.sb.press(uid, uid, item["message_id"], data)
    message = await world.sb.wait_for(uid, lambda m: True)
    await world.sb.wait_callback_answer(qid)
    return message


async def last_message_id(world: World, chat_id: int, thread_id: int | None = None) -> int:
    return int((await world.sb.messages(chat_id, thread_id))[-1]["message_id"])


async def press(world: World, user: int, chat: int, message: int, data: str) -> str:
    qid = await world.sb.press(user, chat, message, data)
    answer = await world.sb.wait_callback_answer(qid, ANSWER_WITHIN)
    assert answer["answered"], data
    return str(answer.get("text") or "")


async def say(world: World, uid: int, text: str) -> list[dict[str, Any]]:
    """Everything the bot answered to one typed message."""
    sent = await world.sb.send_text(uid, text)
    return await replies_to(world, uid, sent)


def asked_again(said: list[dict[str, Any]], lang: str, prefix: str) -> None:
    """The re-ask: one line saying to choose a button, then the same question with them."""
    texts = [text_of(m) for m in said]
    assert len(said) == 2, texts
    assert CHOOSE[lang] in texts[0], texts
    assert texts[1].startswith(prefix) and buttons(said[1]), texts
    assert not any(w in t for t in texts for w in CANNOT_READ), texts


def is_photo(message: dict[str, Any]) -> bool:
    return bool(message.get("photo"))
