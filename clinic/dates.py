"""Dates written for people, in one place: Babel's patterns, with the French ordinal of the first
day of a month ("mardi 1er avril", never "mardi 1 avril")."""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date, format_time

# A lone day-of-month field ("d", not "dd") outside quoted literals.
_DAY_FIELD = re.compile(r"(?<![d'])d(?![d'])")


def format_day(day: dt.date, pattern: str, language: str) -> str:
    """The date in the language with a Babel pattern or style ("EEEE d MMMM", "full", "long")."""
    language = language if language in ("en", "fr") else "en"
    if language == "fr" and day.day == 1:
        if pattern in ("full", "long", "medium"):
            pattern = {"full": "EEEE d MMMM y", "long": "d MMMM y", "medium": "d MMM y"}[pattern]
        if "MMM" in pattern:  # "1er avril"; a numeric date stays "01/04/2026"
            pattern = _quoted_first(pattern)
    return format_date(day, pattern, locale=language)


def _quoted_first(pattern: str) -> str:
    """The pattern with its day field as the literal '1er' (only for the first day of a month)."""
    parts = pattern.split("'")
    # Even-indexed parts are outside quotes.
    return "'".join(_DAY_FIELD.sub("'1er'", p) if i % 2 == 0 else p for i, p in enumerate(parts))


# How a day and its time read for people in each language: French as in Paris, English as in the
# United States, where the English-speaking sites are.
DAY_AND_TIME = {"fr": ("EEEE d MMMM", "HH:mm", "{day} à {time}"), "en": ("EEEE, MMMM d", "h:mm a", "{day} at {time}")}


def day_and_time(instant: dt.datetime, tz, language: str) -> str:
    """"mercredi 1er avril à 10:00" / "Wednesday, April 1 at 10:00 AM", on the site's clock."""
    language = language if language in ("en", "fr") else "en"
    day, time, both = DAY_AND_TIME[language]
    local = instant.astimezone(tz)
    return both.format(day=format_day(local.date(), day, language), time=format_time(local, time, locale=language))
