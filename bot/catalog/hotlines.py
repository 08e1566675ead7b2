"""Load the hotline book from content/helpline/hotlines.yaml."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from bot.domain.hotlines import Hotline, HotlineBook


def load_hotlines(content_dir: Path) -> HotlineBook:
    data = yaml.safe_load((content_dir / "helpline" / "hotlines.yaml").read_text("utf-8"))
    regions: dict[str, Sequence[Hotline]] = {
        region: [
            Hotline(
                number=str(item["number"]),
                name=item["name"],
                hours=item.get("hours", ""),
                note=item.get("note", ""),
                emergency=bool(item.get("emergency", False)),
            )
            for item in items
        ]
        for region, items in data["regions"].items()
    }
    return HotlineBook(regions, data["default_region"])
