"""Refresh the .pot template and merge it into every locale's .po (translators' workflow)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.catalog.extract import extract_catalog
from bot.catalog.po import DOMAIN, po_path, read_catalog

SOURCE_LOCALE = "en"


def update_catalogs(content_dir: Path, locales: list[str]) -> dict[str, int]:
    """Returns, per locale, how many messages still need a translation."""
    template = extract_catalog(content_dir)
    locales_dir = content_dir / "locales"
    with (locales_dir / f"{DOMAIN}.pot").open("wb") as fh:
        write_po(fh, template, width=99, sort_by_file=True)
    missing: dict[str, int] = {}
    for locale in locales:
        path = po_path(locales_dir, locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(path, locale) if path.exists() else Catalog(locale=locale)
        # Fuzzy guesses put one sentence's translation under another; an empty entry is safer.
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.fuzzy = False
        if locale == SOURCE_LOCALE:
            # English is the source language: its catalog starts as the source text, and
            # editors may polish the msgstr without touching the templates.
            for message in catalog:
                if message.id and (not message.string or message.fuzzy):
                    message.string = message.id
                    message.flags.discard("fuzzy")
        with path.open("wb") as fh:
            write_po(fh, catalog, width=99, sort_by_file=True, ignore_obsolete=True)
        missing[locale] = sum(1 for m in catalog if m.id and (not m.string or m.fuzzy))
    return missing
