"""The one loader of the catalog's data files (clinic/catalog/data/*.toml) and of their texts.

Clinical texts stay in the data, beside the rule and the source they belong to, in both languages:
a text is a pair, `label = { en = "...", fr = "..." }` or `message.en = "..."` with
`message.fr = "..."`, and each side may be a string, a list of lines or a table of texts. The
interface's own texts are gettext messages instead (clinic/translations).

`read` parses a file and checks every pair in it (a table with an `en` key): its French is there,
not empty and of the same kind as its English, else the file fails to load, naming the pair, at
start-up or in the tests, never half-way through a booking. `in_language` is the one way a pair is
read: the side of the language, English when that side is missing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "fr")


class CatalogError(ValueError):
    """A data file breaks its own rules."""


def read(path: Path) -> dict[str, Any]:
    """A data file, parsed, with every bilingual pair in it complete."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    _check_pairs(data, path.name)
    return data


def in_language(pair: Mapping[str, Any], language: str | None) -> Any:
    """The side of `pair` in the language; the English one when the language has none."""
    return pair.get(language or "en") or pair["en"]


def _check_pairs(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        if "en" in value:
            sides: list[Any] = [value.get(lang) for lang in LANGUAGES]
            if not all(sides) or len({type(s) for s in sides}) != 1:
                raise CatalogError(f"{where}: a text needs its English and its French ({', '.join(LANGUAGES)})")
            if isinstance(sides[0], Mapping) and len({frozenset(s) for s in sides}) != 1:
                raise CatalogError(f"{where}: the English and the French texts differ in their keys")
        for key, inner in value.items():
            _check_pairs(inner, f"{where} {key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _check_pairs(inner, f"{where} [{i}]")
