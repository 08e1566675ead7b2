"""The staff supergroup. Only registered staff act; anyone else is ignored and logged.

Buttons answer with a toast and, for sub-menus, by changing the pressed card's keyboard in
place: both are free of the group's 20-messages-a-minute budget. Posts go through the outbox.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.case_actions import parse as parse_case_action
from bot.domain.cases import Tier
from bot.domain.permissions import StaffAction
from bot.domain.replies import Reply
from bot.services.bundle import Services
from bot.services.case_buttons import Press, press
from bot.services.casework import STALE, Menu, Place, StaffResult
from bot.services.duty import StaffChange
from bot.services.plans import plan_form, visit_form
from bot.telegram.menus import sync_menu
from bot.telegram.replies import deliver, keyboard_for
from handlers.common import who as person_of
from handlers.helpline import MEDIA, media_kind

log = logging.getLogger(__name__)


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def _ignored(message: Message, what: str) -> None:
    log.warning(
        "ignored %s from non-staff user %s in chat %s",
        what,
        message.from_user.id if message.from_user else None,
        message.chat.id,
    )


async def _say(services: Services, message: Message, template: str | StaffResult) -> None:
    if isinstance(template, StaffResult):  # said in the words its toast would use, if any
        if template.toast:
            text = _toast(services, template)
            await services.casework.post_general(
                message.chat.id, _thread(message), Reply("helpline/staff_toast", {"text": text})
            )
        return
    if template in ("", "ignored"):
        if template == "ignored":
            _ignored(message, "a message")
        return
    await services.casework.post_general(message.chat.id, _thread(message), Reply(template))


# The action each command is, for the role table (bot/domain/permissions.py). /staff and
# /accesslog are checked by their services, which know list from add.
COMMANDS = {
    "invite": StaffAction.INVITE,
    "queue": StaffAction.QUEUE,
    "next": StaffAction.CLAIM,
    "onduty": StaffAction.DUTY,
    "offduty": StaffAction.DUTY,
    "followups": StaffAction.FOLLOW_UP,
    "canned": StaffAction.RELAY,
    "visit": StaffAction.VISIT,
    "tier": StaffAction.RETIER,
    "close": StaffAction.CLOSE,
    "reported": StaffAction.REPORT,
    "missed": StaffAction.MISSED,
    "file": StaffAction.FILE,
    "guardian": StaffAction.TELL_GUARDIAN,
    "screen": StaffAction.SCREEN,
    "stats": StaffAction.STATS,
}


def command_action(command: str, args: str) -> StaffAction | None:
    name = command.lower()
    if name == "plan":
        care = args.strip().lower() == "care"
        return StaffAction.CARE_PLAN if care else StaffAction.SAFETY_PLAN
    return COMMANDS.get(name)


async def _refused(services: Services, message: Message, command: CommandObject) -> bool:
    """Whether the sender's role does not include this command; if so, they were told."""
    if message.from_user is None:
        return False
    action = command_action(command.command, command.args or "")
    if action is None:
        return False
    refusal = await services.casework.refusal(message.from_user.id, message.chat.id, action)
    if refusal is None:
        return False
    await _say(services, message, refusal)
    return True


async def create_invite(
    message: Message, command: CommandObject, bot: Bot, services: Services
) -> None:
    """`/invite guardian|child [uses] [days]`: a deep link tied to the service point."""
    if await _refused(services, message, command):
        return
    if message.from_user is None:
        return
    if not await services.casework.is_staff_chat(message.chat.id):
        # Staff may sit in other groups too: a service point's link posted there would be
        # handed to whoever is in it.
        log.warning("ignored /invite in chat %s, which is not a staff chat", message.chat.id)
        return
    outcome = await services.staff_invites.from_staff_chat(
        message.from_user.id, message.chat.id, command.args or ""
    )
    if outcome is None:
        _ignored(message, "/invite")
        return
    await deliver(
        bot,
        message.chat.id,
        outcome,
        services,
        services.staff_locale,
        thread_id=_thread(message),
    )


