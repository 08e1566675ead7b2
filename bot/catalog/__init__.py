"""Loads content/ (strings, templates, gettext catalogs) and renders replies per locale."""

from bot.catalog.catalog import ContentCatalog, load_catalog

__all__ = ["ContentCatalog", "load_catalog"]
