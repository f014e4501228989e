"""Findings with their texts from the catalog (screening.toml): English message, French beside it."""

from __future__ import annotations

from clinic.catalog.rules import screening_data
from clinic.screening.results import Finding


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def finding(code: str, *, source: str | None = None, unconfirmed: bool = False, details: dict | None = None,
            **values) -> Finding:
    """A finding of this code, its texts filled with `values` (a value may be a {"en", "fr"} pair)."""
    entry = screening_data()["messages"][code]
    texts = {}
    for lang in ("en", "fr"):
        filled = _Defaulting({k: (v.get(lang, v.get("en")) if isinstance(v, dict) else v) for k, v in values.items()})
        texts[lang] = entry[lang].format_map(filled)
    src = source or entry["source"].format_map(_Defaulting(values))
    return Finding(code, texts["en"], src, unconfirmed, texts["fr"], details or {})
