"""Dates and times as the patient's sheet and the screening's messages write them, in the catalog's
formats for each language (preparation.toml's [formats])."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_time

from clinic.catalog.rules import text
from clinic.dates import format_day


def fmt_date(day: dt.date, language: str) -> str:
    return format_day(day, text("formats", "date", language), language)


def fmt_time(instant: dt.datetime, tz, language: str) -> str:
    return format_time(instant.astimezone(tz), text("formats", "time", language), locale=language)


def fmt_instant(instant: dt.datetime, tz, language: str) -> str:
    local = instant.astimezone(tz)
    return text("formats", "instant", language).format(date=fmt_date(local.date(), language),
                                                        time=fmt_time(local, tz, language))
