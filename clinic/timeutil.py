"""Local time at a site: every rule that says 'at 09:00' means the site's own clock."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

UTC = dt.UTC


def local_to_utc(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock time. In a spring gap the time moves forward
    (fold=0 rules of zoneinfo); in an autumn overlap the first occurrence is taken."""
    local = dt.datetime.combine(day, time, tzinfo=tz)
    # Round-trip to normalise a non-existent local time (spring gap) to a real instant.
    return local.astimezone(UTC)


def to_local(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return instant.astimezone(tz)


def local_date(instant: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return instant.astimezone(tz).date()


def local_day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which a local day starts and the next one starts (23 to 25 hours apart)."""
    return local_to_utc(day, dt.time(0), tz), local_to_utc(day + dt.timedelta(days=1), dt.time(0), tz)


def parse_instant(value: str) -> dt.datetime:
    """An ISO 8601 instant with an offset, as UTC; a value without an offset is refused."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("an instant needs an offset, e.g. 2026-03-30T09:00:00+02:00")
    return parsed.astimezone(UTC)


def iso_local(instant: dt.datetime | None, tz: ZoneInfo) -> str | None:
    return None if instant is None else instant.astimezone(tz).isoformat()


@functools.lru_cache(maxsize=1 << 16)
def iso_local_at(seconds: float, tz: ZoneInfo) -> str:
    """A POSIX instant as ISO 8601 local time with its offset in the zone (what isoformat writes).
    Kept: the starts of a site's searches lie on one grid from one search to the next, and
    formatting them was most of writing a long availability answer."""
    return dt.datetime.fromtimestamp(seconds, tz).isoformat()
