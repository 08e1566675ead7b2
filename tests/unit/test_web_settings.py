"""The web server's settings: it listens on loopback unless told otherwise, and its limits are
checked at start-up like every other key."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (
        "WEBHOOK_LISTEN",
        "WEB_HEADER_TIMEOUT_S",
        "WEB_BODY_TIMEOUT_S",
        "WEB_MAX_CONNECTIONS",
    ):
        monkeypatch.delenv(key, raising=False)


def test_the_webhook_listens_on_loopback_unless_told_otherwise() -> None:
    settings = load_settings(None)
    assert settings.webhook_listen == "127.0.0.1:8080"
    assert settings.web_header_timeout_s == 10 and settings.web_body_timeout_s == 30
    assert settings.web_max_connections == 500  # well under the usual 1,024 open files
    assert load_settings(None, webhook_listen="0.0.0.0:8443").webhook_listen == "0.0.0.0:8443"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("webhook_listen", ":8080"),  # every interface must be said: 0.0.0.0
        ("webhook_listen", "8080"),
        ("web_header_timeout_s", "0"),
        ("web_body_timeout_s", "-1"),
        ("web_max_connections", "5"),
    ],
)
def test_a_bad_web_setting_is_named(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key.upper()):
        load_settings(None, **{key: value})
