"""python -m bot <command> — the one command line for operators, developers and the demo."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot.cli import demo_state
from bot.config import ConfigError, load_settings

Command = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
# Held at WARNING whatever LOG_LEVEL says: migrations and the ticker are chatty, and aiosqlite
# logs every statement with its parameters at DEBUG, which are people's words (DATA_KEY unset).
QUIET_LOGGERS = ("alembic", "apscheduler", "aiogram.event", "aiosqlite")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="心桥 Xinqiao")
    p.add_argument(
        "--demo",
        action="store_true",
        help="run COMMAND against the running `python -m bot demo` (its database, sandbox and "
        "token), started from this directory",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the bot (long polling); creates or upgrades the database")
    demo = sub.add_parser("demo", help="sandbox + bot + web page; no token or network needed")
    demo.add_argument("--port", type=int, default=8080, help="web page and sandbox port")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument(
        "--dashboard-port", type=int, default=8090, help="supervisors' dashboard port"
    )
    demo.add_argument("--db", default="", help="database URL (default: a fresh SQLite file)")
    mig = sub.add_parser("migrate", help="upgrade (or downgrade) the database schema")
    mig.add_argument("revision", nargs="?", default="head")
    mig.add_argument("--down", action="store_true", help="downgrade to REVISION instead")
    sub.add_parser("doctor", help="check token, API, database, staff chat and locales")
    inv = sub.add_parser("invite", help="make an invitation link")
    inv.add_argument("role", choices=["guardian", "child"])
    inv.add_argument("--service-point", default="", help="service point code")
    inv.add_argument("--uses", type=int, default=1)
    inv.add_argument("--days", type=int, default=0, help="valid for N days (default from config)")
    sp = sub.add_parser("service-point", help="add or list service points")
    sp_sub = sp.add_subparsers(dest="action", required=True)
    add = sp_sub.add_parser("add")
    add.add_argument("--code", required=True)
    add.add_argument("--name", required=True)
    add.add_argument(
        "--kind",
        default="children_home",
        choices=["children_home", "protection_station", "social_work_station", "school", "other"],
    )
    add.add_argument("--region", default="")
    add.add_argument("--director", default="", help="the 儿童主任's name")
    add.add_argument("--staff-chat-id", type=int, default=None)
    add_chat = sp_sub.add_parser(
        "add-chat", help="another staff group for a service point (new cases go to the calmest)"
    )
    add_chat.add_argument("--code", required=True)
    add_chat.add_argument("--staff-chat-id", type=int, required=True)
    sp_sub.add_parser("list")
    lessons = sub.add_parser("lessons", help="the weekly lesson programme")
    lessons_sub = lessons.add_subparsers(dest="action", required=True)
    due = lessons_sub.add_parser("run-due", help="queue and deliver everything due at an instant")
    due.add_argument("--at", default="", help="ISO-8601 instant (default: now; naive = UTC)")
    lessons_sub.add_parser("status", help="queued, sent, failed and blocked counts")
    tri = sub.add_parser(
        "triage",
        help="classify UTF-8 lines from stdin by risk; one JSON object per line on stdout",
    )
    tri.add_argument(
        "--as",
        dest="speaker",
        choices=["child", "guardian"],
        default="child",
        help="whose message each line is: the action differs for a guardian's relay",
    )
    tri.add_argument(
        "--context",
        metavar="FILE",
        help="earlier messages (UTF-8, one per line) read before every line, as the bot does",
    )
    tri.add_argument(
        "action",
        nargs="?",
        choices=["train", "sounds", "misses"],
        help="train: rebuild the statistical second opinion's weights; sounds: rebuild the "
        "char→pinyin table of the sounds channel (both need .[dev]); misses: the messages "
        "staff marked as missed risks, de-identified",
    )
    tri.add_argument(
        "--check", action="store_true", help="train, sounds: only say if the file is stale"
    )
    tri.add_argument("--since", default="", help="misses: ISO-8601 date (default: 90 days ago)")
    tri.add_argument(
        "--format", choices=["tsv", "json"], default="tsv", help="misses: output format"
    )
    score = sub.add_parser(
        "score", help="score a screening instrument from item answers; prints one JSON object"
    )
    score.add_argument("instrument", help="phq-a, gad-7, psc-17, who-5, asq or mood-kids")
    score.add_argument("answers", nargs="*", help="item answers in order; '-' for a skipped item")
    staff = sub.add_parser("staff", help="register counsellors and supervisors")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    staff_add = staff_sub.add_parser("add", help="add or update a staff member")
    staff_add.add_argument("--telegram-id", type=int, required=True)
    staff_add.add_argument(
        "--role",
        choices=["counsellor", "supervisor", "director", "township"],
        required=True,
        help="counsellor 心理老师, supervisor 督导 (clinical), director 儿童主任, "
        "township 儿童督导员 (see bot/domain/permissions.py)",
    )
    staff_add.add_argument("--name", required=True, help="shown to colleagues, never to children")
    staff_add.add_argument("--service-point", default="", help="service point code")
    staff_remove = staff_sub.add_parser("remove", help="retire a staff member")
    staff_remove.add_argument("--telegram-id", type=int, required=True)
    staff_sub.add_parser("list", help="staff, roles and who is on duty")
    keys = sub.add_parser("keys", help="DATA_KEY: make one, see what it covers, rotate it")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    keys_sub.add_parser("new", help="print a fresh key for DATA_KEY")
    keys_sub.add_parser("status", help="how many values are under each key, how many plain")
    rotate = keys_sub.add_parser("rotate", help="re-encrypt every value under DATA_KEY")
    rotate.add_argument("--page", type=int, default=500, help="rows per transaction")
    rotate.add_argument(
        "--decrypt", action="store_true", help="DATA_KEY unset: write plain text back instead"
    )
    privacy = sub.add_parser("privacy", help="data retention and the record of deletions")
    privacy_sub = privacy.add_subparsers(dest="action", required=True)
    purge = privacy_sub.add_parser(
        "purge", help="empty conversation text of cases closed before the retention period"
    )
    purge.add_argument("--at", default="", help="ISO-8601 instant (default: now; naive = UTC)")
    erasures = privacy_sub.add_parser(
        "erasures", help="the record of deletions on request and retention purges"
    )
    erasures.add_argument(
        "--since", default="", help="ISO-8601 date or instant (default: 90 days ago)"
    )
    i18n = sub.add_parser("i18n", help="translators: refresh catalogs from content")
    i18n.add_argument("action", choices=["update", "check"])
    fonts = sub.add_parser("fonts", help="remake the chart font's subset (needs fonttools)")
    fonts_sub = fonts.add_subparsers(dest="action", required=True)
    fonts_subset = fonts_sub.add_parser("subset", help="cut a Noto Sans CJK font to our text")
    fonts_subset.add_argument("source", help="NotoSansCJK-Regular.ttc (or an SC .otf)")
    fonts_subset.add_argument("--out", default="", help="default: content/fonts/…Subset.otf")
    return p


def _command(name: str) -> Command:
    """Import only what the command needs: aiogram alone takes seconds to import."""
    module, func = {
        "run": ("run", "run"),
        "demo": ("demo", "demo"),
        "migrate": ("admin", "migrate"),
        "doctor": ("doctor", "doctor"),
        "invite": ("admin", "invite"),
        "service-point": ("admin", "service_point"),
        "i18n": ("admin", "i18n"),
        "lessons run-due": ("lessons", "run_due"),
        "lessons status": ("lessons", "status"),
        "triage": ("triage", "triage"),
        "triage train": ("triage_model", "train"),
        "triage sounds": ("triage_sounds", "sounds"),
        "triage misses": ("misses", "misses"),
        "score": ("screening", "score"),
        "staff add": ("staff", "add"),
        "staff remove": ("staff", "remove"),
        "staff list": ("staff", "list_staff"),
        "privacy purge": ("privacy", "purge"),
        "privacy erasures": ("privacy", "erasures"),
        "keys new": ("keys", "new"),
        "keys status": ("keys", "status"),
        "keys rotate": ("keys", "rotate_command"),
        "fonts subset": ("fonts", "subset"),
    }[name]
    command: Command = getattr(importlib.import_module(f"bot.cli.{module}"), func)
    return command


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.demo and args.command != "demo":
        try:
            # Before settings are read: the demo's own values win over .env and the shell's.
            os.environ.update(demo_state.environment())
        except demo_state.NoDemoError as exc:
            print(exc, file=sys.stderr)
            return 2
    try:
        # Settings first, before the slow framework imports: a typo fails in a blink.
        level = load_settings().log_level.upper()
    except ConfigError as exc:
        if args.command != "doctor":  # doctor lists it among its findings instead
            print(f"Configuration error: {exc}", file=sys.stderr)
            return 2
        level = "INFO"
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Migrations and the ticker are chatty at INFO; what they do is summarised elsewhere.
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
    try:
        name = args.command
        if args.command in ("lessons", "staff", "keys", "privacy", "fonts"):
            name = f"{args.command} {args.action}"
        elif args.command == "triage" and args.action:
            name = f"triage {args.action}"
        return asyncio.run(_command(name)(args))
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
