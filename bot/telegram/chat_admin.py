"""The Telegram side of the StaffChatAdmin port: taking someone out of a staff group, and the
group's administrators.

Removing is `banChatMember` then `unbanChatMember` with `only_if_banned`: the ban takes them
out (in a supergroup it also hides the group's history from them), the unban lets them be
invited again later (https://core.telegram.org/bots/api#unbanchatmember). `getChatMember`
first tells an owner or an administrator someone else appointed, whom a bot may not remove,
from someone it can.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ChatMemberAdministrator, ResultChatMemberUnion
from aiohttp import ClientError

from bot.ports import Removal

log = logging.getLogger(__name__)

GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.KICKED)
# Telegram's words for "no such user here", in the answers of getChatMember.
UNKNOWN_USER = ("user not found", "participant_id_invalid", "user_id_invalid")


def _why(exc: TelegramAPIError) -> Removal:
    """What a refused ban means, from Telegram's description (it has no error codes)."""
    text = exc.message.lower()
    if isinstance(exc, TelegramForbiddenError) or "not enough rights" in text:
        return Removal.NO_RIGHTS
    if "admin_required" in text or "need administrator" in text:
        return Removal.NO_RIGHTS
    if "owner" in text:
        return Removal.OWNER
    if "administrator" in text:
        return Removal.ADMIN
    return Removal.FAILED


def _not_removable(member: ResultChatMemberUnion) -> Removal | None:
    """Why a member stays put without asking Telegram (gone already, the owner, an
    administrator the bot did not appoint), or None when a ban may take them out."""
    if member.status in GONE:
        return Removal.ABSENT
    if member.status == ChatMemberStatus.CREATOR:
        return Removal.OWNER
    if isinstance(member, ChatMemberAdministrator) and not member.can_be_edited:
        return Removal.ADMIN
    return None


class TelegramStaffChatAdmin:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def remove(self, chat_id: int, user_id: int) -> Removal:
        member = await self._member(chat_id, user_id)
        if isinstance(member, Removal):
            return member
        kept = _not_removable(member)
        if kept is not None:
            return kept
        try:
            await self.bot.ban_chat_member(chat_id, user_id)
        except TelegramAPIError as exc:
            log.warning("staff group %s: ban refused: %s", chat_id, exc.message)
            return _why(exc)
        except (ClientError, TimeoutError, OSError) as exc:
            log.warning("staff group %s: ban: %s", chat_id, type(exc).__name__)
            return Removal.FAILED
        try:
            await self.bot.unban_chat_member(chat_id, user_id, only_if_banned=True)
        except (TelegramAPIError, ClientError, TimeoutError, OSError) as exc:
            # Out of the group, which is what matters; a new invitation needs an unban first.
            log.warning("staff group %s: unban after removal: %s", chat_id, type(exc).__name__)
            return Removal.BANNED
        return Removal.REMOVED

    async def _member(self, chat_id: int, user_id: int) -> ResultChatMemberUnion | Removal:
        """Who they are in the group, or why that cannot be known (ABSENT: not in it)."""
        try:
            return await self.bot.get_chat_member(chat_id, user_id)
        except TelegramBadRequest as exc:
            if any(w in exc.message.lower() for w in UNKNOWN_USER):
                return Removal.ABSENT
            log.warning("staff group %s: cannot look up a member: %s", chat_id, exc.message)
            return _why(exc)
        except TelegramAPIError as exc:
            log.warning("staff group %s: cannot look up a member: %s", chat_id, exc.message)
            return _why(exc)
        except (ClientError, TimeoutError, OSError) as exc:
            log.warning("staff group %s: %s", chat_id, type(exc).__name__)
            return Removal.FAILED

    async def administrators(self, chat_id: int) -> Sequence[int] | None:
        try:
            admins = await self.bot.get_chat_administrators(chat_id)
        except (TelegramAPIError, ClientError, TimeoutError, OSError) as exc:
            log.warning("staff group %s: no list of administrators: %s", chat_id, exc)
            return None
        return [a.user.id for a in admins if not a.user.is_bot]
