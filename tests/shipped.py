"""What content/ ships, loaded once per test process and shared by every test that only reads it.

The bot loads its content once at start; tests did it once per module, and that was most of
the fast layer's time: the lexicon's patterns compiled six times, the .po catalogs parsed and
the templates compiled fifteen. Tests of a loader itself (a broken file named, a copy edited)
still call the loader. Mappings come back read-only, so no test can change another's content.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from content import CONTENT_DIR

if TYPE_CHECKING:
    from bot.catalog.catalog import ContentCatalog
    from bot.domain.hotlines import HotlineBook
    from bot.domain.lessons import Programme
    from bot.domain.safety_net import NetPolicy, SafetyNet
    from bot.domain.screening import Instrument
    from bot.domain.triage import Triager

LOCALES = ("zh_Hans", "en")


@cache
def catalog() -> ContentCatalog:
    """Templates and translations in both languages, Chinese by default, as the bot loads them."""
    from bot.catalog import load_catalog

    return load_catalog(CONTENT_DIR, LOCALES, "zh_Hans")


@cache
def instruments() -> Mapping[str, Instrument]:
    from bot.catalog.questionnaires import load_instruments

    return MappingProxyType(load_instruments(CONTENT_DIR))


@cache
def programmes() -> Mapping[str, Programme]:
    from bot.catalog.lessons import load_programmes

    return MappingProxyType(load_programmes(CONTENT_DIR))


@cache
def hotlines() -> HotlineBook:
    from bot.catalog.hotlines import load_hotlines

    return load_hotlines(CONTENT_DIR)


@cache
def safety_net() -> SafetyNet:
    """The lexicon, the model and the signals: what the bot classifies with."""
    from bot.catalog.triage import load_safety_net

    return load_safety_net(CONTENT_DIR)


def triager() -> Triager:
    """The lexicon alone: the one the safety net holds (load_triager makes the same)."""
    return safety_net().triager


@cache
def net_policy() -> NetPolicy:
    from bot.catalog.triage import load_net_policy

    return load_net_policy(CONTENT_DIR)
