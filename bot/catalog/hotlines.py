"""Load and check the hotline book, content/helpline/hotlines.yaml.

A line a child may be told to call at 3 a.m. is checked before the bot starts: its hours (as
words, and as data the bot can read), where the number comes from and when someone last
checked it. The national list must hold the emergency numbers and a line that answers round
the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.catalog.helpline import HelplineContentError
from bot.domain.hotlines import Hotline, HotlineBook, parse_open

_NUMBER = re.compile(r"^[0-9][0-9 /-]*[0-9]$")
_FIELDS = {"number", "name", "hours", "open", "days", "note", "emergency", "source", "checked"}
_REQUIRED = ("number", "name", "hours", "open", "source", "checked")


def load_hotlines(content_dir: Path, timezone: str = "Asia/Shanghai") -> HotlineBook:
    path = content_dir / "helpline" / "hotlines.yaml"
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    regions: dict[str, Sequence[Hotline]] = {}
    for region, items in (data.get("regions") or {}).items():
        lines = [_line(path.name, str(region), item) for item in items or ()]
        numbers = [h.number for h in lines]
        for n in numbers:
            if numbers.count(n) > 1:
                raise HelplineContentError(f"{path.name}: {region}: duplicate number {n!r}")
        regions[str(region)] = lines
    default = str(data.get("default_region", ""))
    national = regions.get(default)
    if not national:
        raise HelplineContentError(f"{path.name}: default region {default!r} has no lines")
    if not any(h.emergency for h in national):
        raise HelplineContentError(f"{path.name}: {default}: no emergency number (110, 120)")
    if not any(h.open_hours.always for h in national if not h.emergency):
        raise HelplineContentError(
            f"{path.name}: {default}: no line open 24h (a child at 3 a.m. needs one)"
        )
    return HotlineBook(regions, default, timezone)


def _line(file: str, region: str, item: Mapping[str, Any]) -> Hotline:
    where = f"{file}: {region}: {item.get('number', '?')}"
    unknown = set(item) - _FIELDS
    if unknown:
        raise HelplineContentError(f"{where}: unknown field(s) {sorted(unknown)}")
    for key in _REQUIRED:
        if not str(item.get(key) or "").strip():
            raise HelplineContentError(f"{where}: `{key}` is required")
    number = str(item["number"]).strip()
    if not _NUMBER.match(number):
        raise HelplineContentError(f"{where}: a number is digits, spaces, - and /")
    try:
        hours = parse_open(str(item["open"]), str(item.get("days") or ""))
    except ValueError as exc:
        raise HelplineContentError(f"{where}: {exc}") from exc
    checked = item["checked"]
    if not isinstance(checked, date):
        try:
            checked = date.fromisoformat(str(checked))
        except ValueError as exc:
            raise HelplineContentError(f"{where}: checked must be a date (2026-12-07)") from exc
    emergency = bool(item.get("emergency", False))
    if emergency and not hours.always:
        raise HelplineContentError(f"{where}: an emergency number must be open 24h")
    return Hotline(
        number=number,
        name=str(item["name"]),
        hours=str(item["hours"]),
        note=str(item.get("note") or ""),
        emergency=emergency,
        open_hours=hours,
        source=str(item["source"]),
        checked=checked,
    )
