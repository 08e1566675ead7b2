"""Fault injection and rate limiting, so bots can be tested against a misbehaving Telegram.

A rule matches a method (or "*"), optionally a chat_id and a bot id, and injects one of:

- ``429``: Too Many Requests with ``retry_after`` seconds;
- ``500``: Internal Server Error (JSON, as Telegram sends it);
- ``502``: Bad Gateway, by default as nginx's HTML page (what Telegram's frontends really
  return), or as JSON with ``"body": "json"``;
- ``400``: Bad Request, by default "message is too long" (a refusal no retry cures);
- ``403``: Forbidden, by default "bot was blocked by the user";
- ``timeout``: the server waits ``delay`` seconds before answering 504 (so a client with a
  shorter timeout gives up);
- ``drop``: the connection is closed without any response.

``rate`` (0..1) is drawn from a ``random.Random(seed)``, so runs are reproducible; ``times``
caps how often a rule fires. With ``process`` the method still takes effect and only the
response is lost, which is how duplicate sends happen in production.

The optional rate limiter answers 429 like Telegram's flood control: a global per-second limit
per bot and a per-group messages-per-minute limit, counting successful sends only.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("429", "500", "502", "400", "403", "timeout", "drop")
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
    }
)
_DESCRIPTIONS = {
    "500": "Internal Server Error",
    "502": "Bad Gateway",
    "400": "Bad Request: message is too long",
    "403": "Forbidden: bot was blocked by the user",
}


@dataclass
class FaultRule:
    kind: str
    method: str = "*"
    chat_id: int | None = None
    bot_id: int | None = None
    rate: float = 1.0
    times: int | None = None
    retry_after: int = 5
    delay: float = 30.0
    process: bool = False
    description: str | None = None
    body: str | None = None
    matched: int = 0
    injected: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        kind = str(data.get("kind", ""))
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        rate = float(data.get("rate", 1.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        times = data.get("times")
        chat_id = data.get("chat_id")
        bot_id = data.get("bot_id")
        return cls(
            kind=kind,
            method=str(data.get("method") or "*"),
            chat_id=int(chat_id) if chat_id is not None else None,
            bot_id=int(bot_id) if bot_id is not None else None,
            rate=rate,
            times=int(times) if times is not None else None,
            retry_after=int(data.get("retry_after", 5)),
            delay=float(data.get("delay", 30.0)),
            process=bool(data.get("process", False)),
            description=data.get("description"),
            body=data.get("body"),
        )

    def matches(self, method: str, chat_id: int | None, bot_id: int) -> bool:
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        if self.chat_id is not None and self.chat_id != chat_id:
            return False
        if self.bot_id is not None and self.bot_id != bot_id:
            return False
        return self.times is None or self.injected < self.times

    @property
    def status(self) -> int:
        return {"429": 429, "500": 500, "502": 502, "400": 400, "403": 403}.get(self.kind, 504)

    @property
    def error_description(self) -> str:
        if self.description:
            return self.description
        if self.kind == "429":
            return f"Too Many Requests: retry after {self.retry_after}"
        return _DESCRIPTIONS.get(self.kind, "Gateway Timeout")

    @property
    def html_body(self) -> bool:
        return (self.body or ("html" if self.kind == "502" else "json")) == "html"


@dataclass
class _Window:
    size_s: float
    limit: float
    stamps: deque[float] = field(default_factory=deque)

    def retry_after(self, now: float) -> int | None:
        while self.stamps and self.stamps[0] <= now - self.size_s:
            self.stamps.popleft()
        if len(self.stamps) < self.limit:
            return None
        return max(1, math.ceil(self.stamps[0] + self.size_s - now))


class FaultInjector:
    def __init__(
        self,
        seed: int = 0,
        global_rate_per_s: float | None = None,
        group_rate_per_min: int | None = None,
    ) -> None:
        self.seed = seed
        self.random = random.Random(seed)
        self.rules: list[FaultRule] = []
        self.global_rate_per_s = global_rate_per_s
        self.group_rate_per_min = group_rate_per_min
        self._windows: dict[tuple[str, int], _Window] = {}
        self.injected: defaultdict[str, defaultdict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self.rate_limited: defaultdict[str, int] = defaultdict(int)
        self.sent: defaultdict[str, int] = defaultdict(int)
        self.early: defaultdict[str, int] = defaultdict(int)
        self._paused: dict[tuple[int, int | None], float] = {}

    def configure(self, payload: dict[str, Any]) -> None:
        rules = [FaultRule.from_dict(item) for item in payload.get("rules", [])]
        self.rules = [*self.rules, *rules] if payload.get("append") else rules
        if "seed" in payload:
            self.seed = int(payload["seed"])
            self.random = random.Random(self.seed)
        if "global_rate_per_s" in payload:
            value = payload["global_rate_per_s"]
            self.global_rate_per_s = float(value) if value is not None else None
        if "group_rate_per_min" in payload:
            value = payload["group_rate_per_min"]
            self.group_rate_per_min = int(value) if value is not None else None
        self._windows.clear()

    def clear(self) -> None:
        self.rules.clear()
        self.random = random.Random(self.seed)
        self.global_rate_per_s = None
        self.group_rate_per_min = None
        self._windows.clear()
        self.injected.clear()
        self.rate_limited.clear()
        self.sent.clear()
        self.early.clear()
        self._paused.clear()

    def pick(self, method: str, chat_id: int | None, bot_id: int) -> FaultRule | None:
        now = time.monotonic()
        # A client that honours a 429 sends nothing more to that chat (or, for a call
        # without a chat, at all) until retry_after has passed: count the ones that do.
        scope = (bot_id, chat_id)
        if method in SEND_METHODS and now < self._paused.get(scope, 0.0):
            self.early[method] += 1
        for rule in self.rules:
            if not rule.matches(method, chat_id, bot_id):
                continue
            rule.matched += 1
            # draw only for matching rules so unrelated traffic doesn't shift the sequence
            if rule.rate >= 1.0 or self.random.random() < rule.rate:
                rule.injected += 1
                self.injected[method][rule.kind] += 1
                if rule.kind == "429":
                    self._paused[scope] = now + rule.retry_after
                return rule
        return None

    def _windows_for(self, bot_id: int, chat_id: int | None) -> list[_Window]:
        windows: list[_Window] = []
        if self.global_rate_per_s:
            windows.append(
                self._windows.setdefault(("bot", bot_id), _Window(1.0, self.global_rate_per_s))
            )
        if self.group_rate_per_min and chat_id is not None and chat_id < 0:
            windows.append(
                self._windows.setdefault(
                    ("group", chat_id), _Window(60.0, self.group_rate_per_min)
                )
            )
        return windows

    def rate_check(self, method: str, bot_id: int, chat_id: int | None) -> int | None:
        """Seconds to wait if this send would exceed a limit, else None."""
        if method not in SEND_METHODS:
            return None
        now = time.monotonic()
        waits = [w for w in (x.retry_after(now) for x in self._windows_for(bot_id, chat_id)) if w]
        if not waits:
            return None
        self.rate_limited[method] += 1
        return max(waits)

    def record_success(self, method: str, bot_id: int, chat_id: int | None) -> None:
        if method not in SEND_METHODS:
            return
        self.sent[method] += 1
        now = time.monotonic()
        for window in self._windows_for(bot_id, chat_id):
            window.stamps.append(now)

    def snapshot(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "rules": [asdict(rule) for rule in self.rules],
            "rate_limits": {
                "global_rate_per_s": self.global_rate_per_s,
                "group_rate_per_min": self.group_rate_per_min,
            },
            "counters": {
                "injected": {method: dict(kinds) for method, kinds in self.injected.items()},
                "rate_limited": dict(self.rate_limited),
                "sent": dict(self.sent),
                "early_after_429": dict(self.early),
            },
        }
