"""Gettext catalogs compiled in memory at start-up, so no build step or .mo file is needed.

Two domains keep translators' work apart: `messages` (the interface: templates, strings,
hotlines) and `lessons` (the curricula under content/lessons/).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "messages"
DOMAINS = ("messages", "lessons")


def po_path(locales_dir: Path, locale: str, domain: str = DOMAIN) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(path: Path, locale: str, domain: str = DOMAIN) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain=domain)


def compile_catalog(catalog: Catalog, domain: str = DOMAIN) -> Translations:
    buf = BytesIO()
    # Fuzzy entries are drafts a translator has not confirmed; shipping them would mislead.
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=domain)


def load_translations(locales_dir: Path, locale: str) -> Translations:
    """Every domain of one locale merged into one Translations (later domains add to it)."""
    merged: Translations | None = None
    for domain in DOMAINS:
        path = po_path(locales_dir, locale, domain)
        if not path.exists():
            continue
        trans = compile_catalog(read_catalog(path, locale, domain), domain)
        if merged is None:
            merged = trans
        else:
            merged.merge(trans)
    if merged is None:
        raise FileNotFoundError(f"no catalog for locale {locale} under {locales_dir}")
    return merged