async def show_queue(message: Message, command: CommandObject, services: Services) -> None:
    """`/queue`: open cases, most urgent first, then longest waiting."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    if not await services.duty.show_queue(message.from_user.id, message.chat.id, _thread(message)):
        _ignored(message, "/queue")


async def take_next(
    message: Message, command: CommandObject, bot: Bot, services: Services
) -> None:
    """`/next`: claim the top of the queue."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    result = await services.casework.take_next(message.from_user.id, message.chat.id)
    if result.toast == "toast.case.not_staff":
        _ignored(message, "/next")
        return
    await services.casework.post_general(
        message.chat.id,
        _thread(message),
        Reply("helpline/staff_toast", {"text": _toast(services, result)}),
    )
    await _refresh_card(bot, services, result)


async def go_on_duty(message: Message, command: CommandObject, services: Services) -> None:
    """`/onduty` and `/offduty`."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None and message.text is not None
    on = message.text.lstrip("/").lower().startswith("onduty")
    if not await services.duty.set_duty(
        message.from_user.id, message.chat.id, _thread(message), on
    ):
        _ignored(message, "/onduty")


async def manage_staff(
    message: Message, command: CommandObject, bot: Bot, services: Services
) -> None:
    """`/staff add|remove|list` (supervisors change, everyone on staff may list)."""
    assert message.from_user is not None
    replied = message.reply_to_message
    replied_id = replied.from_user.id if replied is not None and replied.from_user else None
    if not await services.duty.manage_staff(
        message.from_user.id, message.chat.id, _thread(message), command.args or "", replied_id
    ):
        _ignored(message, "/staff")
        return
    change = StaffChange.parse(command.args or "", replied_id)
    if change is not None and change.telegram_id and change.action in ("add", "remove"):
        # Their private menu follows at once (staff's, a supervisor's, or no longer staff's);
        # whoever had no right to change it changed nothing, and the same menu is set again.
        await sync_menu(bot, services, change.telegram_id)


async def show_follow_ups(message: Message, command: CommandObject, services: Services) -> None:
    """`/followups`: what is due or overdue."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    if not await services.duty.show_follow_ups(
        message.from_user.id, message.chat.id, _thread(message)
    ):
        _ignored(message, "/followups")


async def show_canned(message: Message, command: CommandObject, services: Services) -> None:
    """`/canned` in a case topic: the ready replies as buttons."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    if not await services.casework.is_staff(message.from_user.id, message.chat.id):
        _ignored(message, "/canned")  # not even "use it in a case topic" to a stranger
        return
    case = await services.casework.case_in_topic(message.chat.id, _thread(message))
    if case is None:
        await _say(services, message, "helpline/staff_in_topic_only")
        return
    result = await services.casework.menu_for(
        message.from_user.id, Place(message.chat.id, _thread(message)), case.id, "canned"
    )
    if result.menu is None:
        _ignored(message, "/canned")
        return
    await services.casework.post_general(
        message.chat.id, _thread(message), Reply("helpline/staff_canned", choices=result.menu)
    )


async def show_form(message: Message, command: CommandObject, services: Services) -> None:
    """`/plan safety|care` or `/visit` in a case topic: a form to fill in from the case."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None and command.command is not None
    if not await services.casework.is_staff(message.from_user.id, message.chat.id):
        _ignored(message, f"/{command.command}")
        return
    case = await services.casework.case_in_topic(message.chat.id, _thread(message))
    if case is None:
        await _say(services, message, "helpline/staff_in_topic_only")
        return
    form = (
        visit_form(case)
        if command.command.lower() == "visit"
        else plan_form(case, command.args or "")
    )
    await services.casework.post_general(message.chat.id, _thread(message), form)


async def set_tier(message: Message, command: CommandObject, bot: Bot, services: Services) -> None:
    """`/tier red|orange|yellow|green <reason>` in a case topic."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    answer = await services.casework.tier_command(
        message.from_user.id, message.chat.id, _thread(message), command.args or ""
    )
    await _say(services, message, answer)
    if isinstance(answer, StaffResult):
        await _refresh_card(bot, services, answer)


async def close_case(
    message: Message, command: CommandObject, bot: Bot, services: Services
) -> None:
    """`/close <outcome> <note>` in a case topic: how a red or orange case is closed."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    answer = await services.casework.close_command(
        message.from_user.id, message.chat.id, _thread(message), command.args or ""
    )
    await _say(services, message, answer)
    if isinstance(answer, StaffResult):
        await _refresh_card(bot, services, answer)


