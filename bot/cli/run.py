"""`run` and `migrate`."""

from __future__ import annotations

import argparse

from bot.app import build_app, run_polling
from bot.config import load_settings
from bot.db import migrate as migrations
from bot.db.engine import make_engine


async def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.require_token()
    app = await build_app(settings)
    await run_polling(app)
    return 0


async def migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        if args.down:
            await migrations.downgrade(engine, args.revision)
        else:
            await migrations.upgrade(engine, args.revision)
        print(f"database at revision {await migrations.current_revision(engine) or 'base'}")
    finally:
        await engine.dispose()
    return 0
