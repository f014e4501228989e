"""Page numbers and record ids read from a page's query string, bounded before they reach a query.

A page number that is not a number, below 1 or absurdly large is page 1 or the last page a list
could have; an id that cannot name a row (not a number, or outside the 32-bit key range) names
nothing, so the filter it sets matches nothing instead of failing in the database.
"""

from __future__ import annotations

from flask import request

MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
NO_ROW = 0  # no table's key is 0: a filter on it matches nothing


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
