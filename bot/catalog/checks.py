"""Content checks shared by `python -m bot i18n check`, `doctor` and the content tests."""

from __future__ import annotations

from pathlib import Path

from babel.messages.checkers import checkers

from bot.catalog.extract import extract_catalog
from bot.catalog.po import DOMAINS, po_path, read_catalog


def catalog_problems(content_dir: Path, locales: list[str]) -> list[str]:
    """Missing, fuzzy or placeholder-mismatched translations, and stale catalogs."""
    problems: list[str] = []
    for domain in DOMAINS:
        for locale in locales:
            problems += _problems(content_dir, locale, domain)
    return problems


def _problems(content_dir: Path, locale: str, domain: str) -> list[str]:
    problems: list[str] = []
    source_ids = {m.id for m in extract_catalog(content_dir, domain) if m.id}
    path = po_path(content_dir / "locales", locale, domain)
    if not path.exists():
        return [f"{locale}/{domain}: no catalog at {path}"] if source_ids else []
    catalog = read_catalog(path, locale, domain)
    ids = {m.id for m in catalog if m.id}
    problems += [f"{locale}/{domain}: not in catalog: {mid!r}" for mid in sorted(source_ids - ids)]
    for message in catalog:
        if not message.id:
            continue
        if not message.string:
            problems.append(f"{locale}/{domain}: untranslated: {message.id!r}")
        elif message.fuzzy:
            problems.append(f"{locale}/{domain}: fuzzy: {message.id!r}")
        for checker in checkers:
            try:
                checker(catalog, message)
            except Exception as exc:  # noqa: BLE001 - Babel raises TranslationError subclasses
                problems.append(f"{locale}/{domain}: {message.id!r}: {exc}")
    return problems
