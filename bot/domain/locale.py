"""Which of our locales fits a Telegram language_code."""

from __future__ import annotations

from enum import StrEnum


class Locale(StrEnum):
    ZH_HANS = "zh_Hans"
    EN = "en"

    @property
    def telegram_code(self) -> str:
        """The two-letter code Telegram's setMyCommands expects."""
        return "zh" if self is Locale.ZH_HANS else "en"


LOCALES: tuple[str, ...] = tuple(loc.value for loc in Locale)


def guess_locale(language_code: str | None, default: Locale) -> Locale:
    """Best first guess from the client's language; the person can change it with /language."""
    if not language_code:
        return default
    code = language_code.lower().replace("_", "-")
    if code == "zh" or code.startswith(("zh-hans", "zh-cn", "zh-sg", "zh-hant", "zh-tw", "zh-hk")):
        # Traditional-script readers read Simplified far better than English.
        return Locale.ZH_HANS
    if code == "en" or code.startswith("en-"):
        return Locale.EN
    return default
