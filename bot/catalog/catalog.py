"""The content catalog: one Jinja2 environment per locale over content/templates."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.catalog.po import load_translations
from bot.domain.replies import VERBATIM, Reply
from bot.ports import Rendered

_BLANK_RUNS = re.compile(r"\n{3,}")


class ContentError(Exception):
    """Content on disk is broken (a missing template, string or catalog)."""


class ContentCatalog:
    def __init__(self, content_dir: Path, locales: Sequence[str], default_locale: str) -> None:
        self.content_dir = content_dir
        self.default_locale = default_locale
        strings_file = content_dir / "strings.yaml"
        self.strings: dict[str, str] = yaml.safe_load(strings_file.read_text("utf-8")) or {}
        self.translations: dict[str, Translations] = {}
        self.envs: dict[str, Environment] = {}
        for locale in locales:
            try:
                trans = load_translations(content_dir / "locales", locale)
            except FileNotFoundError as exc:
                raise ContentError(str(exc)) from exc
            self.translations[locale] = trans
            env = Environment(
                loader=FileSystemLoader(content_dir / "templates"),
                # Telegram HTML: user data must never become markup.
                autoescape=select_autoescape(default=True, default_for_string=True),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=False,
                # Content is read at start-up; checking every template's file time on every
                # message costs a stat() per send for nothing.
                auto_reload=False,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(trans, newstyle=True)  # type: ignore[attr-defined]
            env.globals["t"] = self._text_fn(locale)
            # Words as someone else read them: staff see the ready reply in the language the
            # person received it in, not their own translation of it.
            env.globals["in_locale"] = self._in_locale
            self.envs[locale] = env

    def locales(self) -> Sequence[str]:
        return tuple(self.envs)

    def _locale(self, locale: str) -> str:
        return locale if locale in self.envs else self.default_locale

    def _in_locale(self, text: str, locale: str) -> str:
        return self.translations[self._locale(locale)].gettext(text)

    def _text_fn(self, locale: str) -> Any:
        def t(key: str, **data: Any) -> str:
            return self.text(key, locale, **data)

        return t

    def text(self, key: str, locale: str, **data: object) -> str:
        """A short string (button label, toast) by key, translated; data is %-formatted."""
        source = self.strings.get(key)
        if source is None:
            raise ContentError(f"unknown string key {key!r}")
        translated = self.translations[self._locale(locale)].gettext(source)
        if not data:
            return translated
        return translated % data

    def template(self, name: str, locale: str, data: Mapping[str, Any]) -> str:
        env = self.envs[self._locale(locale)]
        text = env.get_template(f"{name}.j2").render(**data)
        return _BLANK_RUNS.sub("\n\n", text).strip()

    def render(self, reply: Reply, locale: str) -> Rendered:
        if reply.template == VERBATIM:
            return Rendered(
                text=str(reply.data["text"]),
                buttons=tuple(
                    tuple((str(label), str(action), str(url)) for label, action, url in row)
                    for row in reply.data.get("buttons") or ()
                ),
            )
        text = self.template(reply.template, locale, reply.data)
        trans = self.translations[self._locale(locale)]
        buttons = tuple(
            tuple(
                (
                    # Labels may carry content text (a lesson's options): translate it too.
                    self.text(c.label, locale, **_translated(trans, c.label_data)),
                    c.action,
                    c.url,
                )
                for c in row
            )
            for row in reply.choices
        )
        return Rendered(text=text, buttons=buttons)


def _translated(trans: Translations, data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: trans.gettext(v) if isinstance(v, str) else v for k, v in data.items()}


def load_catalog(content_dir: Path, locales: Sequence[str], default_locale: str) -> ContentCatalog:
    return ContentCatalog(content_dir, locales, default_locale)
