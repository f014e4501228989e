"""What a person's name may hold: no control characters and none of < > " , ; @, so that a name can
never break an e-mail header, a CSV line or a list of addresses, whatever it is later put into."""

from __future__ import annotations

import unicodedata

FORBIDDEN = '<>",;@'


def name_problem(value: str) -> str | None:
    """Why this name is refused, or None when it is fine."""
    if any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in value):
        return "A name cannot hold control characters (line breaks, tabs ...)."
    if any(c in FORBIDDEN for c in value):
        return "A name cannot hold any of these characters: < > \" , ; @"
    return None
