"""The week view's data: free start times per local day of a site, from the availability engine,
and for a day with none the reason, from the same data (no query more)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import gettext as _

from clinic.db import utcnow
from clinic.scheduling.availability import NoStart, UnknownProcedure, free_starts_explained
from clinic.sites.holidays import public_holiday
from clinic.sites.models import Site


@dataclass(frozen=True)
class WeekStart:
    label: str          # local wall-clock time, HH:MM
    value: str          # the instant with the site's offset, posted back when chosen
    physicians: int     # how many physicians are free then


@dataclass(frozen=True)
class WeekDay:
    day: dt.date
    starts: list[WeekStart]
    why: str = ""       # why nothing is free, for people ("" when something is)
    code: str = ""      # the reason's code (for the page's markup and the tests)


@dataclass
class Week:
    monday: dt.date
    previous: dt.date
    next: dt.date
    days: list[WeekDay]

    @property
    def empty(self) -> bool:
        return not any(d.starts for d in self.days)

    @property
    def reasons(self) -> list[str]:
        """The reasons of the week's days, each once, in the order of the days."""
        return list(dict.fromkeys(d.why for d in self.days if d.why))


def reason_text(reason: NoStart, site: Site, day: dt.date, physician_chosen: bool) -> str:
    """A day's reason in the reader's language (a holiday named in it)."""
    if reason.code == "holiday":
        name = public_holiday(site, day, str(get_locale())) or reason.name
        return _("Public holiday: %(name)s.", name=name)
    if reason.code == "closed":
        return _("The site is closed: %(reason)s.", reason=reason.name) if reason.name else _("The site is closed.")
    if reason.code == "before_notice":
        return _("Too soon: bookings are taken at least %(hours)s hours ahead.", hours=site.min_notice_hours)
    if reason.code == "beyond_horizon":
        return _("Too far ahead: bookings are taken up to %(days)s days ahead.", days=site.horizon_days)
    if reason.code == "no_room":
        return _("No room of this site has the imaging this procedure needs.")
    if reason.code == "no_physician":
        return _("This physician does not work at this site.") if physician_chosen else \
            _("No physician works at this site.")
    if reason.code == "no_hours":
        return _("No working hours on this day.")
    if reason.code == "time_off":
        return _("On time off on this day.") if physician_chosen else _("Every physician is on time off on this day.")
    return _("Fully booked.")


def week_of(site: Site, procedure_code: str, day: dt.date, physician_id: int | None = None,
            exclude_appointment_id: int | None = None) -> Week:
    """The Monday-to-Sunday week holding `day`, each day's free starts in local time."""
    if not dt.date(1900, 1, 8) <= day <= dt.date(9000, 1, 1):
        day = utcnow().astimezone(site.tz).date()   # nonsense typed or posted: the site's current week
    monday = day - dt.timedelta(days=day.weekday())
    try:
        found, why = free_starts_explained(site, procedure_code, monday, 7, physician_id,
                                           exclude_appointment_id=exclude_appointment_id)
    except UnknownProcedure:
        found, why = [], {}
    tz = site.tz
    free: dict[dt.date, list[WeekStart]] = {}
    for start in found:
        local = start.start_at.astimezone(tz)
        free.setdefault(local.date(), []).append(
            WeekStart(local.strftime("%H:%M"), local.isoformat(), len({phys for phys, _rooms in start.pairs})))
    days = []
    for offset in range(7):
        current = monday + dt.timedelta(days=offset)
        starts = free.get(current, [])
        if offset < 5 or starts:
            reason = why.get(current) if not starts else None
            days.append(WeekDay(current, starts, reason_text(reason, site, current, physician_id is not None)
                                if reason else "", reason.code if reason else ""))
    return Week(monday, monday - dt.timedelta(days=7), monday + dt.timedelta(days=7), days)
