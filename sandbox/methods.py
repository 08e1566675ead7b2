"""The Bot API methods the sandbox implements, as a declarative table.

Each method lists the parameters the sandbox understands, whether Telegram requires them and
their type family. Request validation (`sandbox.params`) is driven by this table only;
parameters a client sends that are not listed are ignored, as Telegram ignores unknown ones.
The table is hand-written; `tests/sandbox/test_spec.py` checks it against the official spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    INTEGER = "integer"
    STRING = "string"
    BOOLEAN = "boolean"
    FLOAT = "float"
    # chat_id and friends: an integer id or an "@username" string
    INT_OR_STRING = "integer_or_string"
    JSON_OBJECT = "json_object"
    JSON_ARRAY = "json_array"
    # an upload (multipart or attach://name), a file_id or an HTTP URL
    INPUT_FILE = "input_file"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    required: bool = False


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    returns: str
    params: tuple[Param, ...] = ()

    def param(self, name: str) -> Param | None:
        for param in self.params:
            if param.name == name:
                return param
        return None


def req(name: str, kind: Kind) -> Param:
    return Param(name, kind, required=True)


def opt(name: str, kind: Kind) -> Param:
    return Param(name, kind)


INT, STR, BOOL = Kind.INTEGER, Kind.STRING, Kind.BOOLEAN
ID, OBJ, ARR, FILE = Kind.INT_OR_STRING, Kind.JSON_OBJECT, Kind.JSON_ARRAY, Kind.INPUT_FILE

CHAT = req("chat_id", ID)
THREAD = opt("message_thread_id", INT)
TOPIC = req("message_thread_id", INT)
DELIVERY = (
    opt("disable_notification", BOOL),
    opt("protect_content", BOOL),
    opt("allow_paid_broadcast", BOOL),
    opt("message_effect_id", STR),
    opt("reply_parameters", OBJ),
    opt("reply_markup", OBJ),
)
CAPTION = (opt("caption", STR), opt("parse_mode", STR), opt("caption_entities", ARR))
COMMAND_KEY = (opt("scope", OBJ), opt("language_code", STR))

_TABLE: tuple[Method, ...] = (
    Method("getMe", "User"),
    Method("logOut", "Boolean"),
    Method("close", "Boolean"),
    Method(
        "getUpdates",
        "Array of Update",
        (opt("offset", INT), opt("limit", INT), opt("timeout", INT), opt("allowed_updates", ARR)),
    ),
    Method(
        "setWebhook",
        "Boolean",
        (
            req("url", STR),
            opt("certificate", FILE),
            opt("ip_address", STR),
            opt("max_connections", INT),
            opt("allowed_updates", ARR),
            opt("drop_pending_updates", BOOL),
            opt("secret_token", STR),
        ),
    ),
    Method("deleteWebhook", "Boolean", (opt("drop_pending_updates", BOOL),)),
    Method("getWebhookInfo", "WebhookInfo"),
    Method(
        "sendMessage",
        "Message",
        (
            CHAT,
            THREAD,
            req("text", STR),
            opt("parse_mode", STR),
            opt("entities", ARR),
            opt("link_preview_options", OBJ),
            *DELIVERY,
        ),
    ),
    Method(
        "editMessageText",
        "Message",
        (
            opt("chat_id", ID),
            opt("message_id", INT),
            opt("inline_message_id", STR),
            opt("text", STR),
            opt("parse_mode", STR),
            opt("entities", ARR),
            opt("link_preview_options", OBJ),
            opt("reply_markup", OBJ),
        ),
    ),
    Method(
        "editMessageCaption",
        "Message",
        (
            opt("chat_id", ID),
            opt("message_id", INT),
            opt("inline_message_id", STR),
            *CAPTION,
            opt("reply_markup", OBJ),
        ),
    ),
    Method(
        "editMessageReplyMarkup",
        "Message",
        (
            opt("chat_id", ID),
            opt("message_id", INT),
            opt("inline_message_id", STR),
            opt("reply_markup", OBJ),
        ),
    ),
    Method(
        "answerCallbackQuery",
        "Boolean",
        (
            req("callback_query_id", STR),
            opt("text", STR),
            opt("show_alert", BOOL),
            opt("url", STR),
            opt("cache_time", INT),
        ),
    ),
    Method("deleteMessage", "Boolean", (CHAT, req("message_id", INT))),
    Method("deleteMessages", "Boolean", (CHAT, req("message_ids", ARR))),
    Method("sendChatAction", "Boolean", (CHAT, THREAD, req("action", STR))),
    Method("setMyCommands", "Boolean", (req("commands", ARR), *COMMAND_KEY)),
    Method("getMyCommands", "Array of BotCommand", COMMAND_KEY),
    Method("deleteMyCommands", "Boolean", COMMAND_KEY),
    Method("setMyDescription", "Boolean", (opt("description", STR), opt("language_code", STR))),
    Method("getMyDescription", "BotDescription", (opt("language_code", STR),)),
    Method(
        "setMyShortDescription",
        "Boolean",
        (opt("short_description", STR), opt("language_code", STR)),
    ),
    Method("getMyShortDescription", "BotShortDescription", (opt("language_code", STR),)),
    Method(
        "sendPhoto",
        "Message",
        (CHAT, THREAD, req("photo", FILE), *CAPTION, opt("has_spoiler", BOOL), *DELIVERY),
    ),
    Method(
        "sendDocument",
        "Message",
        (
            CHAT,
            THREAD,
            req("document", FILE),
            opt("thumbnail", FILE),
            *CAPTION,
            opt("disable_content_type_detection", BOOL),
            *DELIVERY,
        ),
    ),
    Method(
        "sendVoice",
        "Message",
        (CHAT, THREAD, req("voice", FILE), *CAPTION, opt("duration", INT), *DELIVERY),
    ),
    Method(
        "sendSticker",
        "Message",
        (CHAT, THREAD, req("sticker", FILE), opt("emoji", STR), *DELIVERY),
    ),
    Method("getFile", "File", (req("file_id", STR),)),
    Method(
        "copyMessage",
        "MessageId",
        (
            CHAT,
            THREAD,
            req("from_chat_id", ID),
            req("message_id", INT),
            *CAPTION,
            opt("show_caption_above_media", BOOL),
            *DELIVERY,
        ),
    ),
    Method(
        "forwardMessage",
        "Message",
        (
            CHAT,
            THREAD,
            req("from_chat_id", ID),
            req("message_id", INT),
            opt("disable_notification", BOOL),
            opt("protect_content", BOOL),
        ),
    ),
    Method(
        "createForumTopic",
        "ForumTopic",
        (CHAT, req("name", STR), opt("icon_color", INT), opt("icon_custom_emoji_id", STR)),
    ),
    Method(
        "editForumTopic",
        "Boolean",
        (CHAT, TOPIC, opt("name", STR), opt("icon_custom_emoji_id", STR)),
    ),
    Method("closeForumTopic", "Boolean", (CHAT, TOPIC)),
    Method("reopenForumTopic", "Boolean", (CHAT, TOPIC)),
    Method("deleteForumTopic", "Boolean", (CHAT, TOPIC)),
    Method("getChat", "ChatFullInfo", (CHAT,)),
    Method("getChatMember", "ChatMember", (CHAT, req("user_id", INT))),
    Method("getChatAdministrators", "Array of ChatMember", (CHAT, opt("return_bots", BOOL))),
    Method("getChatMemberCount", "Integer", (CHAT,)),
    Method("leaveChat", "Boolean", (CHAT,)),
    Method(
        "banChatMember",
        "Boolean",
        (CHAT, req("user_id", INT), opt("until_date", INT), opt("revoke_messages", BOOL)),
    ),
    Method("unbanChatMember", "Boolean", (CHAT, req("user_id", INT), opt("only_if_banned", BOOL))),
    Method(
        "pinChatMessage",
        "Boolean",
        (CHAT, req("message_id", INT), opt("disable_notification", BOOL)),
    ),
    Method("unpinChatMessage", "Boolean", (CHAT, opt("message_id", INT))),
    Method("setChatMenuButton", "Boolean", (opt("chat_id", INT), opt("menu_button", OBJ))),
)

METHODS: dict[str, Method] = {method.name: method for method in _TABLE}
_BY_LOWER: dict[str, Method] = {name.lower(): method for name, method in METHODS.items()}

# Removed from the spec in Bot API 7.0 but still honoured by Telegram (aiogram can still send
# them); they are translated into reply_parameters before validation.
LEGACY_REPLY_PARAMS = ("reply_to_message_id", "allow_sending_without_reply")


def lookup(name: str) -> Method | None:
    """Telegram matches method names case-insensitively."""
    return METHODS.get(name) or _BY_LOWER.get(name.lower())
