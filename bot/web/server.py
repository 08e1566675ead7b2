"""The web server facing the network (the webhook, health, metrics, the dashboard): aiohttp's
own, with the limits it lacks.

aiohttp waits for a request's head as long as its keep-alive timer allows (3630 s by default,
`RequestHandler.keepalive_timeout` in
https://github.com/aio-libs/aiohttp/blob/master/aiohttp/web_protocol.py), for a body as long as
the client likes, and accepts connections until the process runs out of files. Then every
accept fails, and asyncio logs each failure with a traceback, up to `backlog` of them per turn
of the loop (`_accept_connection` in
https://github.com/python/cpython/blob/3.11/Lib/asyncio/selector_events.py). Measured before
this module: 300 slow-header connections still open after 20 s (and after an hour, by that
timer), and 1,100 idle ones took a process limited to 1,024 files to 240 MB of log in a minute
while an update waited a minute in vain. Here:

- a connection that has not sent a whole request head within `head_timeout` of opening (or of
  its last response: aiohttp's keep-alive timer, set to the same) is closed;
- a request whose body has not all arrived within `body_timeout` of its head is answered 408
  and its connection closed;
- at most `max_connections` are open: one more closes the oldest connection not in the middle
  of a request (an idle or slow one; real clients send their request at once), or is refused
  with a 503 when every one is busy;
- failed accepts, and the connections closed for the reasons above, are each reported in one
  line at most every `report_every` seconds, with counts.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

try:
    import resource
except ImportError:  # pragma: no cover - Windows: no file limit to check
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# The files the rest of the process wants besides these connections: the database pool,
# Telegram's connection pool (100 in aiogram), Redis, logs, libraries.
FILES_FOR_THE_REST = 200
# A connection refused because every open one is busy with a request.
REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n"
    b"Retry-After: 1\r\n\r\n"
)


@dataclass(frozen=True, slots=True)
class WebLimits:
    head_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 500
    report_every: float = 60.0


class BodyTimeoutError(TimeoutError):
    """The request's body did not arrive in time. A TimeoutError, so that aiohttp, reading what
    is left of the body after the handler, gives up quietly and closes the connection."""


class _Tally:
    """Counts events and reports them in one line at most every `every` seconds: the first at
    once, those after it together when the interval is over."""

    def __init__(self, what: str, every: float) -> None:
        self.what = what
        self.every = every
        self.counts: dict[str, int] = {}
        self.next_at = 0.0
        self.pending: asyncio.TimerHandle | None = None

    def add(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        loop = asyncio.get_running_loop()
        if loop.time() >= self.next_at:
            self.report()
        elif self.pending is None:
            self.pending = loop.call_at(self.next_at, self.report)

    def report(self) -> None:
        self.pending = None
        if not self.counts:
            return
        said = ", ".join(f"{reason}: {n}" for reason, n in sorted(self.counts.items()))
        log.warning(
            "%s (%s); the next report in %.0f s at the soonest", self.what, said, self.every
        )
        self.counts.clear()
        self.next_at = asyncio.get_running_loop().time() + self.every


class _Connection(asyncio.Protocol):
    """One client connection: aiohttp's protocol inside, this one around it to watch the time
    and count the open ones."""

    def __init__(self, guard: _Guard) -> None:
        self.guard = guard
        self.inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self.busy = 0  # requests of this connection in a handler now
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.guard.admit(self):
            transport.write(REFUSED)
            transport.close()
            return
        # Before aiohttp's keep-alive timer, set to the same time: this one fires first and
        # counts what it closes.
        loop = asyncio.get_running_loop()
        self.head_timer = loop.call_later(self.guard.limits.head_timeout, self._head_late)
        self.inner = self.guard.factory()
        self.inner.connection_made(transport)

    def _head_late(self) -> None:
        self.head_timer = None
        if self.busy == 0 and self.transport is not None:
            self.guard.closed("no request head in time")
            self.transport.abort()

    def request_started(self) -> None:
        self.busy += 1
        if self.head_timer is not None:  # from now on aiohttp's keep-alive timer watches
            self.head_timer.cancel()
            self.head_timer = None

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.forget(self)
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        if self.inner is not None:
            self.inner.connection_lost(exc)
        self.transport = None


class _Guard:
    def __init__(self, limits: WebLimits) -> None:
        self.limits = limits
        # aiohttp's protocol factory (the runner's server), once the runner is set up.
        self.factory: Callable[[], asyncio.Protocol] = asyncio.Protocol
        # Open connections, oldest first (dicts keep insertion order).
        self.open: dict[_Connection, None] = {}
        self.by_transport: dict[asyncio.BaseTransport, _Connection] = {}
        self.tally = _Tally("web server closed connections", limits.report_every)

    def admit(self, conn: _Connection) -> bool:
        cap = self.limits.max_connections
        if len(self.open) >= cap and not self.shed(f"the oldest idle one at the cap of {cap}"):
            self.closed("refused, every connection busy")
            return False
        assert conn.transport is not None
        self.open[conn] = None
        self.by_transport[conn.transport] = conn
        return True

    def shed(self, reason: str) -> bool:
        """Close the oldest connection not in the middle of a request; False if none is."""
        idle = next((c for c in self.open if c.busy == 0), None)
        if idle is None:
            return False
        self.closed(reason)
        self.forget(idle)
        if idle.transport is not None:
            idle.transport.abort()
        return True

    def forget(self, conn: _Connection) -> None:
        self.open.pop(conn, None)
        if conn.transport is not None:
            self.by_transport.pop(conn.transport, None)

    def closed(self, reason: str) -> None:
        self.tally.add(reason)

    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        conn = self.by_transport.get(request.transport) if request.transport else None
        if conn is not None:
            conn.request_started()
        timer = None
        if not request.content.is_eof():
            timer = asyncio.get_running_loop().call_later(
                self.limits.body_timeout, self._body_late, request
            )
        try:
            return await handler(request)
        except BodyTimeoutError:
            self.closed("request body not in time")
            response = web.Response(status=408, text="request body too slow")
            response.force_close()
            return response
        finally:
            if timer is not None:
                timer.cancel()
            if conn is not None:
                conn.busy -= 1

    @staticmethod
    def _body_late(request: web.Request) -> None:
        if not request.content.is_eof():
            request.content.set_exception(BodyTimeoutError())


class GuardedSite(web.BaseSite):
    """A TCP site whose connections pass through the guard (aiohttp's TCPSite hands the
    runner's protocol factory to the loop as it is)."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, guard: _Guard, backlog: int = 128
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host = host
        self._port = port
        self._guard = guard

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()  # registers the site with the runner
        loop = asyncio.get_running_loop()
        _accept_failures(loop, self._guard.limits.report_every).guards.add(self._guard)
        self._server = await loop.create_server(
            lambda: _Connection(self._guard), self._host, self._port, backlog=self._backlog
        )

    async def stop(self) -> None:
        _accept_failures(asyncio.get_running_loop(), 0).guards.discard(self._guard)
        await super().stop()


async def serve(
    web_app: web.Application, host: str, port: int, limits: WebLimits
) -> web.AppRunner:
    """Serve `web_app` on host:port within `limits`. No access log: its lines would name chats
    and carry sign-in tokens."""
    guard = _Guard(limits)

    @web.middleware
    async def guard_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await guard.middleware(request, handler)

    # Outermost, before any middleware of the app's (aiohttp runs the first one first).
    web_app.middlewares.insert(0, guard_requests)
    runner = web.AppRunner(web_app, access_log=None, keepalive_timeout=limits.head_timeout)
    await runner.setup()
    assert runner.server is not None
    guard.factory = runner.server
    _check_file_limit(limits.max_connections)
    await GuardedSite(runner, host, port, guard).start()
    return runner


def _check_file_limit(max_connections: int) -> None:
    if resource is None:  # pragma: no cover
        return
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and max_connections + FILES_FOR_THE_REST > soft:
        log.warning(
            "up to %d web connections, but only %d open files allowed: raise the limit "
            "(LimitNOFILE in the systemd unit) or lower WEB_MAX_CONNECTIONS",
            max_connections,
            soft,
        )


def _accept_failures(loop: asyncio.AbstractEventLoop, every: float) -> _AcceptFailures:
    """The loop's exception handler, made an _AcceptFailures the first time."""
    previous = loop.get_exception_handler()
    if isinstance(previous, _AcceptFailures):
        return previous
    handler = _AcceptFailures(previous, every)
    loop.set_exception_handler(handler)
    return handler


class _AcceptFailures:
    """asyncio reports each failed accept to the loop's exception handler, which logs it with a
    traceback: thousands a second once files run out. Those become one line every `every`
    seconds with a count; everything else goes where it went before. And out of files, each
    failed accept closes the oldest idle connection, so that the next try (asyncio's, a second
    later) finds room, even when WEB_MAX_CONNECTIONS is set above what the process may open."""

    def __init__(
        self,
        previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None,
        every: float,
    ) -> None:
        self.previous = previous
        self.tally = _Tally("web server could not accept connections", every)
        self.guards: weakref.WeakSet[_Guard] = weakref.WeakSet()

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        # Out of files (EMFILE, ENFILE) or memory: asyncio's own message
        # (selector_events.BaseSelectorEventLoop._accept_connection); any other accept error
        # is raised from that callback and reported as its exception.
        if isinstance(exc, OSError) and (
            context.get("message") == "socket.accept() out of system resource"
            or "_accept_connection" in repr(context.get("handle"))
        ):
            self.tally.add(exc.strerror or type(exc).__name__)
            if exc.errno in (errno.EMFILE, errno.ENFILE):
                for guard in self.guards:
                    guard.shed("the oldest idle one, out of files")
            return
        if self.previous is not None:
            self.previous(loop, context)
        else:
            loop.default_exception_handler(context)
