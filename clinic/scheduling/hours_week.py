"""A physician's week at a site: working hours, time off, holidays, closures and bookings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from clinic.accounts.models import User
from clinic.extensions import db
from clinic.scheduling.affected import audit_reads
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.scheduling.staffing import hours_on, time_off_between
from clinic.sites import services as site_services
from clinic.sites.holidays import public_holidays
from clinic.sites.models import Site
from clinic.timeutil import local_day_bounds


@dataclass
class Day:
    date: dt.date
    hours: list[tuple[dt.time, dt.time]]
    holiday: str | None = None
    exceptions: list = field(default_factory=list)
    time_off: list = field(default_factory=list)
    bookings: list[Appointment] = field(default_factory=list)


def week(physician: User, site: Site, monday: dt.date) -> list[Day]:
    """Seven local days from `monday` (any date is moved back to its Monday)."""
    monday -= dt.timedelta(days=monday.weekday())
    sunday = monday + dt.timedelta(days=6)
    holidays = public_holidays(site, monday, sunday)
    exceptions = site_services.calendar_exceptions(site, monday, sunday)
    start, _ = local_day_bounds(monday, site.tz)
    _, end = local_day_bounds(sunday, site.tz)
    absences = time_off_between(physician.id, site.id, start, end)
    bookings = list(db.session.execute(
        sa.select(Appointment).where(
            Appointment.physician_id == physician.id, Appointment.site_id == site.id,
            Appointment.start_at < end, Appointment.end_at > start,
            Appointment.status != AppointmentStatus.CANCELLED,
        ).order_by(Appointment.start_at)
    ).scalars())
    audit_reads(bookings, "appointment.read_in_week")
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        day_start, day_end = local_day_bounds(day, site.tz)
        days.append(Day(
            date=day,
            hours=hours_on(physician.id, site.id, day),
            holiday=holidays.get(day),
            exceptions=[e for e in exceptions if e.day == day],
            time_off=[t for t in absences if t.start_at < day_end and t.end_at > day_start],
            bookings=[b for b in bookings if day_start <= b.start_at < day_end],
        ))
    return days
