"""Physicians' working hours (per site and weekday, local time, valid from a date) and time off.

Any change that would leave active appointments outside working time is refused with them listed,
unless confirmed: then it is saved and those appointments are flagged for rescheduling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from clinic.accounts.models import Role, User
from clinic.audit.services import record
from clinic.db import utcnow
from clinic.errors import DomainError, ValidationFailed
from clinic.extensions import db
from clinic.scheduling.affected import active_appointments, settle
from clinic.scheduling.models import TimeOff, WorkingHours
from clinic.scheduling.signals import time_off_removed, working_hours_set
from clinic.sites.models import Site
from clinic.tenancy import user_visible
from clinic.timeutil import local_to_utc

Interval = tuple[dt.time, dt.time]
MAX_TIME_OFF = dt.timedelta(days=366)


def get_physician(physician_id: int) -> User:
    user = db.session.get(User, physician_id)
    if user is None or not user_visible(user) or user.role != Role.PHYSICIAN:
        raise DomainError("not_found", f"No physician with id {physician_id}.", status=404)
    return user


def physicians() -> list[User]:
    stmt = sa.select(User).where(User.role == Role.PHYSICIAN).order_by(User.active.desc(), User.name)
    return list(db.session.execute(stmt).scalars())


def hours_on(physician_id: int, site_id: int, day: dt.date) -> list[Interval]:
    """The physician's working intervals at the site on a local date, in start order."""
    return _rows_valid_on(physician_id, site_id, day, day.weekday())


def current_schedule(physician_id: int, site_id: int, day: dt.date) -> dict[int, list[Interval]]:
    """The weekly pattern in force on a date: weekday -> intervals."""
    return {weekday: _rows_valid_on(physician_id, site_id, day, weekday) for weekday in range(7)}


def _rows_valid_on(physician_id: int, site_id: int, day: dt.date, weekday: int) -> list[Interval]:
    stmt = sa.select(WorkingHours).where(
        WorkingHours.physician_id == physician_id, WorkingHours.site_id == site_id,
        WorkingHours.weekday == weekday, WorkingHours.valid_from <= day,
        sa.or_(WorkingHours.valid_until.is_(None), WorkingHours.valid_until >= day),
    )
    return sorted((r.start_time, r.end_time) for r in db.session.execute(stmt).scalars())


def check_intervals(schedule: Mapping[int, Sequence[Interval]]) -> dict[int, list[Interval]]:
    """Each interval starts before it ends; intervals of a day do not overlap (gaps are breaks)."""
    errors, clean = {}, {}
    for weekday in range(7):
        intervals = sorted(schedule.get(weekday, ()))
        for (_s1, e1), (s2, _e2) in zip(intervals, intervals[1:], strict=False):
            if s2 < e1:
                errors[f"day{weekday}"] = "Intervals of one day must not overlap."
        if any(start >= end for start, end in intervals):
            errors[f"day{weekday}"] = "Each interval must end after it starts."
        clean[weekday] = intervals
    if errors:
        raise ValidationFailed(errors)
    return clean


def _fits(appointment, site: Site, schedule: Mapping[int, list[Interval]]) -> bool:
    start = appointment.start_at.astimezone(site.tz)
    end = appointment.end_at.astimezone(site.tz)
    if end.date() != start.date() and end.time() != dt.time(0):
        return False
    end_time = end.time() if end.date() == start.date() else dt.time.max
    return any(s <= start.time() and end_time <= e for s, e in schedule.get(start.weekday(), ()))


