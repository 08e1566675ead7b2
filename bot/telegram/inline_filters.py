"""Run the routers' synchronous filters on the event loop, not in threads.

aiogram calls every synchronous callback through `asyncio.to_thread` (CallableObject.call),
magic filters such as `F.chat.type == "private"` included: a private message crossed 13–15
thread hand-offs before reaching its handler, about a sixth of the bot's CPU per update
(bench/inbound.py). Our filters only read attributes of the update, so running them in place is
safe and cheap; a filter that does I/O must be written `async` anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject


def _inline(callable_object: CallableObject) -> bool:
    if callable_object.awaitable:
        return False
    sync: Callable[..., Any] = callable_object.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)

    # `params` stays as aiogram read it from the original signature, so the same keyword
    # arguments reach the filter.
    callable_object.callback = inline
    callable_object.awaitable = True
    return True


def run_filters_inline(root: Router) -> int:
    """Make every synchronous filter under `root` (routers included) awaitable in place;
    returns how many were changed."""
    changed = 0
    for router in root.chain_tail:
        for observer in router.observers.values():
            for handler in (observer._handler, *observer.handlers):
                for flt in handler.filters or ():
                    changed += _inline(flt)
    return changed
