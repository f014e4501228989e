"""Counting an SMS as a phone network does: GSM 03.38 characters (the extension table's count
twice), 160 of them in one message and 153 per part of a longer one; any other character makes the
message UCS-2 (70 in one, 67 per part). Letters outside GSM 03.38 are written without their accent
first ('août' -> 'aout'), so French texts stay GSM-7."""

from __future__ import annotations

import math
import unicodedata

BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
         "abcdefghijklmnopqrstuvwxyzäöñüà")
EXTENSION = "^{}\\[~]|€\f"
_GSM = set(BASIC) | set(EXTENSION)
_SPACES = {"\u00a0": " ", "\u202f": " ", "\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-",
           "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"'}


def fold(text: str) -> str:
    """The text with each character outside GSM 03.38 replaced by its unaccented letter when that is in it."""
    out = []
    for char in text:
        char = _SPACES.get(char, char)
        if char not in _GSM:
            plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            if plain and all(c in _GSM for c in plain):
                char = plain
        out.append(char)
    return "".join(out)


def is_gsm(text: str) -> bool:
    return all(c in _GSM for c in text)


def units(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""
    if is_gsm(text):
        return sum(2 if c in EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many messages the network sends for this text."""
    n = units(text)
    single, part = (160, 153) if is_gsm(text) else (70, 67)
    return 1 if n <= single else math.ceil(n / part)
