"""The baseline for bench/inbound.py: a bare aiogram 3 echo bot, on long polling or a webhook.

    python bench/echo_bot.py --api http://127.0.0.1:PORT --token 123:ABC
    python bench/echo_bot.py --api ... --token ... --webhook-url URL --listen 127.0.0.1:PORT \
        --secret S

One message handler that answers with the same text; no database, no middleware, no
isolation: what aiogram and the sandbox cost on their own, for the same load as the real bot
and over the same way in (a webhook costs both sides more per update than a polled batch).
On a webhook it is aiogram's own SimpleRequestHandler, which answers Telegram before handling.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web


async def echo(message: Message) -> None:
    await message.answer(message.text or "?")


async def ready(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def serve_webhook(dispatcher: Dispatcher, bot: Bot, args: argparse.Namespace) -> None:
    await bot.set_webhook(args.webhook_url, secret_token=args.secret)
    app = web.Application()
    app.router.add_get("/readyz", ready)
    path = "/" + args.webhook_url.split("://", 1)[1].split("/", 1)[1]
    SimpleRequestHandler(dispatcher, bot, secret_token=args.secret).register(app, path=path)
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, _, port = args.listen.rpartition(":")
    await web.TCPSite(runner, host, int(port)).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def main(args: argparse.Namespace) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(args.api))
    bot = Bot(args.token, session=session)
    dispatcher = Dispatcher()
    dispatcher.message.register(echo)
    gc.collect()
    gc.freeze()  # as `python -m bot run` does: the comparison is of the handling alone
    if args.webhook_url:
        await serve_webhook(dispatcher, bot, args)
    else:
        await dispatcher.start_polling(bot, handle_signals=True, close_bot_session=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="Bot API base URL (the sandbox)")
    parser.add_argument("--token", required=True)
    parser.add_argument("--webhook-url", default="", help="take updates on this webhook")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="host:port for the webhook")
    parser.add_argument("--secret", default="", help="the webhook's secret token")
    asyncio.run(main(parser.parse_args()))