async def record_report(message: Message, command: CommandObject, services: Services) -> None:
    """`/reported <authority>`: a mandatory report was made, on the record."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    answer = await services.casework.reported(
        message.from_user.id, message.chat.id, _thread(message), command.args or ""
    )
    await _say(services, message, answer)


async def report_missed(message: Message, command: CommandObject, services: Services) -> None:
    """`/missed <level> [note]` as a reply to the child's words in a case topic: a risk that
    triage missed, for whoever maintains the lexicon and the training data."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    if services.misses is None:
        return
    replied = message.reply_to_message
    answer = await services.misses.report(
        message.from_user.id,
        message.chat.id,
        _thread(message),
        replied.message_id if replied is not None else None,
        command.args or "",
    )
    if isinstance(answer, str):
        _ignored(message, "/missed")
        return
    await services.casework.post_general(message.chat.id, _thread(message), answer)


async def show_file(message: Message, command: CommandObject, services: Services) -> None:
    """`/file <case or person code>`: the child's file; the view is logged."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    answer = await services.child_file.show(
        message.from_user.id, message.chat.id, _thread(message), command.args or ""
    )
    if answer is not None:
        await _say(services, message, answer)


async def invite_guardian(message: Message, command: CommandObject, services: Services) -> None:
    """`/guardian <code> <reason>`: the guardian is invited without telling the child first."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    answer = await services.child_file.guardian_command(
        message.from_user.id, message.chat.id, _thread(message), command.args or ""
    )
    await _say(services, message, answer)


async def request_screening(message: Message, command: CommandObject, services: Services) -> None:
    """`/screen <code> <instrument> [every N days]`."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    answer = await services.child_file.request(
        message.from_user.id, message.chat.id, _thread(message), command.args or ""
    )
    if answer is not None:
        await _say(services, message, answer)


async def show_stats(message: Message, command: CommandObject, services: Services) -> None:
    """`/stats [week|month|2026-03|2026-03-01..2026-03-15]`: figures and a chart."""
    if await _refused(services, message, command):
        return
    assert message.from_user is not None
    if services.oversight is None:
        return
    answer = await services.oversight.stats(
        message.from_user.id, message.chat.id, _thread(message), command.args or ""
    )
    if answer == "ignored":
        _ignored(message, "/stats")


async def topic_text(message: Message, services: Services) -> None:
    """A counsellor's line in a case topic: to the child, or a private note with `!`."""
    assert message.from_user is not None and message.text is not None
    thread = _thread(message)
    if thread is None:
        return  # the general thread is staff talk
    answer = await services.casework.topic_text(
        message.from_user.id, message.chat.id, thread, message.text
    )
    if answer is not None:
        await _say(services, message, answer)


async def topic_media(message: Message, services: Services) -> None:
    """A photo or voice message from the counsellor, copied to the child."""
    assert message.from_user is not None
    thread = _thread(message)
    if thread is None:
        return
    kind = media_kind(message) or "other"
    answer = await services.casework.topic_media(
        message.from_user.id, message.chat.id, thread, message.message_id, kind
    )
    if answer is not None:
        await _say(services, message, answer)


def _toast(services: Services, result: StaffResult) -> str:
    if not result.toast:
        return ""
    data = dict(result.toast_data)
    if data.get("tier") in {t.value for t in Tier}:  # "现在是 红。", not the database's "red"
        data["tier"] = services.catalog.text(f"tier.name.{data['tier']}", services.staff_locale)
    return services.catalog.text(result.toast, services.staff_locale, **data)


async def _refresh_card(
    bot: Bot,
    services: Services,
    result: StaffResult,
    pressed: tuple[int, int] | None = None,
) -> None:
    """Every message of the case that carries its buttons shows the ones that apply now (the
    pressed message was given its keyboard already)."""
    for card in result.cards:
        if (card.chat_id, card.message_id) == pressed:
            continue
        await _set_keyboard(bot, services, card.chat_id, card.message_id, card.menu)


