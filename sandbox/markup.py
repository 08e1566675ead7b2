"""Validation of reply_markup the way Telegram checks it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sandbox.errors import bad_request

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_INLINE_EXTRAS = ("icon_custom_emoji_id", "style")
_REPLY_OPTIONS = (
    "is_persistent",
    "resize_keyboard",
    "one_time_keyboard",
    "input_field_placeholder",
    "selective",
)
MAX_BUTTONS = 100
MAX_CALLBACK_DATA = 64


@dataclass(frozen=True, slots=True)
class Markup:
    """``kind`` is inline, reply, remove or force_reply; ``data`` the normalised object."""

    kind: str
    data: dict[str, Any]


def parse_markup(value: dict[str, Any] | None, *, inline_only: bool = False) -> Markup | None:
    if value is None:
        return None
    if "inline_keyboard" in value:
        return Markup("inline", {"inline_keyboard": _inline_rows(value["inline_keyboard"])})
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        return Markup("reply", _reply_keyboard(value))
    if value.get("remove_keyboard") is True:
        return Markup("remove", {"remove_keyboard": True})
    if value.get("force_reply") is True:
        return Markup("force_reply", {"force_reply": True})
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(value: Any, what: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request(f"can't parse {what}: field must be an array of arrays")
    if sum(len(row) for row in value) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return value


def _inline_rows(value: Any) -> list[list[dict[str, Any]]]:
    return [[_inline_button(button) for button in row] for row in _rows(value, "inline keyboard")]


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: object expected")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [name for name in INLINE_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    action = actions[0]
    payload = button[action]
    if action == "callback_data":
        if not isinstance(payload, str):
            raise bad_request("BUTTON_DATA_INVALID")
        size = len(payload.encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url" and (not isinstance(payload, str) or not _valid_url(payload)):
        raise bad_request(f"inline keyboard button URL '{payload}' is invalid: Wrong HTTP URL")
    result: dict[str, Any] = {"text": text, action: payload}
    result.update({key: button[key] for key in _INLINE_EXTRAS if button.get(key) is not None})
    return result


def _valid_url(url: str) -> bool:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme == "tg":
        return bool(parts.netloc or parts.path)
    return parts.scheme in ("http", "https") and "." in parts.netloc.strip(".")


def _reply_keyboard(value: dict[str, Any]) -> dict[str, Any]:
    rows: list[list[dict[str, Any]]] = []
    for row in _rows(value["keyboard"], "keyboard"):
        buttons: list[dict[str, Any]] = []
        for button in row:
            if isinstance(button, str):
                buttons.append({"text": button})
            elif isinstance(button, dict) and isinstance(button.get("text"), str):
                buttons.append(button)
            else:
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
        rows.append(buttons)
    placeholder = value.get("input_field_placeholder")
    if isinstance(placeholder, str) and len(placeholder) > 64:
        raise bad_request("input field placeholder is too long")
    result: dict[str, Any] = {"keyboard": rows}
    result.update({key: value[key] for key in _REPLY_OPTIONS if value.get(key) is not None})
    return result


def inline_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]