def set_schedule(
    physician: User, site: Site, valid_from: dt.date, schedule: Mapping[int, Sequence[Interval]],
    confirm: bool = False, user_id: int | None = None, now: dt.datetime | None = None,
) -> list[WorkingHours]:
    """A new weekly pattern from a date on: earlier rows end the day before; earlier dates keep theirs."""
    if not physician.can_access_site(site.id) or physician.role != Role.PHYSICIAN:
        raise ValidationFailed({"site": "The physician does not work at this site."})
    pattern = check_intervals(schedule)
    begin = local_to_utc(valid_from, dt.time(0), site.tz)
    coming = active_appointments(physician_id=physician.id, site_id=site.id, start=begin, now=now)
    settle([a for a in coming if a.start_at >= begin and not _fits(a, site, pattern)], confirm,
           f"working hours from {valid_from.isoformat()}", user_id)
    before = current_schedule(physician.id, site.id, valid_from)
    rows = db.session.execute(sa.select(WorkingHours).where(
        WorkingHours.physician_id == physician.id, WorkingHours.site_id == site.id,
        sa.or_(WorkingHours.valid_until.is_(None), WorkingHours.valid_until >= valid_from),
    )).scalars()
    for row in rows:
        if row.valid_from >= valid_from:
            db.session.delete(row)
        else:
            row.valid_until = valid_from - dt.timedelta(days=1)
    created = [
        WorkingHours(physician_id=physician.id, site_id=site.id, weekday=weekday, start_time=start,
                     end_time=end, valid_from=valid_from, valid_until=None)
        for weekday, intervals in pattern.items() for start, end in intervals
    ]
    db.session.add_all(created)
    db.session.flush()
    record("working_hours.set", "physician", physician.id, details={
        "site": site.code, "valid_from": valid_from.isoformat(),
        "pattern": {str(d): [f"{s:%H:%M}-{e:%H:%M}" for s, e in iv] for d, iv in pattern.items() if iv},
    })
    working_hours_set.send(physician, site=site, valid_from=valid_from, before=before, after=pattern)
    return created


def add_time_off(
    physician: User, start: dt.datetime, end: dt.datetime, reason: str, site: Site | None = None,
    confirm: bool = False, user_id: int | None = None, now: dt.datetime | None = None,
) -> TimeOff:
    """An absence at one site or everywhere; refused over booked appointments unless confirmed."""
    if physician.role != Role.PHYSICIAN:
        raise DomainError("not_found", "Time off is for physicians.", status=404)
    if end <= start:
        raise ValidationFailed({"end": "The end must come after the start."})
    if end - start > MAX_TIME_OFF:
        raise ValidationFailed({"end": "Time off covers at most 366 days; enter longer absences in parts."})
    if site is not None and not physician.can_access_site(site.id):
        raise ValidationFailed({"location": "The physician does not work at this site."})
    affected = active_appointments(physician_id=physician.id, site_id=site.id if site else None,
                                   start=start, end=end, now=now)
    settle(affected, confirm, f"time off {start.isoformat()} to {end.isoformat()}", user_id)
    time_off = TimeOff(physician_id=physician.id, site_id=site.id if site else None, start_at=start,
                       end_at=end, reason=reason.strip()[:200], created_by_id=user_id)
    db.session.add(time_off)
    db.session.flush()
    record("time_off.add", "physician", physician.id, details={
        "time_off": time_off.id, "start": start.isoformat(), "end": end.isoformat(),
        "site": site.code if site else None, "appointments_flagged": [a.id for a in affected],
    })
    return time_off


def remove_time_off(physician: User, time_off_id: int) -> None:
    """Removing an absence frees time again; it strands nobody."""
    time_off = db.session.get(TimeOff, time_off_id)
    if time_off is None or time_off.physician_id != physician.id:
        raise DomainError("not_found", "No such time off for this physician.", status=404)
    record("time_off.remove", "physician", physician.id, details={
        "time_off": time_off.id, "start": time_off.start_at.isoformat(), "end": time_off.end_at.isoformat()})
    time_off_removed.send(physician, time_off=time_off)
    db.session.delete(time_off)
    db.session.flush()


def time_off_list(physician: User, since: dt.datetime | None = None) -> list[TimeOff]:
    since = since or utcnow() - dt.timedelta(days=30)
    stmt = sa.select(TimeOff).where(TimeOff.physician_id == physician.id, TimeOff.end_at > since)
    return list(db.session.execute(stmt.order_by(TimeOff.start_at)).scalars())


def time_off_between(physician_id: int, site_id: int, start: dt.datetime, end: dt.datetime) -> list[TimeOff]:
    stmt = sa.select(TimeOff).where(
        TimeOff.physician_id == physician_id, sa.or_(TimeOff.site_id.is_(None), TimeOff.site_id == site_id),
        TimeOff.start_at < end, TimeOff.end_at > start,
    )
    return list(db.session.execute(stmt.order_by(TimeOff.start_at)).scalars())
