"""Turning a raw Bot API request into typed parameters, driven by `methods.METHODS`.

Telegram accepts the same parameters as a query string, a urlencoded or multipart form (every
value a string, JSON-typed ones as JSON text) or a JSON body (values already typed); this
module normalises all of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox.errors import bad_request
from sandbox.methods import LEGACY_REPLY_PARAMS, Kind, Method


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


_INT_RE = re.compile(r"[+-]?\d+")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


async def read_raw(request: web.Request) -> dict[str, Any]:
    """Merge the query string and the body; the body wins, as it does on Telegram."""
    raw: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return raw
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise bad_request("can't parse JSON request body") from exc
        if not isinstance(body, dict):
            raise bad_request("JSON request body must be an object")
        raw.update(body)
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await part.read()
            if part.filename is not None:
                raw[part.name] = Upload(
                    part.filename,
                    part.headers.get("Content-Type", "application/octet-stream"),
                    bytes(data),
                )
            else:
                raw[part.name] = bytes(data).decode("utf-8", errors="replace")
    elif ctype == "application/x-www-form-urlencoded":
        form = await request.post()
        raw.update({key: str(value) for key, value in form.items()})
    return raw


class Params:
    """Validated parameters with typed accessors (validation already enforced the types)."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def has(self, name: str) -> bool:
        return name in self.values

    def integer(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int)
        return value

    def opt_integer(self, name: str) -> int | None:
        return self.integer(name) if name in self.values else None

    def string(self, name: str) -> str:
        value = self.values[name]
        assert isinstance(value, str)
        return value

    def opt_string(self, name: str) -> str | None:
        return self.string(name) if name in self.values else None

    def flag(self, name: str) -> bool:
        return bool(self.values.get(name, False))

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        return float(value) if isinstance(value, int | float) else None

    def chat(self, name: str) -> int | str:
        value = self.values[name]
        assert isinstance(value, int | str)
        return value

    def opt_chat(self, name: str) -> int | str | None:
        return self.chat(name) if name in self.values else None

    def obj(self, name: str) -> dict[str, Any] | None:
        value = self.values.get(name)
        return value if isinstance(value, dict) else None

    def arr(self, name: str) -> list[Any] | None:
        value = self.values.get(name)
        return value if isinstance(value, list) else None

    def file(self, name: str) -> Upload | str | None:
        value = self.values.get(name)
        if isinstance(value, Upload | str):
            return value
        return None


def validate(method: Method, raw: dict[str, Any]) -> Params:
    raw = _apply_legacy(method, raw)
    values: dict[str, Any] = {}
    uploads = {key: value for key, value in raw.items() if isinstance(value, Upload)}
    for param in method.params:
        value = raw.get(param.name)
        # td-based Bot API servers treat an empty value exactly like an absent one
        if value is None or value == "":
            if param.required:
                raise missing(method, param.name)
            continue
        values[param.name] = _coerce(param.name, param.kind, value, uploads)
    return Params(values, uploads)


def missing(method: Method, name: str) -> Exception:
    if method.name == "sendMessage" and name == "text":
        return bad_request("message text is empty")
    return bad_request(f'parameter "{name}" is required')


def _apply_legacy(method: Method, raw: dict[str, Any]) -> dict[str, Any]:
    if method.param("reply_parameters") is None or "reply_parameters" in raw:
        return raw
    if raw.get(LEGACY_REPLY_PARAMS[0]) in (None, ""):
        return raw
    reply: dict[str, Any] = {"message_id": raw[LEGACY_REPLY_PARAMS[0]]}
    if raw.get(LEGACY_REPLY_PARAMS[1]) not in (None, ""):
        reply["allow_sending_without_reply"] = raw[LEGACY_REPLY_PARAMS[1]]
    return {**raw, "reply_parameters": reply}


def _coerce(name: str, kind: Kind, value: Any, uploads: dict[str, Upload]) -> Any:
    if kind in (Kind.JSON_OBJECT, Kind.JSON_ARRAY):
        return _json(name, kind, value)
    if kind is Kind.INPUT_FILE:
        return _input_file(name, value, uploads)
    return _SCALARS[kind](name, value)


def _int_or_string(name: str, value: Any) -> int | str:
    """A chat id: digits are an id, anything else an "@username"."""
    if isinstance(value, str) and not _INT_RE.fullmatch(value.strip()):
        return value
    return _integer(name, value)


def _float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f'parameter "{name}" must be a number') from exc


def _string(name: str, value: Any) -> str:
    # a JSON body may carry a number or a boolean where Telegram wants a string; it takes them
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise bad_request(f'parameter "{name}" must be a string')


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise bad_request(f'parameter "{name}" must be an integer')
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value)
    raise bad_request(f'parameter "{name}" must be an integer')


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise bad_request(f'parameter "{name}" must be a boolean')


_SCALARS: dict[Kind, Callable[[str, Any], Any]] = {
    Kind.INTEGER: _integer,
    Kind.INT_OR_STRING: _int_or_string,
    Kind.BOOLEAN: _boolean,
    Kind.FLOAT: _float,
    Kind.STRING: _string,
}


def _json(name: str, kind: Kind, value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise bad_request(_json_error(name)) from exc
    expected = dict if kind is Kind.JSON_OBJECT else list
    if not isinstance(value, expected):
        raise bad_request(_json_error(name))
    return value


def _json_error(name: str) -> str:
    if name == "reply_markup":
        return "can't parse reply keyboard markup JSON object"
    if name in ("entities", "caption_entities"):
        return "can't parse entities JSON object"
    return f'can\'t parse JSON in parameter "{name}"'


def _input_file(name: str, value: Any, uploads: dict[str, Upload]) -> Upload | str:
    if isinstance(value, Upload):
        return value
    if isinstance(value, str):
        if value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f'file "{value}" not found in the request')
            return upload
        return value
    raise bad_request(f'parameter "{name}" must be a file')
