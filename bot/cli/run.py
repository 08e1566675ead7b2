"""`run`: the bot, on long polling or (with WEBHOOK_URL set) on a webhook."""

from __future__ import annotations

import argparse
import gc

from bot.app import build_app
from bot.config import load_settings
from bot.runtime import run_polling, run_webhook


async def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.require_token()
    app = await build_app(settings)
    # Everything loaded so far (aiogram, catalogs, lexicons) lives as long as the process:
    # out of the collector's sight, full collections stop costing hundreds of milliseconds
    # in the middle of a broadcast (bench/broadcast.py measures it).
    gc.collect()
    gc.freeze()
    if settings.webhook_url:
        await run_webhook(app)
    else:
        await run_polling(app)
    return 0
