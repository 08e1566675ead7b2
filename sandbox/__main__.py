"""``python -m sandbox --port 8081``: run the sandbox standalone for manual testing."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re

from sandbox.server import DEFAULT_BOTS, SandboxServer
from sandbox.webhook import WebhookUpstreams

log = logging.getLogger("sandbox")


def parse_bot(value: str) -> tuple[str, str, str]:
    token, _, rest = value.partition(",")
    username, _, first_name = rest.partition(",")
    if ":" not in token or not token.split(":", 1)[0].isdigit():
        raise argparse.ArgumentTypeError("a bot is TOKEN,username,First Name")
    return token, username or "sandbox_bot", first_name or "Sandbox Bot"


# the public URL may hold "=" in its query, so the split is at the "=" that starts an upstream
_UPSTREAMS_RE = re.compile(r"(?P<url>.+?)=(?P<upstreams>https?://.*)")


def parse_upstreams(value: str) -> tuple[str, list[str]]:
    match = _UPSTREAMS_RE.fullmatch(value)
    if match is None:
        raise argparse.ArgumentTypeError("webhook upstreams are URL=UPSTREAM,UPSTREAM,...")
    try:
        return WebhookUpstreams().set(match["url"], match["upstreams"].split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


async def serve(args: argparse.Namespace) -> None:
    server = SandboxServer(
        host=args.host,
        port=args.port,
        bots=args.bot or DEFAULT_BOTS,
        global_rate_per_s=args.global_rate,
        group_rate_per_min=args.group_rate,
        open_private_chats=args.open_chats,
        webhook_upstreams=dict(args.webhook_upstreams or ()),
    )
    async with server:
        log.info("Bot API base: %s  (tokens: %s)", server.base_url, ", ".join(server.world.bots))
        log.info("Page: %s/   Control API: %s/sandbox/", server.base_url, server.base_url)
        for url, upstreams in server.webhook_upstreams.snapshot().items():
            log.info("Webhook %s -> %s", url, ", ".join(upstreams))
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--bot", type=parse_bot, action="append", help="TOKEN,username,First Name (repeatable)"
    )
    parser.add_argument(
        "--global-rate", type=float, default=None, help="messages per second per bot before 429"
    )
    parser.add_argument(
        "--group-rate", type=int, default=None, help="messages per minute per group before 429"
    )
    parser.add_argument(
        "--open-chats",
        action="store_true",
        help="treat every positive chat id as a user who started the bot (load tests)",
    )
    parser.add_argument(
        "--webhook-upstreams",
        type=parse_upstreams,
        action="append",
        metavar="URL=UPSTREAM,UPSTREAM",
        help="deliver updates for the webhook URL round-robin to these addresses, failing over"
        " between them like a load balancer (repeatable)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
