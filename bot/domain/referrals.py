"""Helpline content as values: the referral directory and canned replies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    kind: str
    name: str
    phone: str = ""
    hours: str = ""
    note: str = ""


class Directory:
    """A region's own services first, then the national ones."""

    def __init__(self, regions: Mapping[str, Sequence[Resource]], default_region: str) -> None:
        self.regions = regions
        self.default_region = default_region
        self._by_id = {r.id: r for items in regions.values() for r in items}

    def for_region(self, region: str | None) -> Sequence[Resource]:
        local = list(self.regions.get(region or "", ())) if region != self.default_region else []
        return [*local, *self.regions[self.default_region]]

    def get(self, resource_id: str) -> Resource | None:
        return self._by_id.get(resource_id)


@dataclass(frozen=True, slots=True)
class Canned:
    """A ready reply: `label` and `text` are English source, translated when rendered."""

    id: str
    label: str
    text: str
