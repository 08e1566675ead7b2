"""Load and check the helpline content: the referral directory and the canned replies."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.domain.referrals import Canned, Directory, Resource

_ID = re.compile(r"^[a-z0-9-]{1,16}$")


class HelplineContentError(ValueError):
    pass


def load_directory(content_dir: Path) -> Directory:
    path = content_dir / "helpline" / "referrals.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    kinds = set(data.get("kinds") or ())
    regions: dict[str, list[Resource]] = {}
    seen: set[str] = set()
    for region, items in (data.get("regions") or {}).items():
        for item in items or ():
            rid = str(item.get("id", ""))
            # Ids travel in callback data (64 bytes with the rest): short and plain.
            if not _ID.match(rid):
                raise HelplineContentError(f"{path.name}: bad id {rid!r} in {region}")
            if rid in seen:
                raise HelplineContentError(f"{path.name}: duplicate id {rid!r}")
            if item.get("kind") not in kinds:
                raise HelplineContentError(
                    f"{path.name}: {rid}: unknown kind {item.get('kind')!r}"
                )
            if not str(item.get("name", "")).strip():
                raise HelplineContentError(f"{path.name}: {rid}: a name is required")
            seen.add(rid)
            regions.setdefault(region, []).append(
                Resource(
                    id=rid,
                    kind=str(item["kind"]),
                    name=str(item["name"]),
                    phone=str(item.get("phone", "")),
                    hours=str(item.get("hours", "")),
                    note=str(item.get("note", "")),
                )
            )
    default = str(data.get("default_region", ""))
    if default not in regions:
        raise HelplineContentError(f"{path.name}: default region {default!r} has no entries")
    return Directory(regions, default)


def load_canned(content_dir: Path) -> tuple[Canned, ...]:
    path = content_dir / "helpline" / "canned.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    out: list[Canned] = []
    for item in data.get("replies") or ():
        cid = str(item.get("id", ""))
        if not _ID.match(cid) or any(c.id == cid for c in out):
            raise HelplineContentError(f"{path.name}: bad or duplicate id {cid!r}")
        label, text = str(item.get("label", "")).strip(), str(item.get("text", "")).strip()
        if not label or not text or len(text) > 1000:
            raise HelplineContentError(f"{path.name}: {cid}: label and text (≤1000) required")
        out.append(Canned(cid, label, text))
    if not out:
        raise HelplineContentError(f"{path.name}: no canned replies")
    return tuple(out)
