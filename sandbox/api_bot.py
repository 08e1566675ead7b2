"""Bot-level methods: identity, updates, webhooks, commands, descriptions and files."""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any
from urllib.parse import urlsplit

from sandbox.errors import (
    CHAT_NOT_FOUND,
    POLLING_CONFLICT,
    WEBHOOK_CONFLICT,
    ApiError,
    bad_request,
)
from sandbox.registry import Call, handles
from sandbox.state import BotAccount, Webhook

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_SCOPES_WITH_CHAT = ("chat", "chat_administrators", "chat_member")
_SCOPES = (
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    *_SCOPES_WITH_CHAT,
)


@handles("getMe")
async def get_me(call: Call) -> dict[str, Any]:
    return call.bot.me()


@handles("logOut")
async def log_out(call: Call) -> bool:
    return True


@handles("close")
async def close(call: Call) -> bool:
    return True


def confirm(bot: BotAccount, offset: int | None) -> None:
    """Updates below a positive offset are forgotten; a negative one keeps the last -offset."""
    if not offset:
        return
    if offset > 0:
        bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
    else:
        bot.updates = bot.updates[offset:]


@handles("getUpdates")
async def get_updates(call: Call) -> list[dict[str, Any]]:
    bot, p = call.bot, call.params
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    allowed = p.arr("allowed_updates")
    if allowed is not None:
        bot.allowed_updates = [str(kind) for kind in allowed]
    limit = min(max(p.opt_integer("limit") or 100, 1), 100)
    timeout = max(p.opt_integer("timeout") or 0, 0)
    confirm(bot, p.opt_integer("offset"))
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.notifier.notify()  # an older long poll still waiting must learn it was superseded
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if bot.updates:
            return copy.deepcopy(bot.updates[:limit])
        remaining = deadline - loop.time()
        if remaining <= 0 or call.stopping.is_set():
            return []
        await bot.notifier.wait(remaining)
        if bot.poll_generation != generation:
            raise ApiError(409, POLLING_CONFLICT)
        if bot.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)


@handles("setWebhook")
async def set_webhook(call: Call) -> bool:
    bot, p = call.bot, call.params
    url = p.string("url")
    parts = urlsplit(url)
    # real Telegram demands HTTPS on ports 443/80/88/8443; the sandbox delivers to local HTTP
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.opt_string("secret_token")
    if secret is not None and not _SECRET_RE.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    connections = p.opt_integer("max_connections") or 40
    if not 1 <= connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = p.arr("allowed_updates")
    if allowed is not None:
        bot.allowed_updates = [str(kind) for kind in allowed]
    if p.flag("drop_pending_updates"):
        bot.updates.clear()
    previous = bot.webhook
    bot.webhook = Webhook(url, secret, connections, ip_address=p.opt_string("ip_address"))
    if previous is not None and previous.url == url:
        bot.webhook.last_error_date = previous.last_error_date
        bot.webhook.last_error_message = previous.last_error_message
    bot.poll_generation += 1
    bot.notifier.notify()
    return True


@handles("deleteWebhook")
async def delete_webhook(call: Call) -> bool:
    call.bot.webhook = None
    if call.params.flag("drop_pending_updates"):
        call.bot.updates.clear()
    call.bot.notifier.notify()
    return True


@handles("getWebhookInfo")
async def get_webhook_info(call: Call) -> dict[str, Any]:
    bot = call.bot
    hook = bot.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if hook is None:
        return info
    info["max_connections"] = hook.max_connections
    if hook.ip_address:
        info["ip_address"] = hook.ip_address
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message or ""
    if bot.allowed_updates:
        info["allowed_updates"] = list(bot.allowed_updates)
    return info


def language(call: Call) -> str:
    code = call.params.opt_string("language_code") or ""
    if code and not _LANGUAGE_RE.fullmatch(code):
        raise bad_request("invalid language code specified")
    return code


