"""Text as people search it: case, accents and punctuation set aside."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str | None) -> str:
    """Lower case, without accents, punctuation as spaces, spaces collapsed ("Hélène O'Brien" gives
    "helene o brien")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())
