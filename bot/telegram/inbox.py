"""No update is lost: each one is stored before Telegram is told we have it, then handled from
the store.

Long polling confirms a batch of updates when it asks for the next one, and a webhook confirms
an update as soon as it is answered. aiogram's own polling asks for the next batch while the
last is still being handled, so a process killed then loses those updates, and with them a
child's message. Here the batch is committed to the `inbox` table first; only then is the next
batch asked for (or the webhook answered). Handling reads from the table, in update order, and
marks each update done; whatever a dead instance was handling is handled again (its id is on
the row: bot/services/cluster.py takes it over at start-up and whenever an instance dies).
Telegram re-delivers updates it thinks were missed, and the table is unique by `update_id`, so
a re-delivered update is stored and handled once.

While the handling loop runs, an update this instance receives is stored as already taken by it
and handled at once, with no separate claim (one transaction fewer per update); the claim loop
takes what waits in the table: updates received while stopping, retries, and a dead instance's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.ports import Clock, UnitOfWorkFactory
from bot.telegram.raw_updates import NotAnUpdateError, decode, update_id_of
from bot.web.metrics import HandlerMetrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Telegram keeps an unconfirmed update for 24 hours; ids older than that cannot come back.
KEEP_HANDLED = timedelta(days=2)

# A webhook request's updates (id, JSON) and where it waits to hear how many were new.
Arrival = tuple[Sequence[tuple[int, str]], asyncio.Future[int]]


class Inbox:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        concurrency: int = 64,
        batch: int = 100,
        max_attempts: int = 3,
        commit_window: float = 0.02,
        poll_timeout: int = 10,
        scope: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.dispatcher = dispatcher
        self.bot = bot
        self.concurrency = concurrency
        self.batch = batch
        self.max_attempts = max_attempts
        self.commit_window = commit_window
        self.poll_timeout = poll_timeout
        # One update's units of work share a connection (bot/db/uow.py).
        self.scope = scope or contextlib.nullcontext
        self.wake = asyncio.Event()
        self.owner: int | None = None  # this instance's id (bot/services/cluster.py)
        self.handled = 0
        self.metrics = HandlerMetrics()
        self._gate = asyncio.Semaphore(concurrency)
        # True while run() takes updates: only then can a received update be handled at once
        # (run() waits for the tasks it knows of when it stops).
        self._accepting = False
        self._done: list[int] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # Updates received one by one (webhook requests) waiting to be stored together.
        self._arriving: list[Arrival] = []
        self._storer: asyncio.Task[None] | None = None

    # -- receiving ----------------------------------------------------------------------------

    async def receive(self, updates: Sequence[tuple[int, str]]) -> int:
        """Store raw updates (id, JSON); returns how many were new. Raises if the database
        cannot take them: the caller must then not confirm them to Telegram. While handling
        runs, the new ones are handled at once, in update order; a full house (`concurrency`
        updates in hand) makes the caller wait, which slows Telegram's delivery instead of
        piling updates up in memory."""
        if not updates:
            return 0
        if self._accepting:
            # Group commit: what arrives while a store is under way is stored together next,
            # one transaction for many webhook requests under load, none waiting when idle.
            stored: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._arriving.append((updates, stored))
            if self._storer is None or self._storer.done():
                self._storer = asyncio.create_task(self._store_arriving())
            return await stored
        async with self.uow() as uow:
            count = await uow.inbox.store(updates, self.clock.now())
            await uow.commit()
        self.wake.set()
        return count

    async def _store_arriving(self) -> None:
        # A task of its own: a webhook request that goes away does not strand the others.
        while self._arriving:
            batch, self._arriving = self._arriving, []
            try:
                await self._store_together(batch)
            except BaseException as exc:
                # Every caller hears it and none confirms to Telegram, which sends again.
                _refuse(batch, exc)
                if not isinstance(exc, Exception):
                    raise

    async def _store_together(self, batch: list[Arrival]) -> None:
        """One transaction for the updates of several webhook requests; the new ones are
        started at once, and each request learns how many of its own were new."""
        raws: dict[int, str] = {}
        for updates, _ in batch:
            for update_id, raw in updates:
                raws.setdefault(update_id, raw)
        async with self.uow() as uow:
            new = await uow.inbox.store_handling(
                sorted(raws.items()), self.clock.now(), self.owner
            )
            await uow.commit()
        for update_id in new:
            await self._start(update_id, raws[update_id], 1)
        _count_new(batch, set(new))

    async def poll(self, stop: asyncio.Event, allowed_updates: Sequence[str]) -> None:
        """Long polling; the offset moves past a batch only once the batch is stored."""
        offset: int | None = None
        backoff = 1.0
        while not stop.is_set():
            try:
                updates = await _until(
                    stop,
                    self.bot.get_updates(
                        offset=offset,
                        timeout=self.poll_timeout,
                        allowed_updates=list(allowed_updates),
                        request_timeout=self.poll_timeout + 10,
                    ),
                )
                if updates is None:
                    return
                raws = [(u.update_id, _raw(u)) for u in updates]
                await self.receive(raws)
            except TelegramRetryAfter as exc:
                await _sleep(stop, exc.retry_after)
                continue
            except (TelegramAPIError, OSError, TimeoutError) as exc:
                # Telegram, the network or the database is down: nothing was confirmed, so
                # the same updates come again once it is back.
                log.warning("polling failed (%s); retrying in %.0f s", type(exc).__name__, backoff)
                await _sleep(stop, backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception:  # the database refused the batch: do not confirm it
                log.exception("could not store updates; retrying in %.0f s", backoff)
                await _sleep(stop, backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if updates:
                offset = updates[-1].update_id + 1

    async def webhook(self, request: web.Request, secret: str) -> web.Response:
        """One update posted by Telegram. The secret is compared in constant time; a wrong or
        missing one is refused before anything is read or stored."""
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401, text="unauthorized")
        try:
            raw = await request.text()
        except UnicodeDecodeError:
            raw = ""  # refused below, as not JSON
        try:
            update_id = update_id_of(raw)
        except NotAnUpdateError as exc:
            # One line, no traceback: whoever holds the secret and posts this gets told so.
            log.warning("refused a webhook post: %s", exc)
            return web.Response(status=400, text="not an update")
        try:
            await self.receive([(update_id, raw)])
        except Exception:  # Telegram retries a non-2xx answer: the update is not lost
            log.exception("could not store update %s", update_id)
            return web.Response(status=500, text="try again")
        return web.Response(text="ok")

    # -- handling -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Handle stored updates until `stop`, then finish the ones in hand."""
        self._accepting = True
        try:
            while not stop.is_set():
                # Cleared before the claim, not after an empty one: an update stored while
                # the claim runs sets it again, and is taken at once instead of a second later.
                self.wake.clear()
                try:
                    async with self.uow() as uow:
                        claimed = await uow.inbox.claim(self.batch, self.owner)
                        await uow.commit()
                except Exception:  # the database is away: the updates wait in it, retry
                    log.exception("could not take stored updates; retrying in 1 s")
                    await _sleep(stop, 1.0)
                    continue
                if not claimed:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            await _first(stop, self.wake)
                    continue
                for update_id, raw, attempts in claimed:
                    await self._start(update_id, raw, attempts)
        finally:
            self._accepting = False
            # A store that began before the stop still starts its updates: wait for it, and
            # for them.
            if self._storer is not None:
                with contextlib.suppress(Exception):
                    await self._storer
            while self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._flush()

    async def _start(self, update_id: int, raw: str, attempts: int) -> None:
        # Tasks start in update order, and each person's updates take their turns in that
        # order (OrderedIsolation), so a burst keeps its order.
        await self._gate.acquire()
        task = asyncio.create_task(self._handle(update_id, raw, attempts))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._gate.release())

    async def _handle(self, update_id: int, raw: str, attempts: int) -> None:
        started = time.perf_counter()
        try:
            update = Update.model_validate(decode(raw), context={"bot": self.bot})
        except ValidationError as exc:
            # It will never parse: give up at once. Not pydantic's message: it quotes the
            # input, people's words; the fields it names are enough to see what was wrong.
            fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
            log.warning(
                "update %s is not one aiogram can read (%s); giving up",
                update_id,
                ", ".join(fields[:5]),
            )
            await self._failed(update_id, "ValidationError", True, started)
            return
        try:
            async with self.scope():
                await self.dispatcher.feed_update(self.bot, update)
        except Exception as exc:  # the errors router handles most; this is what it let by
            give_up = attempts >= self.max_attempts
            log.exception(
                "update %s failed (attempt %d%s)", update_id, attempts, ", giving up" * give_up
            )
            await self._failed(update_id, type(exc).__name__, give_up, started)
            return
        self.metrics.observe(time.perf_counter() - started, ok=True)
        self.handled += 1
        self._done.append(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _failed(self, update_id: int, error: str, give_up: bool, started: float) -> None:
        self.metrics.observe(time.perf_counter() - started, ok=False)
        try:
            async with self.uow() as uow:
                await uow.inbox.failed(update_id, error, give_up)
                await uow.commit()
        except Exception:  # left as 'handling': the next start handles it again
            log.exception("could not record the failure of update %s", update_id)

    async def _flush_soon(self) -> None:
        # Many updates marked done in one transaction: one commit per update would halve
        # what SQLite can take in. Updates that finish while a flush is under way find this
        # task still running and start none of their own: loop until none are left.
        while True:
            await asyncio.sleep(self.commit_window)
            await self._flush()
            if not self._done:
                return

    async def _flush(self) -> None:
        done, self._done = self._done, []
        if not done:
            return
        try:
            async with self.uow() as uow:
                await uow.inbox.done(done, self.clock.now())
                await uow.commit()
        except Exception:  # they stay 'handling' and are handled again after a restart
            log.exception("could not mark %d updates handled", len(done))

    async def prune(self, now: object = None) -> int:
        """Ticker job: forget handled update ids Telegram can no longer re-deliver."""
        async with self.uow() as uow:
            n = await uow.inbox.prune(self.clock.now() - KEEP_HANDLED)
            await uow.commit()
        return n


def _count_new(batch: list[Arrival], fresh: set[int]) -> None:
    """Tell each waiting request how many of its updates were new; an update posted in two
    requests counts for the first one only."""
    for updates, stored in batch:
        if not stored.done():
            stored.set_result(sum(1 for i, _ in updates if i in fresh))
            fresh -= {i for i, _ in updates}


def _refuse(batch: list[Arrival], exc: BaseException) -> None:
    """The store failed (or was cancelled): every request still waiting hears it."""
    for _, stored in batch:
        if stored.done():
            continue
        if isinstance(exc, Exception):
            stored.set_exception(exc)
        else:
            stored.cancel()


def _raw(update: Update) -> str:
    # Only what Telegram sent: the defaults aiogram fills in are not JSON (Default sentinels).
    return update.model_dump_json(exclude_unset=True)


async def _until(
    stop: asyncio.Event, work: Coroutine[Any, Any, list[Update]]
) -> list[Update] | None:
    """Await `work` unless `stop` is set first (then cancel it and return None). Cancelling a
    getUpdates confirms nothing: Telegram sends the same updates to the next call."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return None


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
