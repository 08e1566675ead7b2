"""HTML pages for the web dashboard: content/templates/dashboard/*.html, one Jinja2 environment
per locale, with the bot's own gettext catalogs (one source of translations for both)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.catalog.catalog import ContentCatalog


class HtmlPages:
    def __init__(self, catalog: ContentCatalog) -> None:
        self.catalog = catalog
        self.envs: dict[str, Environment] = {}
        for locale in catalog.locales():
            trans = catalog.translations[locale]
            env = Environment(
                # The chat templates' shared labels (helpline/_labels.j2) are found too.
                loader=FileSystemLoader(
                    [
                        catalog.content_dir / "templates" / "dashboard",
                        catalog.content_dir / "templates",
                    ]
                ),
                # Every value is escaped: codes and names come from the database.
                autoescape=True,
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                auto_reload=False,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(trans, newstyle=True)  # type: ignore[attr-defined]
            # As the extractor reads them (OPTIONS_MAP): a plain {% trans %} finds its msgid.
            env.policies["ext.i18n.trimmed"] = True
            # Content text from YAML (a directory entry's name) is English source: translate.
            env.filters["tr"] = trans.gettext
            env.globals["t"] = self._text_fn(locale)
            env.globals["locale"] = locale
            env.globals["lang"] = "zh-Hans" if locale.startswith("zh") else locale
            self.envs[locale] = env

    def _text_fn(self, locale: str) -> Any:
        def t(key: str, **data: Any) -> str:
            return self.catalog.text(key, locale, **data)

        return t

    def page(self, name: str, locale: str, data: Mapping[str, object]) -> str:
        env = self.envs.get(locale) or self.envs[self.catalog.default_locale]
        return env.get_template(f"{name}.html").render(**data)
