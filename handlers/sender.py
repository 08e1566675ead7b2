"""The Telegram implementation of the Sender port, for messages nobody is waiting on."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from bot.domain.replies import Reply
from bot.ports import Catalog
from bot.services.account import Account
from handlers.render import send_reply

log = logging.getLogger(__name__)


class TelegramSender:
    def __init__(self, bot: Bot, catalog: Catalog, account: Account) -> None:
        self.bot = bot
        self.catalog = catalog
        self.account = account

    async def send(self, telegram_id: int, locale: str, reply: Reply) -> bool:
        try:
            await send_reply(self.bot, telegram_id, reply, self.catalog, locale)
        except TelegramForbiddenError:
            await self.account.mark_unreachable(telegram_id)
            log.info("recipient %s unreachable: marked inactive", telegram_id)
            return False
        except TelegramBadRequest as exc:
            log.warning("could not send to %s: %s", telegram_id, exc.message)
            return False
        return True
