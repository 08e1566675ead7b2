"""Updates as they come in from outside, before anything else reads them: a webhook body
checked to be one the inbox can store, and a stored update decoded with what PostgreSQL cannot
hold taken out."""

from __future__ import annotations

import json
from typing import Any


class NotAnUpdateError(ValueError):
    """A webhook body that is not an update Telegram could have sent; says why in a few words,
    never quoting the body."""


# Telegram's own updates nest a dozen levels at most (a button in a keyboard in a replied-to
# message); the limit only has to stop the absurd.
MAX_DEPTH = 32
# The inbox's update_id is a signed 64-bit column; Telegram's ids are positive.
MAX_UPDATE_ID = 2**63 - 1


def update_id_of(raw: str) -> int:
    """The update_id of a posted update, after checking it is one the inbox can store and
    handle: JSON, an object, a whole number in 0..2**63-1, nested no deeper than MAX_DEPTH."""
    try:
        value = json.loads(raw)
    except RecursionError:  # the parser's own stack: past ~1000 levels
        raise NotAnUpdateError("JSON nested too deep") from None
    except ValueError:
        raise NotAnUpdateError("not JSON") from None
    if not isinstance(value, dict):
        raise NotAnUpdateError("not a JSON object")
    update_id = value.get("update_id")
    if type(update_id) is not int:  # not bool, float or str, which int() would take
        raise NotAnUpdateError("no whole-number update_id")
    if not 0 <= update_id <= MAX_UPDATE_ID:
        raise NotAnUpdateError("update_id out of range")
    if _depth(value) > MAX_DEPTH:
        raise NotAnUpdateError(f"JSON nested deeper than {MAX_DEPTH}")
    return update_id


def _depth(value: Any) -> int:
    """How deep JSON containers nest (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:  # past it the answer is known: look no deeper
            stack.extend(
                (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def decode(raw: str) -> Any:
    """A stored update as Python objects, every U+0000 in it (a key or a value, in a message,
    an edit, a caption, a button's data, a chat title: anything from outside) made U+FFFD.
    PostgreSQL text cannot hold U+0000, so a child's words holding one would be lost whole
    wherever they were stored; it means nothing to anyone, and U+FFFD is one UTF-16 unit like
    it, so the entities' offsets still hold."""
    value = json.loads(raw)
    # JSON can only spell U+0000 as this escape (a bare one is invalid): most updates skip
    # the walk.
    return _without_nul(value) if "\\u0000" in raw else value


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value
