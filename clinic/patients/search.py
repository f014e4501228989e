"""Finding a patient as the front desk types: a name without its accents, a phone number in any
common format, a birth date in ISO or in the user's own format; and the records a new registration
may duplicate."""

from __future__ import annotations

import datetime as dt
import re
from difflib import SequenceMatcher
from functools import cache

import sqlalchemy as sa
from babel.dates import get_date_format

from clinic.patients.models import Patient
from clinic.text import fold

# A phone as typed: digits with spaces, dots, dashes, slashes, brackets and a leading +.
PHONE_TYPED = re.compile(r"^\+?[\d\s().\-/]{6,30}$")
# The digits that end every form of a number (the national number without its trunk 0 or country
# code): nine for France, and the last nine of a US number's ten, which are as telling.
PHONE_TAIL = 9
# A date in the user's format: day, month and year with a four-digit year (a two-digit one is a guess).
LOCAL_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}$")
# Two names this alike (after folding) with the same birth date are likely the same person.
SIMILAR_NAMES = 0.85


def typed_date(q: str, locale: str) -> dt.date | None:
    """The birth date `q` names: ISO (1960-03-13), or the user's format (13/03/1960 in French,
    3/13/1960 in English)."""
    try:
        return dt.date.fromisoformat(q)
    except ValueError:
        pass
    if not LOCAL_DATE.match(q):
        return None
    parts = dict(zip(_date_order(locale), map(int, re.split(r"[/.\-]", q)), strict=True))
    try:
        return dt.date(parts["y"], parts["M"], parts["d"])
    except ValueError:       # 31/02, or a month past 12: not a date in this user's order
        return None


@cache
def _date_order(locale: str) -> tuple[str, ...]:
    """The order of day, month and year in the locale's short date ("dd/MM/y": d, M, y)."""
    pattern = get_date_format("short", locale=locale).pattern
    return tuple(sorted("dMy", key=pattern.index))


def phone_tail(q: str) -> str | None:
    """The digits that end the stored (E.164) number, when `q` reads as a phone number."""
    if not PHONE_TYPED.match(q):
        return None
    digits = re.sub(r"\D", "", q)
    return digits[-PHONE_TAIL:] if len(digits) >= PHONE_TAIL else None


def search_filter(q: str, locale: str) -> sa.ColumnElement[bool] | None:
    """What patients `q` finds: a birth date, a phone number, or every word in the name or e-mail."""
    q = q.strip()
    if not q:
        return None
    day = typed_date(q, locale)
    if day is not None:
        return Patient.birth_date == day
    tail = phone_tail(q)
    if tail is not None:
        return Patient.phone.like(f"%{tail}")
    clauses = []
    for word in q.split()[:4]:
        folded = fold(word)
        parts = [sa.func.lower(Patient.email).like(f"%{_like(word.lower())}%")]
        if folded:
            parts.append(Patient.search_name.like(f"%{folded}%"))   # fold leaves letters, digits and spaces
        clauses.append(sa.or_(*parts))
    return sa.and_(*clauses)


def query_kind(q: str, locale: str) -> str:
    """What a search was for, without its words: "birth_date", "phone", "words" or "none"."""
    q = q.strip()
    if not q:
        return "none"
    if typed_date(q, locale) is not None:
        return "birth_date"
    return "phone" if phone_tail(q) is not None else "words"


def _like(text: str) -> str:
    return text.replace("\\", "").replace("%", "").replace("_", "")


def similar_names(first: str, last: str, b: Patient) -> bool:
    """The same person by name, as a desk would judge: the same folded names (either order), or names
    this alike letter by letter ("Helene Dupont" and "Hélène Dupond")."""
    mine, theirs = fold(f"{first} {last}"), fold(f"{b.first_name} {b.last_name}")
    if mine == theirs or fold(f"{last} {first}") == theirs:
        return True
    return SequenceMatcher(None, mine, theirs).ratio() >= SIMILAR_NAMES
