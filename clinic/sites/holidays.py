"""The one public-holiday lookup: a site's country and subdivision, through the holidays package."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from clinic.sites.models import Site

# Holiday names in the site's language; the package falls back to its default when unsupported.
HOLIDAY_LANGUAGES = {"fr": "fr", "en": "en_US"}


@lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str | None, year: int, language: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year, language=language)


def public_holiday(site: Site, day: dt.date, language: str | None = None) -> str | None:
    """The name of the public holiday at the site's country and subdivision on that day, if any
    (in `language`, "en" or "fr", when given)."""
    return _calendar(site.country, site.subdivision, day.year, HOLIDAY_LANGUAGES.get(language or "")).get(day)


def public_holidays(site: Site, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """The site's public holidays from start to end inclusive, named in the site's language."""
    language = HOLIDAY_LANGUAGES.get(site.language)
    found: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        found.update(_calendar(site.country, site.subdivision, year, language).items())
    return {day: name for day, name in sorted(found.items()) if start <= day <= end}
