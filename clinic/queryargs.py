"""Page numbers, record ids and dates read from a page's query string, bounded before they reach a query.

A page number that is not a number, below 1 or absurdly large is page 1 or the last page a list
could have; an id that cannot name a row (not a number, or outside the 32-bit key range) names
nothing, so the filter it sets matches nothing instead of failing in the database. A date outside
MIN_DAY..MAX_DAY (9999-12-31 has no next day, 0001-01-01 no day before, and neither fits every
database's dates) is refused with 422, on pages and in the API.
"""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from clinic.errors import ValidationFailed

MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
NO_ROW = 0  # no table's key is 0: a filter on it matches nothing
MIN_DAY = dt.date(1900, 1, 1)  # the oldest birth date a patient may have
MAX_DAY = dt.date(2999, 12, 31)


def check_day(day: dt.date | None, name: str) -> dt.date | None:
    """The date, when it lies between MIN_DAY and MAX_DAY; else a 422 naming the field."""
    if day is not None and not MIN_DAY <= day <= MAX_DAY:
        raise ValidationFailed({name: f"Choose a date between {MIN_DAY.year} and {MAX_DAY.year}."})
    return day


def date_arg(name: str, lenient: bool = False) -> dt.date | None:
    """The date asked for (YYYY-MM-DD), None when absent. A date that is not one is a 422, or None
    when `lenient` (the page then shows its default day); one out of bounds is always a 422."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw) if len(raw) <= 10 else None
    except ValueError:
        day = None
    if day is None:
        if lenient:
            return None
        raise ValidationFailed({name: "Expected a date as YYYY-MM-DD."})
    return check_day(day, name)


def plausible_day(form, field) -> None:
    """A form validator: the same bounds for the dates of forms."""
    if field.data is not None and not MIN_DAY <= field.data <= MAX_DAY:
        raise ValidationError(_l("Choose a date between 1900 and 2999."))


def page_arg(name: str = "page") -> int:
    """The page asked for, from 1 to MAX_PAGE."""
    value = _int(request.args.get(name))
    return 1 if value is None or value < 1 else min(value, MAX_PAGE)


def id_arg(name: str) -> int | None:
    """The id asked for; None when the argument is absent or empty, NO_ROW when it names nothing."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = _int(raw)
    return value if value is not None and 1 <= value <= MAX_ID else NO_ROW


def _int(raw: str | None) -> int | None:
    if raw is None or len(raw) > 20:
        return None
    try:
        return int(raw)
    except ValueError:
        return None