async def _set_keyboard(
    bot: Bot, services: Services, chat_id: int, message_id: int, menu: Menu
) -> None:
    markup = keyboard_for(menu, services.catalog, services.staff_locale)
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=markup or InlineKeyboardMarkup(inline_keyboard=[]),
        )
    except TelegramAPIError:  # unchanged, or too old to edit: the next press refreshes it
        log.info("could not change the keyboard of message %s", message_id)


def _place(query: CallbackQuery) -> Place | None:
    message = query.message
    if message is None:
        return None
    if isinstance(message, Message) and message.is_topic_message:
        return Place(message.chat.id, message.message_thread_id)
    # A card too old for Telegram to show arrives without its topic: it counts as the
    # general thread's, which is a case's place only while it has no topic.
    return Place(message.chat.id)


async def press_case(query: CallbackQuery, bot: Bot, services: Services) -> None:
    """Every button on a case card and its sub-menus; each re-checked against the database."""
    at = _place(query)
    if query.message is None or query.data is None or at is None:
        await query.answer()
        return
    chat_id = at.chat_id
    who = query.from_user.id
    # Forged or mangled data names no action: the same polite refusal as an outdated button.
    action = parse_case_action(query.data)
    result = STALE
    if action is not None:
        cw = services.casework
        refusal = await cw.refusal(who, chat_id, action.needs)
        by = Press(cw, services.child_file, services.misses, who, at)
        result = refusal or await press(by, action)
    if result.toast == "toast.case.not_staff":
        log.warning(
            "ignored button %r from non-staff user %s in chat %s", query.data, who, chat_id
        )
    text = _toast(services, result)
    if at.chat_id == who and result.toast == "toast.stale":
        # Someone not on staff, in their own chat: refused in their language, as any other
        # outdated button there is.
        locale = await services.account.locale_of(person_of(query.from_user))
        text = services.catalog.text(result.toast, locale)
    try:
        await query.answer(text or None, show_alert=result.alert)
    except TelegramAPIError as exc:  # too late to answer: the action stands, the card follows
        log.info("could not answer a case button: %s", type(exc).__name__)
    pressed = (chat_id, query.message.message_id)
    # The pressed message may be an older post that now gives its buttons to a newer one.
    menu = next((c.menu for c in result.cards if (c.chat_id, c.message_id) == pressed), None)
    if menu is None:
        menu = result.menu
    if menu is not None:
        await _set_keyboard(bot, services, chat_id, query.message.message_id, menu)
    await _refresh_card(bot, services, result, pressed)


async def ignore_group_chatter(message: Message) -> None:
    """Staff talk among themselves in the general thread; nothing to do."""


def build() -> Router:
    """A fresh router: each dispatcher (tests, several instances) needs its own."""
    router = Router(name=__name__)
    groups = F.chat.type.in_({"group", "supergroup"})
    router.message.filter(groups)
    router.message.register(create_invite, Command("invite"))
    router.message.register(show_queue, Command("queue"))
    router.message.register(take_next, Command("next"))
    router.message.register(go_on_duty, Command("onduty", "offduty"))
    router.message.register(manage_staff, Command("staff"))
    router.message.register(show_follow_ups, Command("followups"))
    router.message.register(show_canned, Command("canned"))
    router.message.register(show_form, Command("plan", "visit"))
    router.message.register(set_tier, Command("tier"))
    router.message.register(close_case, Command("close"))
    router.message.register(record_report, Command("reported"))
    router.message.register(report_missed, Command("missed"))
    router.message.register(show_file, Command("file"))
    router.message.register(request_screening, Command("screen"))
    router.message.register(invite_guardian, Command("guardian"))
    router.message.register(show_stats, Command("stats"))
    router.message.register(topic_text, F.text)
    router.message.register(topic_media, F.content_type.in_(set(MEDIA)))
    router.message.register(ignore_group_chatter)
    router.callback_query.register(
        press_case,
        F.message.chat.type.in_({"group", "supergroup"}),
        F.data.regexp(r"^(case|canned|ref|fu|file):"),
    )
    # ✋ on the direct message an on-duty counsellor gets about a new case: pressed in their
    # own chat with the bot. Anyone else's press there is refused as any stale button is.
    router.callback_query.register(
        press_case, F.message.chat.type == "private", F.data.regexp(r"^case:claim:")
    )
    return router