def scope_key(scope: dict[str, Any] | None) -> str:
    """A stable key for a BotCommandScope; commands are stored per (scope, language)."""
    if scope is None:
        return "default"
    kind = scope.get("type")
    if kind not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    if kind not in _SCOPES_WITH_CHAT:
        return str(kind)
    chat_id = scope.get("chat_id")
    if chat_id in (None, ""):
        raise bad_request("can't parse BotCommandScope JSON object")
    if kind == "chat_member":
        user_id = scope.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("can't parse BotCommandScope JSON object")
        return f"{kind}:{chat_id}:{user_id}"
    return f"{kind}:{chat_id}"


def visible_commands(
    bot: BotAccount, chat_id: int, user_id: int, language: str, *, is_admin: bool
) -> tuple[str, str, list[dict[str, Any]]]:
    """The menu a user sees, searched in Telegram's documented order of scopes."""
    if chat_id > 0:
        scopes = [f"chat:{chat_id}", "all_private_chats", "default"]
    else:
        admin = [f"chat_administrators:{chat_id}"] if is_admin else []
        every_admin = ["all_chat_administrators"] if is_admin else []
        scopes = [
            f"chat_member:{chat_id}:{user_id}",
            *admin,
            f"chat:{chat_id}",
            *every_admin,
            "all_group_chats",
            "default",
        ]
    code = language[:2].lower()
    for scope in scopes:
        for lang in (code, "") if code else ("",):
            if bot.commands.get((scope, lang)):
                return scope, lang, bot.commands[(scope, lang)]
    return "default", "", []


def _scope(call: Call) -> str:
    """The scope's key with its chat resolved as Telegram does: a chat the bot cannot reach
    (a user who never started it, a group it is not in) is "chat not found", and a group's
    @username names the same menu as its id."""
    scope = call.params.obj("scope")
    if scope is None or scope.get("type") not in _SCOPES_WITH_CHAT:
        return scope_key(scope)
    ref = scope.get("chat_id")
    if isinstance(ref, str) and ref.removeprefix("-").isdigit():
        ref = int(ref)
    if isinstance(ref, int | str) and not isinstance(ref, bool) and ref not in ("", None):
        try:
            chat = call.world.resolve(call.bot, ref)
        except ApiError as exc:
            raise bad_request(CHAT_NOT_FOUND) from exc
        scope = {**scope, "chat_id": chat.id}
    return scope_key(scope)


@handles("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    commands: list[dict[str, Any]] = []
    for item in call.params.arr("commands") or []:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command = str(item.get("command", "")).removeprefix("/")
        description = str(item.get("description", ""))
        if not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    if len(commands) > 100:
        raise bad_request("too much commands")
    key = (_scope(call), language(call))
    if commands:
        call.bot.commands[key] = commands
    else:
        call.bot.commands.pop(key, None)
    call.world.events.emit("commands", bot_id=call.bot.id, scope=key[0], language_code=key[1])
    return True


@handles("getMyCommands")
async def get_my_commands(call: Call) -> list[dict[str, Any]]:
    key = (_scope(call), language(call))
    return copy.deepcopy(call.bot.commands.get(key, []))


@handles("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    key = (_scope(call), language(call))
    call.bot.commands.pop(key, None)
    # Recorded like a set: a client falls back to the next scope's menu from now on.
    call.world.events.emit("commands", bot_id=call.bot.id, scope=key[0], language_code=key[1])
    return True


@handles("setMyDescription")
async def set_my_description(call: Call) -> bool:
    text = call.params.opt_string("description") or ""
    if len(text) > 512:
        raise bad_request("description is too long")
    call.bot.descriptions[language(call)] = text
    return True


@handles("getMyDescription")
async def get_my_description(call: Call) -> dict[str, Any]:
    return {"description": call.bot.descriptions.get(language(call), "")}


@handles("setMyShortDescription")
async def set_my_short_description(call: Call) -> bool:
    text = call.params.opt_string("short_description") or ""
    if len(text) > 120:
        raise bad_request("short description is too long")
    call.bot.short_descriptions[language(call)] = text
    return True


@handles("getMyShortDescription")
async def get_my_short_description(call: Call) -> dict[str, Any]:
    return {"short_description": call.bot.short_descriptions.get(language(call), "")}


@handles("getFile")
async def get_file(call: Call) -> dict[str, Any]:
    stored = call.world.files.get(call.params.string("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.file_object()
