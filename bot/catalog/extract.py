"""Message extraction for Babel: Jinja2 templates and the translatable fields of YAML content.

`python -m bot i18n update` uses it to refresh the catalogs; tests use it to check that every
source string has a translation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

# Fields in content YAML whose string values people read (and translators translate).
TRANSLATABLE_KEYS = frozenset(
    {
        "text",
        "label",
        "name",
        "note",
        "title",
        "hours",
        "question",
        "feedback",
        "goal",
        "task",
        "prompt",
        "answer",
        "summary",
        "reply",
        "messages",
        "options",
        "description",
        "advice",
        "sources",
        "credit",
    }
)

_YAML = "bot.catalog.extract:extract_yaml"
# Per domain: which files feed it. Babel takes the first pattern that matches a file.
METHOD_MAPS = {
    "messages": [
        ("lessons/**.yaml", "ignore"),
        # Risk lexicons are matched, not shown: their phrases are data, never translated.
        ("helpline/triage/**", "ignore"),
        ("templates/**.j2", "jinja2"),
        ("templates/**.html", "jinja2"),  # the web dashboard's pages
        ("**.yaml", _YAML),
    ],
    "lessons": [("lessons/**.yaml", _YAML)],
}
OPTIONS_MAP = {
    "templates/**.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
    "templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
}


def _walk(node: yaml.Node, all_strings: bool, under_key: str = "") -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.ScalarNode):
        if (
            isinstance(node.value, str)
            and node.value.strip()
            and node.tag.endswith(":str")
            and (all_strings or under_key in TRANSLATABLE_KEYS)
        ):
            yield node.start_mark.line + 1, node.value
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item, all_strings, under_key)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _walk(value, all_strings, str(key.value))


def extract_yaml(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """strings.yaml: every value; any other YAML: values under TRANSLATABLE_KEYS only."""
    name = Path(getattr(fileobj, "name", "")).name
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if root is None:
        return
    for line, text in _walk(root, all_strings=name == "strings.yaml"):
        yield line, None, text, []


def extract_catalog(content_dir: Path, domain: str = "messages") -> Catalog:
    catalog = Catalog(project="xinqiao", msgid_bugs_address="", charset="utf-8", domain=domain)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(content_dir), METHOD_MAPS[domain], OPTIONS_MAP
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog
