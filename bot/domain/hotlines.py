"""Hotlines per region; the numbers and texts themselves are content."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hotline:
    number: str
    name: str
    hours: str
    note: str
    emergency: bool


class HotlineBook:
    """Hotlines per region, from content; the national list backs up any region."""

    def __init__(self, regions: dict[str, Sequence[Hotline]], default_region: str) -> None:
        self.regions = regions
        self.default_region = default_region

    def for_region(self, region: str | None) -> Sequence[Hotline]:
        return self.regions.get(region or "", self.regions[self.default_region])
