"""What messages may say about where and what: the site's neutral mail name, and the health words
no subject, invite title or text message may carry (clinic/catalog/data/messages.toml)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache

from clinic.catalog import DATA
from clinic.catalog.bilingual import read

_NUMBER = re.compile(r"^\d+[a-zA-Z]?(\s+(bis|ter))?\s+", re.IGNORECASE)
_STREET_WORDS = ("rue", "avenue", "av.", "boulevard", "bd", "place", "quai", "allée", "impasse", "chemin",
                 "route", "cours", "passage", "square")
_POSTCODE_FR = re.compile(r"^(\d{5})\s+(.+)$")
_ZIP_US = re.compile(r"^([A-Z]{2})\s+\d{5}(-\d{4})?$")


@cache
def messages_data() -> dict:
    return read(DATA / "messages.toml")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def late_after() -> dt.timedelta:
    """How late an after-care message may still go out (messages.toml [late])."""
    return dt.timedelta(hours=messages_data()["late"]["after_hours"])


@cache
def _health_pattern() -> re.Pattern:
    words = {_fold(w) for lang in ("en", "fr") for w in messages_data()["health_words"][lang]}
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")


def health_word(text: str) -> str | None:
    """The first health word the text carries (whole words, case and accents ignored), or None."""
    found = _health_pattern().search(_fold(text or ""))
    return found.group(1) if found else None


def _street(part: str) -> str:
    street = _NUMBER.sub("", part.strip())
    first, _, rest = street.partition(" ")
    if rest and first.casefold() in _STREET_WORDS:
        street = rest
    for article in ("de la ", "du ", "des ", "de l'", "d'", "de "):
        if street.casefold().startswith(article):
            street = street[len(article):]
            break
    return street.strip()


def _city(part: str) -> str:
    part = part.strip()
    fr = _POSTCODE_FR.match(part)
    if fr:
        code, town = fr.groups()
        if town.casefold() == "paris" and code.startswith("75"):
            n = int(code[2:])
            return f"Paris {n}{'er' if n == 1 else 'e'}"
        return town
    us = _ZIP_US.match(part)
    return us.group(1) if us else part


def short_address(address: str) -> str:
    """"Rue Bachaumont, 75002 Paris" -> "Bachaumont, Paris 2e"; "Chaska, MN 55318" -> "Chaska, MN"."""
    parts = [p for p in (address or "").split(",") if p.strip()]
    if not parts:
        return ""
    out = []
    for index, part in enumerate(parts):
        looks_street = index == 0 and len(parts) > 1 and (_NUMBER.match(part.strip()) or
                                                         part.strip().split(" ")[0].casefold() in _STREET_WORDS)
        out.append(_street(part) if looks_street else _city(part))
    return ", ".join(p for p in out if p)


def mail_name(site) -> str:
    """The site's neutral name in messages: its mail_name, else its address's short form, else its code;
    never a text with a health word (falls back to the next that has none)."""
    for candidate in (getattr(site, "mail_name", "") or "", short_address(site.address or ""), site.code):
        if candidate and health_word(candidate) is None:
            return candidate
    return site.code
