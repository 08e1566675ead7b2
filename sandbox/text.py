"""Message text as Telegram treats it: HTML parse mode, entities and UTF-16 offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_SUPPORTED = {*_SIMPLE_TAGS, "a", "span", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    name: str
    start: int
    entity: dict[str, Any] | None
    attrs: dict[str, str] = field(default_factory=dict)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip Telegram-HTML tags into plain text and entities, rejecting what Telegram rejects."""
    out: list[str] = []
    pos16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            decoded, i = _decode_entity(source, i)
            out.append(decoded)
            pos16 += utf16_len(decoded)
            continue
        if char != "<":
            out.append(char)
            pos16 += utf16_len(char)
            i += 1
            continue
        close = _find_tag_end(source, i)
        if close < 0:
            raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(source, i)}")
        inner = source[i + 1 : close]
        if inner.startswith("/"):
            _close_tag(
                source, i, inner[1:].strip().lower(), stack=stack, entities=entities, pos16=pos16
            )
        else:
            stack.append(_open_tag(source, i, inner, pos16))
        i = close + 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(out), sort_entities(entities)


def _parse_error(detail: str) -> Exception:
    return bad_request(f"can't parse entities: {detail}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int]:
    match = _ENTITY_RE.match(source, i)
    if match is None:
        return "&", i + 1
    body = match.group(1)
    if body.startswith("#x"):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    elif body.lower() in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body.lower()], match.end()
    else:
        # unknown named entities stay as literal text on Telegram
        return "&", i + 1
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "&", i + 1
    return chr(code), match.end()


def _find_tag_end(source: str, start: int) -> int:
    quote: str | None = None
    for j in range(start + 1, len(source)):
        char = source[j]
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == ">":
            return j
        elif char == "<":
            return -1
    return -1


def _open_tag(source: str, i: int, inner: str, pos16: int) -> _Open:
    match = _TAG_NAME_RE.match(inner)
    name = match.group(0).lower() if match else ""
    if name not in _SUPPORTED:
        raise _parse_error(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, i)}'
        )
    attrs: dict[str, str] = {}
    rest = inner[len(name) :]
    for attr in _ATTR_RE.finditer(rest):
        if attr.group(1):
            raw = attr.group(2) or attr.group(3) or attr.group(4) or ""
            attrs[attr.group(1).lower()] = _unescape(raw)
    entity: dict[str, Any] | None
    if name in _SIMPLE_TAGS:
        entity = {"type": _SIMPLE_TAGS[name]}
        if name == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
    elif name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise _parse_error('Tag "span" must have class "tg-spoiler"')
        entity = {"type": "spoiler"}
    elif name == "tg-emoji":
        if "emoji-id" not in attrs:
            raise _parse_error('Tag "tg-emoji" must have attribute "emoji-id"')
        entity = {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
    else:
        href = attrs.get("href")
        entity = {"type": "text_link", "url": href} if href else None
    return _Open(name, pos16, entity, attrs)


def _unescape(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&":
            decoded, i = _decode_entity(raw, i)
            out.append(decoded)
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _close_tag(
    source: str,
    i: int,
    name: str,
    *,
    stack: list[_Open],
    entities: list[dict[str, Any]],
    pos16: int,
) -> None:
    offset = _byte_offset(source, i)
    if not stack:
        raise _parse_error(f"Unexpected end tag at byte offset {offset}")
    top = stack.pop()
    if top.name != name:
        raise _parse_error(
            f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
            f'found "</{name}>"'
        )
    if top.entity is None or pos16 == top.start:
        return
    language = top.attrs.get("class", "")
    parent = stack[-1] if stack else None
    if (
        top.name == "code"
        and parent is not None
        and parent.name == "pre"
        and (language.startswith("language-") and parent.entity is not None)
    ):
        # <pre><code class="language-x"> is one pre entity carrying the language
        parent.entity["language"] = language.removeprefix("language-")
        return
    entities.append({**top.entity, "offset": top.start, "length": pos16 - top.start})


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ordered = sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    return [
        {"type": e["type"], "offset": e["offset"], "length": e["length"]}
        | {k: v for k, v in e.items() if k not in ("type", "offset", "length")}
        for e in ordered
    ]


_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]'}]", re.IGNORECASE)),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)


def auto_entities(text: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities Telegram detects on its own (commands, mentions, links) outside formatted code."""
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing
        if e["type"] in ("code", "pre", "text_link", "url", "email", "bot_command")
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(match.group(0))
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return sort_entities(existing + found)


def validate_entities(text: str, entities: list[Any]) -> list[dict[str, Any]]:
    total = utf16_len(text)
    result: list[dict[str, Any]] = []
    for entity in entities:
        if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
            raise bad_request("can't parse entities JSON object")
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request("can't parse entities JSON object")
        if length <= 0 or offset < 0 or offset >= total:
            continue
        result.append({**entity, "length": min(length, total - offset)})
    return sort_entities(result)


def render_text(
    text: str,
    *,
    parse_mode: str | None,
    explicit: list[Any] | None,
    limit: int,
    empty_error: str,
    too_long_error: str,
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode or explicit entities and Telegram's length limits."""
    mode = (parse_mode or "").strip()
    if explicit is not None:
        entities = validate_entities(text, explicit)
    elif mode.lower() == "html":
        text, entities = parse_html(text)
    elif mode.lower() in ("", "markdown", "markdownv2"):
        # Markdown modes are accepted but not parsed: a documented simplification
        entities = []
    else:
        raise bad_request(f"unsupported parse_mode {mode!r}")
    if not text.strip():
        raise bad_request(empty_error)
    # Telegram counts UTF-16 code units after entity parsing: an emoji is two.
    if utf16_len(text) > limit:
        raise bad_request(too_long_error)
    return text, auto_entities(text, entities)
