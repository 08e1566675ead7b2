"""Content checks shared by `python -m bot i18n check`, `doctor` and the content tests."""

from __future__ import annotations

from pathlib import Path

from babel.messages.checkers import checkers

from bot.catalog.extract import extract_catalog
from bot.catalog.po import po_path, read_catalog


def catalog_problems(content_dir: Path, locales: list[str]) -> list[str]:
    """Missing, fuzzy or placeholder-mismatched translations, and stale catalogs."""
    problems: list[str] = []
    source_ids = {m.id for m in extract_catalog(content_dir) if m.id}
    for locale in locales:
        path = po_path(content_dir / "locales", locale)
        if not path.exists():
            problems.append(f"{locale}: no catalog at {path}")
            continue
        catalog = read_catalog(path, locale)
        ids = {m.id for m in catalog if m.id}
        problems += [f"{locale}: not in catalog: {mid!r}" for mid in sorted(source_ids - ids)]
        for message in catalog:
            if not message.id:
                continue
            if not message.string:
                problems.append(f"{locale}: untranslated: {message.id!r}")
            elif message.fuzzy:
                problems.append(f"{locale}: fuzzy: {message.id!r}")
            for checker in checkers:
                try:
                    checker(catalog, message)
                except Exception as exc:  # noqa: BLE001 - Babel raises TranslationError subclasses
                    problems.append(f"{locale}: {message.id!r}: {exc}")
    return problems
