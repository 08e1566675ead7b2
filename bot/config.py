"""Settings from the environment and `.env`, read once at start-up and passed down.

The variable names are a public contract (see `.env.example`); keep them.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.cases import parse_duty_hours
from bot.domain.locale import Locale

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/xinqiao.db"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the key and fits on one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL connections per instance (two of them hold its locks); a fixed pool, so
    # plan max_connections >= this x instances. SQLite ignores it.
    database_pool_size: int = Field(default=20, ge=4, le=200)
    redis_url: str | None = None
    staff_chat_id: int | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_locale: Locale = Locale.ZH_HANS
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    # How long an invitation link stays valid when its creator does not say.
    invite_days: int = Field(default=14, ge=1, le=365)
    # Lessons: the slot offered first, and when nothing scheduled may arrive (local time).
    lesson_weekday: int = Field(default=6, ge=0, le=6)
    lesson_hour: int = Field(default=19, ge=0, le=23)
    quiet_hours: str = "21:30-07:00"
    # No pushes to children in school hours, Monday to Friday (equal ends: none).
    school_hours: str = "08:00-17:00"
    # Telegram's limits (docs/DOMAIN.md §6); lower them to be gentler, never raise past Telegram's.
    rate_global_per_s: float = Field(default=25.0, gt=0, le=10000)
    rate_private_per_s: float = Field(default=1.0, gt=0, le=30)
    rate_group_per_min: float = Field(default=20.0, gt=0, le=60)
    sender_concurrency: int = Field(default=8, ge=1, le=256)
    # Helpline: when counsellors work (local time), and how fast a case must be answered.
    duty_hours: str = "08:00-22:00"
    duty_days: Annotated[tuple[int, ...], NoDecode] = (0, 1, 2, 3, 4, 5, 6)
    holidays: Annotated[tuple[date, ...], NoDecode] = ()
    target_red_min: int = Field(default=5, ge=1, le=1440)
    target_orange_min: int = Field(default=15, ge=1, le=1440)
    target_yellow_min: int = Field(default=60, ge=1, le=10080)
    target_green_min: int = Field(default=1440, ge=1, le=10080)
    claimed_silence_min: int = Field(default=10, ge=1, le=1440)
    max_claims: int = Field(default=3, ge=1, le=50)
    # Webhook mode (polling when WEBHOOK_URL is unset). Telegram sends the secret in
    # X-Telegram-Bot-Api-Secret-Token; without it matching, nothing is processed.
    # Names this process in logs (several instances on one database); host:pid when unset.
    instance_name: str | None = Field(default=None, max_length=100)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Loopback: the reverse proxy in front reaches it there, nobody else should.
    webhook_listen: str = "127.0.0.1:8080"
    # The web server (webhook, health, metrics, dashboard) facing the network: how long a
    # connection may take to send a request's head and then its body, and how many may be
    # open at once (well under the usual limit of 1,024 open files; see bot/web/server.py).
    web_header_timeout_s: float = Field(default=10.0, gt=0, le=600)
    web_body_timeout_s: float = Field(default=30.0, gt=0, le=600)
    web_max_connections: int = Field(default=500, ge=10, le=1_000_000)
    # Minors' data at rest: DATA_KEY encrypts sensitive text; DATA_KEYS_OLD (comma-separated)
    # still decrypt while `python -m bot keys rotate` re-encrypts under the new key.
    data_key: SecretStr | None = None
    data_keys_old: SecretStr | None = None
    # Conversation text is purged after this many days; tiers, referrals, follow-ups stay.
    transcript_retention_days: int = Field(default=180, ge=1, le=3650)
    # The weekly digest in every staff chat: weekday (0 = Monday; empty: none) and hour, local.
    digest_weekday: int | None = Field(default=0, ge=0, le=6)
    digest_hour: int = Field(default=9, ge=0, le=23)
    # The supervisors' web dashboard: its public address (unset: no dashboard in polling mode),
    # where it listens in polling mode (webhook mode serves it beside the webhook), and how
    # long a sign-in lasts.
    dashboard_url: str | None = None
    dashboard_listen: str = "127.0.0.1:8090"
    dashboard_session_hours: int = Field(default=8, ge=1, le=72)

    @field_validator("digest_weekday", mode="before")
    @classmethod
    def _digest_weekday(cls, v: Any) -> Any:
        if v is None or str(v).strip().lower() in ("", "off", "none"):
            return None
        text = str(v).strip()
        if not text.isdecimal() or not 0 <= int(text) <= 6:
            raise ValueError("expected a weekday 0-6 (0 = Monday), or empty for no digest")
        return int(text)

    @field_validator("school_hours")
    @classmethod
    def _school_hours(cls, v: str) -> str:
        parse_duty_hours(v)
        return v

    @field_validator("duty_hours")
    @classmethod
    def _duty_hours(cls, v: str) -> str:
        parse_duty_hours(v)
        return v

    @field_validator("duty_days", mode="before")
    @classmethod
    def _duty_days(cls, v: Any) -> Any:
        if isinstance(v, str):
            days = tuple(int(x) for x in v.replace(" ", "").split(",") if x)
            if not days or not all(0 <= d <= 6 for d in days):
                raise ValueError("expected weekdays 0-6 (0 = Monday), e.g. 0,1,2,3,4")
            return days
        return v

    @field_validator("holidays", mode="before")
    @classmethod
    def _holidays(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return tuple(date.fromisoformat(x) for x in v.replace(" ", "").split(",") if x)
            except ValueError as exc:
                raise ValueError("expected dates like 2026-10-01,2026-10-02") from exc
        return v

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token(cls, v: Any) -> Any:
        if v in (None, ""):
            return None
        text = str(v).strip()
        bot_id, _, secret = text.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("expected the form 123456789:AA... as given by @BotFather")
        return text

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected an http(s) URL such as https://api.telegram.org")
        return v.strip().rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        scheme = v.strip().split("://", 1)[0]
        if "://" not in v or not scheme.startswith(("sqlite", "postgres")):
            raise ValueError("expected sqlite:///path.db or postgresql://user@host/db")
        return v.strip()

    @field_validator("dashboard_url", mode="before")
    @classmethod
    def _dashboard_url(cls, v: Any) -> Any:
        if v in (None, ""):
            return None
        text = str(v).strip().rstrip("/")
        parts = urlsplit(text)
        # The origin only: pages live under /dashboard/, and the cookie's path says so.
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise ValueError("expected an http(s) origin, no path: https://xq.example.org")
        return text

    @field_validator("dashboard_listen", "webhook_listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, sep, port = v.strip().rpartition(":")
        if not sep or not host or not port.isdecimal() or not 0 < int(port) < 65536:
            raise ValueError("expected host:port, like 127.0.0.1:8090 (0.0.0.0 for everywhere)")
        return v.strip()

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis(cls, v: Any) -> Any:
        if v in (None, ""):
            return None
        if not str(v).startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:6379/0")
        return v

    @field_validator("staff_chat_id", mode="before")
    @classmethod
    def _staff_chat(cls, v: Any) -> Any:
        if v in (None, ""):
            return None
        text = str(v).strip()
        if not text.lstrip("-").isdigit():
            raise ValueError("expected the numeric id of a supergroup, like -1001234567890")
        if not text.startswith("-"):
            raise ValueError("a group's id is negative, like -1001234567890")
        return int(text)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, v: Any) -> Any:
        if v in (None, ""):
            return ()
        if isinstance(v, list | tuple):
            return tuple(int(x) for x in v)
        items = [p.strip() for p in str(v).replace(";", ",").split(",") if p.strip()]
        if not all(p.isdigit() for p in items):
            raise ValueError("expected comma-separated Telegram user ids, like 12345,67890")
        return tuple(int(p) for p in items)

    @field_validator("default_locale", mode="before")
    @classmethod
    def _locale(cls, v: Any) -> Any:
        aliases = {"zh": "zh_Hans", "zh_hans": "zh_Hans", "zh-hans": "zh_Hans", "zh_cn": "zh_Hans"}
        return aliases.get(str(v).strip().lower(), str(v).strip())

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Asia/Shanghai") from exc
        return v.strip()

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        start, sep, end = v.partition("-")
        try:
            time.fromisoformat(start.strip())
            time.fromisoformat(end.strip())
        except ValueError:
            raise ValueError("expected HH:MM-HH:MM, like 21:30-07:00") from None
        if not sep:
            raise ValueError("expected HH:MM-HH:MM, like 21:30-07:00")
        return v.strip()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        if self.bot_token is None:
            raise ConfigError(
                "BOT_TOKEN is not set: get a token from @BotFather and put it in .env "
                "(or run `python -m bot demo`, which needs none)"
            )
        return self.bot_token.get_secret_value()


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read settings; turn pydantic's report into one line that names the key."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]).upper() if err["loc"] else "?"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{key}: {msg}") from None
