"""The baseline for bench/inbound.py: a bare aiogram 3 echo bot on long polling.

    python bench/echo_bot.py --api http://127.0.0.1:PORT --token 123:ABC

One message handler that answers with the same text; no database, no middleware, no
isolation: what aiogram and the sandbox cost on their own, for the same load as the real bot.
"""

from __future__ import annotations

import argparse
import asyncio
import gc

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def echo(message: Message) -> None:
    await message.answer(message.text or "?")


async def main(api: str, token: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api))
    bot = Bot(token, session=session)
    dispatcher = Dispatcher()
    dispatcher.message.register(echo)
    gc.collect()
    gc.freeze()  # as `python -m bot run` does: the comparison is of the handling alone
    await dispatcher.start_polling(bot, handle_signals=True, close_bot_session=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="Bot API base URL (the sandbox)")
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.api, args.token))
