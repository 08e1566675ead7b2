"""What the sandbox tests share: the test bot's token, a real aiogram Bot pointed at the
sandbox, raw Bot API calls without aiogram, and a checker of JSON objects against the
official specification's types."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
BOT_USERNAME = "xinqiao_demo_bot"


def make_bot(base_url: str, token: str = TOKEN, timeout: float = 10.0) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url), timeout=timeout)
    return Bot(token, session=session)


class RawApi:
    """Calls the Bot API without aiogram, to see exactly what goes over the wire."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.session = session

    async def call(self, method: str, token: str = TOKEN, **params: Any) -> tuple[int, Any]:
        url = f"{self.base_url}/bot{token}/{method}"
        async with self.session.post(url, json=params) as resp:
            return resp.status, await resp.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.call(method, **params)
        assert status == 200 and body["ok"], body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, body = await self.call(method, **params)
        assert not body["ok"] and body["error_code"] == status, body
        return status, str(body["description"])


# Checking objects against the spec: required fields present, no unknown fields.
PRIMITIVES = {"Integer", "String", "Boolean", "True", "Float", "InputFile"}
# aiogram already requires these although the spec file does not list them yet
AHEAD_OF_SPEC = {("ChatMemberAdministrator", "can_send_welcome_messages")}
_SUBTYPE_BY = {
    "ChatMember": (
        "status",
        {
            "creator": "ChatMemberOwner",
            "administrator": "ChatMemberAdministrator",
            "member": "ChatMemberMember",
            "restricted": "ChatMemberRestricted",
            "left": "ChatMemberLeft",
            "kicked": "ChatMemberBanned",
        },
    ),
    "MessageOrigin": (
        "type",
        {
            "user": "MessageOriginUser",
            "hidden_user": "MessageOriginHiddenUser",
            "chat": "MessageOriginChat",
            "channel": "MessageOriginChannel",
        },
    ),
}


def problems(spec: dict[str, Any], value: Any, type_name: str, path: str = "$") -> list[str]:
    """Everything in ``value`` that does not match ``type_name`` in the spec."""
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {type(value).__name__}"]
        inner = type_name.removeprefix("Array of ")
        return [
            p for i, item in enumerate(value) for p in problems(spec, item, inner, f"{path}[{i}]")
        ]
    if type_name in PRIMITIVES:
        return _primitive(value, type_name, path)
    definition = spec["types"][type_name]
    if definition.get("subtypes"):
        return _union(spec, value, type_name, definition["subtypes"], path)
    if not isinstance(value, dict):
        return [f"{path}: expected {type_name} object, got {type(value).__name__}"]
    fields = {field["name"]: field for field in definition.get("fields", [])}
    found = [
        f"{path}.{name}: required by {type_name} but missing"
        for name, field in fields.items()
        if field["required"] and name not in value
    ]
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            if (type_name, key) not in AHEAD_OF_SPEC:
                found.append(f"{path}.{key}: not a field of {type_name}")
            continue
        found.extend(_alternatives(spec, item, field["types"], f"{path}.{key}"))
    return found


def _primitive(value: Any, type_name: str, path: str) -> list[str]:
    expected: dict[str, tuple[type, ...]] = {
        "Integer": (int,),
        "String": (str,),
        "Boolean": (bool,),
        "True": (bool,),
        "Float": (int, float),
        "InputFile": (str,),
    }
    ok = isinstance(value, expected[type_name])
    if type_name == "Integer" and isinstance(value, bool):
        ok = False
    return [] if ok else [f"{path}: expected {type_name}, got {value!r}"]


def _alternatives(spec: dict[str, Any], value: Any, types: list[str], path: str) -> list[str]:
    attempts = [problems(spec, value, t, path) for t in types]
    return [] if any(not a for a in attempts) else attempts[0]


def _union(
    spec: dict[str, Any], value: Any, name: str, subtypes: list[str], path: str
) -> list[str]:
    if name in _SUBTYPE_BY and isinstance(value, dict):
        key, mapping = _SUBTYPE_BY[name]
        chosen = mapping.get(str(value.get(key)))
        if chosen is None:
            return [f"{path}: unknown {name} {key} {value.get(key)!r}"]
        return problems(spec, value, chosen, path)
    if name == "MaybeInaccessibleMessage" and isinstance(value, dict):
        chosen = "InaccessibleMessage" if value.get("date") == 0 else "Message"
        return problems(spec, value, chosen, path)
    return _alternatives(spec, value, subtypes, path)


def returns(spec: dict[str, Any], method: str) -> list[str]:
    result: list[str] = spec["methods"][method]["returns"]
    return result


def assert_conforms(spec: dict[str, Any], value: Any, type_name: str) -> None:
    found = problems(spec, value, type_name)
    assert not found, "\n".join(found)
