"""The control API: JSON over HTTP under ``/sandbox/``, used by the web page and by tests.

Successful calls answer the object itself; failures answer ``{"error": "..."}`` with a 4xx
status. Chats are named as the bot sees them: a group by its negative id, a private chat by
the user's id (``bot_id`` selects the bot where several share a sandbox; default: the first).

World
  GET    /sandbox/bots                         the bots (getMe objects)
  POST   /sandbox/users                        {id?, first_name, last_name?, username?,
                                                language_code?} -> User (ids from 1000001)
  GET    /sandbox/users                        all users
  POST   /sandbox/groups                       {title, is_forum?, member_ids, admin_ids?,
                                                bot_admin? = true, bot_ids?, username?} -> Chat;
                                                the first admin (or member) is the creator
  POST   /sandbox/reset                        forget users, chats, files (bots stay)
People acting (each answer carries header X-Sandbox-Seq: the event sequence after the act)
  POST   /sandbox/send                         {user_id, chat_id?, text? | photo? | sticker? |
                                                voice?, caption?, message_thread_id?,
                                                reply_to_message_id?, bot_id?} -> Message
                                                (photo may be true or base64 image data)
  POST   /sandbox/edit                         {user_id, chat_id?, message_id, text} -> Message
  POST   /sandbox/press                        {user_id, chat_id?, message_id, data}
                                                -> {callback_query_id}
  POST   /sandbox/block                        {user_id, blocked = true, bot_id?}
  POST   /sandbox/join | /sandbox/leave        {user_id, chat_id} -> service Message
Looking
  GET    /sandbox/chats                        [{chat, bot_id, members, topics}]
  GET    /sandbox/chats/{chat_id}/messages     ?thread_id= (0 = General) &since_id= &bot_id=
                                                &user_id= -> {messages, reply_keyboard};
                                                with user_id, as that user sees the chat:
                                                403 once they are not in the group
  GET    /sandbox/chats/{chat_id}/topics       [{message_thread_id, name, icon_color, closed}]
  GET    /sandbox/callback-answers/{id}        {answered, text, show_alert, url, data}
  GET    /sandbox/files/{file_id}              the file's bytes (for the page's images)
  GET    /sandbox/bot-commands                 ?language_code=&scope=&bot_id=
                                                -> {scope, language_code, commands, all};
                                                ?user_id=&chat_id= -> the menu that user sees
                                                (Telegram's scope order, their language)
  GET    /sandbox/updates                      ?bot_id= -> pending updates (not consumed)
  GET    /sandbox/events                       ?since=N&timeout=S -> {events, last_seq,
                                                truncated}; long-polls until an event > N
  GET    /sandbox/stats                        {methods: API calls per method and outcome,
                                                pending_updates, webhooks: URL per bot,
                                                webhook_upstreams: {upstream: {delivered,
                                                failed}}} (failed counts attempts)
Webhooks behind a load balancer (see sandbox.webhook)
  GET    /sandbox/webhook-upstreams            {url: [upstreams]}
  POST   /sandbox/webhook-upstreams            {url, upstreams: [http(s) URLs]} -> {url,
                                                upstreams}; updates for bots whose webhook is
                                                url go to the upstreams round-robin, on to the
                                                next one on a refused connection, timeout or 5xx
  DELETE /sandbox/webhook-upstreams            {url} -> the remaining {url: [upstreams]}
Faults (see sandbox.faults)
  GET | POST | DELETE /sandbox/faults          POST {rules: [...], append?, seed?,
                                                global_rate_per_s?, group_rate_per_min?}
Demo page
  GET | POST /sandbox/demo-config              {panes: [{title, user_id, chat_id, user_ids?}],
                                                intro}
  POST   /sandbox/demo-config/panes            {title, user_id, chat_id, user_ids?} -> the
                                                configuration with this pane added (the page
                                                opens an invitation as a new person so)
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox import actions
from sandbox.actions import ControlError
from sandbox.api_bot import scope_key, visible_commands
from sandbox.chats import Chat
from sandbox.errors import ApiError
from sandbox.files import content_type
from sandbox.messaging import topic_view
from sandbox.state import BotAccount, World

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

Route = Any


def _json(data: Any, status: int = 200, seq: int | None = None) -> web.Response:
    headers = {"X-Sandbox-Seq": str(seq)} if seq is not None else None
    return web.Response(
        text=json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json",
        headers=headers,
    )


class ControlApi:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.demo_config: dict[str, Any] | None = None

    @property
    def world(self) -> World:
        return self.server.world

    def register(self, router: web.UrlDispatcher) -> None:
        routes = [
            ("GET", "/sandbox/bots", self.bots),
            ("GET", "/sandbox/users", self.users),
            ("POST", "/sandbox/users", self.create_user),
            ("POST", "/sandbox/groups", self.create_group),
            ("POST", "/sandbox/reset", self.reset),
            ("POST", "/sandbox/send", self.send),
            ("POST", "/sandbox/edit", self.edit),
            ("POST", "/sandbox/press", self.press),
            ("POST", "/sandbox/block", self.block),
            ("POST", "/sandbox/join", self.join),
            ("POST", "/sandbox/leave", self.leave),
            ("GET", "/sandbox/chats", self.chats),
            ("GET", "/sandbox/chats/{chat_id}/messages", self.messages),
            ("GET", "/sandbox/chats/{chat_id}/topics", self.topics),
            ("GET", "/sandbox/callback-answers/{callback_id}", self.callback_answer),
            ("GET", "/sandbox/files/{file_id}", self.file),
            ("GET", "/sandbox/bot-commands", self.bot_commands),
            ("GET", "/sandbox/updates", self.updates),
            ("GET", "/sandbox/events", self.events),
            ("GET", "/sandbox/stats", self.stats),
            ("GET", "/sandbox/faults", self.faults_get),
            ("POST", "/sandbox/faults", self.faults_set),
            ("DELETE", "/sandbox/faults", self.faults_clear),
            ("GET", "/sandbox/webhook-upstreams", self.upstreams_get),
            ("POST", "/sandbox/webhook-upstreams", self.upstreams_set),
            ("DELETE", "/sandbox/webhook-upstreams", self.upstreams_remove),
            ("GET", "/sandbox/demo-config", self.demo_get),
            ("POST", "/sandbox/demo-config", self.demo_set),
            ("POST", "/sandbox/demo-config/panes", self.demo_add_pane),
        ]
        for verb, path, handler in routes:
            router.add_route(verb, path, self._guard(handler))

    @staticmethod
    def _guard(handler: Route) -> Route:
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                response: web.StreamResponse = await handler(request)
            except ControlError as exc:
                return _json({"error": exc.message}, exc.status)
            except ApiError as exc:
                return _json({"error": exc.description}, exc.code)
            except (ValueError, TypeError, KeyError) as exc:
                return _json({"error": f"bad request: {exc}"}, 400)
            return response

        return guarded

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise ControlError(400, "the body must be JSON") from exc
        if not isinstance(body, dict):
            raise ControlError(400, "the body must be a JSON object")
        return body

    def _acted(self, data: Any) -> web.Response:
        return _json(data, seq=self.world.events.seq)

    async def bots(self, request: web.Request) -> web.Response:
        return _json([bot.me() for bot in self.world.bots.values()])

    async def users(self, request: web.Request) -> web.Response:
        return _json([user.api() for user in self.world.users.values()])

    async def create_user(self, request: web.Request) -> web.Response:
        return self._acted(actions.create_user(self.world, await self._body(request)).api())

    async def create_group(self, request: web.Request) -> web.Response:
        return self._acted(actions.create_group(self.world, await self._body(request)).api())

    async def reset(self, request: web.Request) -> web.Response:
        self.world.reset()
        return self._acted({"ok": True})

    async def send(self, request: web.Request) -> web.Response:
        return self._acted(actions.send(self.world, await self._body(request)))

    async def edit(self, request: web.Request) -> web.Response:
        return self._acted(actions.edit_text(self.world, await self._body(request)))

    async def press(self, request: web.Request) -> web.Response:
        record = actions.press(self.world, await self._body(request))
        return self._acted({"callback_query_id": record.id})

    async def block(self, request: web.Request) -> web.Response:
        actions.set_blocked(self.world, await self._body(request))
        return self._acted({"ok": True})

    async def join(self, request: web.Request) -> web.Response:
        return self._acted(actions.membership(self.world, await self._body(request), True))

    async def leave(self, request: web.Request) -> web.Response:
        return self._acted(actions.membership(self.world, await self._body(request), False))

    async def chats(self, request: web.Request) -> web.Response:
        return _json(
            [
                {
                    "chat": chat.api(),
                    "bot_id": bot.id if bot else None,
                    "members": [member.api() for member in chat.members.values()],
                    "topics": [topic_view(topic) for topic in chat.topics.values()],
                    "blocked": bool(bot and chat.id in bot.blocked_by),
                }
                for bot, chat in self.world.all_chats()
            ]
        )

    def _chat(self, request: web.Request) -> Chat:
        bot_id = request.query.get("bot_id")
        try:
            return self.world.chats_of(
                int(request.match_info["chat_id"]), int(bot_id) if bot_id else None
            )
        except KeyError as exc:
            raise ControlError(404, f"no chat {request.match_info['chat_id']}") from exc

    async def messages(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        reader = request.query.get("user_id")
        if reader and chat.type != "private":
            member = chat.members.get(int(reader))
            if member is None or not member.active:
                # Someone removed from a supergroup no longer sees it, not even its history
                # (banChatMember: revoke_messages is "always True for supergroups").
                raise ControlError(403, f"user {reader} is not a member of {chat.id}")
        thread = request.query.get("thread_id", "")
        since = int(request.query.get("since_id") or 0)
        messages = [m for m in chat.view() if m["message_id"] > since]
        if thread in ("0", "general"):
            messages = [m for m in messages if "message_thread_id" not in m]
        elif thread:
            messages = [m for m in messages if m.get("message_thread_id") == int(thread)]
        return _json({"messages": messages, "reply_keyboard": chat.reply_keyboard})

    async def topics(self, request: web.Request) -> web.Response:
        return _json([topic_view(topic) for topic in self._chat(request).topics.values()])

    async def callback_answer(self, request: web.Request) -> web.Response:
        record = self.world.callbacks.get(request.match_info["callback_id"])
        if record is None:
            raise ControlError(404, "no such callback query")
        return _json(
            {
                "answered": record.answered,
                "text": record.text,
                "show_alert": record.show_alert,
                "url": record.url,
                "data": record.data,
            }
        )

    async def file(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise ControlError(404, "no such file")
        return web.Response(body=stored.data, content_type=content_type(stored))

    async def bot_commands(self, request: web.Request) -> web.Response:
        bot = actions.bot_of(self.world, dict(request.query))
        if request.query.get("user_id"):
            return _json(self._menu(bot, request))
        scope_raw = request.query.get("scope", "")
        scope = (
            scope_raw
            if scope_raw and not scope_raw.startswith("{")
            else scope_key(json.loads(scope_raw) if scope_raw else None)
        )
        language = request.query.get("language_code", "")
        return _json(
            {
                "scope": scope,
                "language_code": language,
                "commands": bot.commands.get((scope, language), []),
                "all": [
                    {"scope": s, "language_code": lc, "commands": cmds}
                    for (s, lc), cmds in bot.commands.items()
                ],
            }
        )

    def _menu(self, bot: BotAccount, request: web.Request) -> dict[str, Any]:
        user = actions.user_of(self.world, int(request.query["user_id"]))
        chat_id = int(request.query.get("chat_id") or user.id)
        member = self.world.groups[chat_id].members.get(user.id) if chat_id < 0 else None
        scope, language, commands = visible_commands(
            bot,
            chat_id,
            user.id,
            user.language_code or "",
            is_admin=member is not None and member.is_admin,
        )
        return {"scope": scope, "language_code": language, "commands": commands}

    async def updates(self, request: web.Request) -> web.Response:
        bot = actions.bot_of(self.world, dict(request.query))
        return _json(bot.updates)

    async def events(self, request: web.Request) -> web.Response:
        log = self.world.events
        since = int(request.query.get("since") or 0)
        timeout = min(float(request.query.get("timeout") or 0), 60.0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        events, truncated = log.since(since)
        while not events and not self.server.stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await log.notifier.wait(remaining)
            events, truncated = log.since(since)
        return _json({"events": events, "last_seq": log.seq, "truncated": truncated})

    async def stats(self, request: web.Request) -> web.Response:
        return _json(
            {
                "methods": {name: dict(counts) for name, counts in self.server.stats.items()},
                "pending_updates": {str(b.id): len(b.updates) for b in self.world.bots.values()},
                "webhooks": {
                    str(b.id): b.webhook.url if b.webhook else None
                    for b in self.world.bots.values()
                },
                "webhook_upstreams": self.server.webhook_upstreams.stats(),
            }
        )

    async def faults_get(self, request: web.Request) -> web.Response:
        return _json(self.server.faults.snapshot())

    async def faults_set(self, request: web.Request) -> web.Response:
        try:
            self.server.faults.configure(await self._body(request))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
        return _json(self.server.faults.snapshot())

    async def faults_clear(self, request: web.Request) -> web.Response:
        self.server.faults.clear()
        return _json(self.server.faults.snapshot())

    async def upstreams_get(self, request: web.Request) -> web.Response:
        return _json(self.server.webhook_upstreams.snapshot())

    async def upstreams_set(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            url, upstreams = self.server.webhook_upstreams.set(
                body.get("url"), body.get("upstreams")
            )
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
        return _json({"url": url, "upstreams": upstreams})

    async def upstreams_remove(self, request: web.Request) -> web.Response:
        url = (await self._body(request)).get("url")
        if not isinstance(url, str) or not url:
            raise ControlError(400, '"url" must be a non-empty string')
        if not self.server.webhook_upstreams.remove(url):
            raise ControlError(404, f"no upstreams are set for {url}")
        return _json(self.server.webhook_upstreams.snapshot())

    async def demo_get(self, request: web.Request) -> web.Response:
        return _json(self.demo_config or self._default_demo())

    async def demo_set(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if not isinstance(body.get("panes", []), list):
            raise ControlError(400, '"panes" must be a list')
        self.demo_config = {
            "panes": body.get("panes", []),
            "intro": body.get("intro", ""),
            "configured": True,
        }
        self.world.events.emit("demo_config")
        return _json(self.demo_config)

    async def demo_add_pane(self, request: web.Request) -> web.Response:
        pane = await self._body(request)
        if not isinstance(pane.get("chat_id"), int):
            raise ControlError(400, '"chat_id" must be an integer')
        config = self.demo_config or self._default_demo()
        # The rest of the configuration (the intro, anything else the page shows) stays.
        self.demo_config = {**config, "panes": [*config["panes"], pane], "configured": True}
        self.world.events.emit("demo_config")
        return _json(self.demo_config)

    def _default_demo(self) -> dict[str, Any]:
        """Without a configuration: the first two users' private chats and the first group."""
        panes: list[dict[str, Any]] = [
            {"title": user.first_name, "user_id": user.id, "chat_id": user.id}
            for user in list(self.world.users.values())[:2]
        ]
        for group in list(self.world.groups.values())[:1]:
            people = [m.user.id for m in group.members.values() if m.active and not m.user.is_bot]
            panes.append(
                {
                    "title": group.title,
                    "chat_id": group.id,
                    "user_id": people[0] if people else None,
                    "user_ids": people,
                }
            )
        return {"panes": panes, "intro": "", "configured": False}
