"""Site settings, public holidays and the site's own calendar exceptions (closures, openings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

import holidays
import sqlalchemy as sa

from clinic.audit.services import record
from clinic.catalog.neutral import health_word
from clinic.db import utcnow
from clinic.errors import DomainError, ValidationFailed
from clinic.extensions import db
from clinic.sites.guard import active_appointments, settle
from clinic.sites.holidays import public_holidays
from clinic.sites.models import CalendarExceptionKind, Site, SiteCalendarException
from clinic.timeutil import local_day_bounds, local_to_utc

POLICIES = ("fr", "us")
LANGUAGES = ("fr", "en")
RANGES = {
    "turnover_minutes": (0, 240),
    "horizon_days": (1, 730),
    "min_notice_hours": (0, 720),
    "slot_interval_minutes": (5, 120),
}


@dataclass
class SiteInput:
    name: str
    address: str
    phone: str
    timezone: str
    country: str
    subdivision: str | None
    language: str
    policy: str
    turnover_minutes: int
    horizon_days: int
    min_notice_hours: int
    slot_interval_minutes: int
    quiet_start: dt.time
    quiet_end: dt.time
    mail_name: str = ""


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def supported_countries() -> dict[str, list[str]]:
    return holidays.list_supported_countries()


def check_site(data: SiteInput) -> None:
    """Name each field the zone database, the holidays package or the ranges refuse."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "A name is required."
    if data.timezone not in _timezones():
        errors["timezone"] = f"Unknown time zone {data.timezone!r} (e.g. Europe/Paris, America/Chicago)."
    countries = supported_countries()
    if data.country not in countries:
        errors["country"] = f"No public holidays known for country {data.country!r}."
    elif data.subdivision and data.subdivision not in countries[data.country]:
        errors["subdivision"] = f"{data.subdivision!r} is not a subdivision of {data.country}."
    if data.language not in LANGUAGES:
        errors["language"] = "Language must be 'fr' or 'en'."
    if data.policy not in POLICIES:
        errors["policy"] = f"Policy must be one of {', '.join(POLICIES)}."
    for name, (low, high) in RANGES.items():
        value = getattr(data, name)
        if value is None or not low <= value <= high:
            errors[name] = f"Expected a whole number from {low} to {high}."
    word = health_word(data.mail_name)
    if word:
        errors["mail_name"] = f"The name in messages must not say what patients are treated for ({word!r})."
    if data.quiet_start == data.quiet_end:
        errors["quiet_end"] = "Quiet hours must start and end at different times."
    if errors:
        raise ValidationFailed(errors)


def update_site(site: Site, data: SiteInput) -> Site:
    check_site(data)
    changes = {}
    for name, value in vars(data).items():
        if name == "subdivision":
            value = value or None
        if getattr(site, name) != value:
            changes[name] = str(value)
            setattr(site, name, value)
    db.session.flush()
    record("site.update", "site", site.id, details={"changes": changes})
    return site


def calendar_exceptions(site: Site, start: dt.date | None = None, end: dt.date | None = None):
    stmt = sa.select(SiteCalendarException).where(SiteCalendarException.site_id == site.id)
    if start is not None:
        stmt = stmt.where(SiteCalendarException.day >= start)
    if end is not None:
        stmt = stmt.where(SiteCalendarException.day <= end)
    order = (SiteCalendarException.day, SiteCalendarException.start_time)
    return list(db.session.execute(stmt.order_by(*order)).scalars())


def exception_bounds(site: Site, day: dt.date, start: dt.time | None, end: dt.time | None):
    """The UTC instants a closure covers: the whole local day, or part of it."""
    if start is None or end is None:
        return local_day_bounds(day, site.tz)
    return local_to_utc(day, start, site.tz), local_to_utc(day, end, site.tz)


def add_exception(
    site: Site, day: dt.date, kind: str, start: dt.time | None, end: dt.time | None, reason: str,
    confirm: bool = False, user_id: int | None = None, now: dt.datetime | None = None,
) -> SiteCalendarException:
    """Close the site for a day or part of one, or open it on a public holiday."""
    try:
        kind_value = CalendarExceptionKind(kind)
    except ValueError:
        raise ValidationFailed({"kind": "Expected 'closed' or 'open'."}) from None
    if (start is None) != (end is None):
        raise ValidationFailed({"end_time": "Give both times for part of a day, or neither for the whole day."})
    if start is not None and end is not None and start >= end:
        raise ValidationFailed({"end_time": "The end must come after the start."})
    if kind_value == CalendarExceptionKind.OPEN:
        if day not in public_holidays(site, day, day):
            raise ValidationFailed({"day": "The site is only opened this way on a public holiday."})
        start = end = None
    if kind_value == CalendarExceptionKind.CLOSED:
        begin, finish = exception_bounds(site, day, start, end)
        affected = active_appointments(site_id=site.id, start=begin, end=finish, now=now)
        settle(affected, confirm, f"site closed on {day.isoformat()}", user_id)
    exception = SiteCalendarException(site_id=site.id, day=day, kind=kind_value, start_time=start,
                                      end_time=end, reason=reason.strip())
    db.session.add(exception)
    db.session.flush()
    record("site.calendar_exception.add", "site", site.id,
           details={"exception": exception.id, "day": day.isoformat(), "kind": kind_value.value})
    return exception


def remove_exception(
    site: Site, exception_id: int, confirm: bool = False, user_id: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Remove a closure (never strands anyone) or an opening (re-closes a public holiday)."""
    exception = db.session.get(SiteCalendarException, exception_id)
    if exception is None or exception.site_id != site.id:
        raise DomainError("not_found", "No such calendar exception at this site.", status=404)
    if exception.kind == CalendarExceptionKind.OPEN:
        begin, finish = local_day_bounds(exception.day, site.tz)
        affected = active_appointments(site_id=site.id, start=begin, end=finish, now=now)
        settle(affected, confirm, f"public holiday {exception.day.isoformat()} closed again", user_id)
    record("site.calendar_exception.remove", "site", site.id,
           details={"exception": exception.id, "day": exception.day.isoformat(), "kind": exception.kind.value})
    db.session.delete(exception)
    db.session.flush()


def coming_calendar(site: Site, today: dt.date | None = None, days: int = 365):
    """Public holidays and the site's own exceptions from today over `days` days."""
    today = today or utcnow().astimezone(site.tz).date()
    end = today + dt.timedelta(days=days)
    return public_holidays(site, today, end), calendar_exceptions(site, today)
