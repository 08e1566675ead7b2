"""Refresh the .pot templates and merge them into every locale's .po (translators' workflow)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.catalog.extract import extract_catalog
from bot.catalog.po import DOMAINS, po_path, read_catalog

SOURCE_LOCALE = "en"


def update_catalogs(content_dir: Path, locales: list[str]) -> dict[str, int]:
    """Returns, per locale and domain, how many messages still need a translation."""
    missing: dict[str, int] = {}
    locales_dir = content_dir / "locales"
    for domain in DOMAINS:
        template = extract_catalog(content_dir, domain)
        with (locales_dir / f"{domain}.pot").open("wb") as fh:
            write_po(fh, template, width=99, sort_by_file=True)
        for locale in locales:
            path = po_path(locales_dir, locale, domain)
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = (
                read_catalog(path, locale, domain)
                if path.exists()
                else Catalog(locale=locale, domain=domain)
            )
            # Fuzzy guesses put one sentence's translation under another; empty is safer.
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
            catalog.fuzzy = False
            if locale == SOURCE_LOCALE:
                # English is the source language: its catalog starts as the source text, and
                # editors may polish the msgstr without touching the content files.
                for message in catalog:
                    if message.id and (not message.string or message.fuzzy):
                        message.string = message.id
                        message.flags.discard("fuzzy")
            with path.open("wb") as fh:
                write_po(fh, catalog, width=99, sort_by_file=True, ignore_obsolete=True)
            missing[f"{locale}/{domain}"] = sum(
                1 for m in catalog if m.id and (not m.string or m.fuzzy)
            )
    return missing
