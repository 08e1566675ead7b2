"""Binding method names from the table to their implementations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from sandbox.methods import METHODS
from sandbox.params import Params
from sandbox.state import BotAccount, World


@dataclass(frozen=True, slots=True)
class Options:
    callback_answer_timeout_s: float = 15.0
    url_fetch_timeout_s: float = 5.0


@dataclass
class Call:
    world: World
    bot: BotAccount
    params: Params
    options: Options = field(default_factory=Options)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    http: aiohttp.ClientSession | None = None


Handler = Callable[[Call], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    if name not in METHODS:
        raise KeyError(f"{name} is not in the method table")

    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register
