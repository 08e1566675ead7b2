"""`run`: the bot on long polling."""

from __future__ import annotations

import argparse

from bot.app import build_app, run_polling
from bot.config import load_settings


async def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.require_token()
    app = await build_app(settings)
    await run_polling(app)
    return 0
