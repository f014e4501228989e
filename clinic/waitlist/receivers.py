"""What frees a time, as the scheduling signals say it: a cancellation, a reschedule (its old
time), time off removed, new working hours. Each is recorded as freed slots in the same transaction,
and a booking of a waiting patient (from the list or not) closes their entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.orm.util import identity_key

from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.scheduling import signals
from clinic.scheduling.models import Appointment, AppointmentChange
from clinic.timeutil import local_date, local_to_utc
from clinic.waitlist.models import OPEN_STATUSES, EntryStatus, WaitingEntry
from clinic.waitlist.services import record_freed

Interval = tuple[dt.time, dt.time]


def on_cancelled(appointment: Appointment, reason: str | None = None, **_kw) -> None:
    record_freed(appointment.site_id, appointment.physician_id, appointment.start_at, appointment.block_end_at,
                 "cancellation")


def on_rescheduled(appointment: Appointment, old_start_at: dt.datetime, old_end_at: dt.datetime | None = None,
                   **_kw) -> None:
    change = db.session.scalar(sa.select(AppointmentChange).where(
        AppointmentChange.appointment_id == appointment.id, AppointmentChange.action == "rescheduled")
        .order_by(AppointmentChange.id.desc()).limit(1))
    physician = change.old_physician_id if change is not None else None
    turnover = dt.timedelta(minutes=appointment.site.turnover_minutes)
    if old_end_at is None:   # a sender that gave only the old start: the procedure kept its length
        old_end_at = old_start_at + (appointment.end_at - appointment.start_at)
    record_freed(appointment.site_id, physician, old_start_at, old_end_at + turnover, "reschedule")


def on_booked(appointment: Appointment, **_kw) -> None:
    """The patient's open entries for this procedure at this site are served (none are looked for
    when the booking's read of the patient found them waiting for nothing)."""
    patient = db.session.identity_map.get(identity_key(Patient, appointment.patient_id))
    if patient is not None and patient.waits is False:
        return
    entries = db.session.scalars(sa.select(WaitingEntry).where(
        WaitingEntry.patient_id == appointment.patient_id, WaitingEntry.site_id == appointment.site_id,
        WaitingEntry.procedure_code == appointment.procedure_code, WaitingEntry.status.in_(OPEN_STATUSES)))
    for entry in entries:
        entry.status, entry.appointment_id, entry.closed_at = EntryStatus.BOOKED, appointment.id, utcnow()


def on_time_off_removed(physician, time_off, **_kw) -> None:
    sites = [time_off.site_id] if time_off.site_id is not None else [s.id for s in physician.sites]
    for site_id in sites:
        record_freed(site_id, physician.id, time_off.start_at, time_off.end_at, "time_off_removed")


def _minus(intervals: Sequence[Interval], taken: Sequence[Interval]) -> list[Interval]:
    """The parts of `intervals` outside every interval of `taken`."""
    left = []
    for start, end in intervals:
        cursor = start
        for t_start, t_end in sorted(taken):
            if t_end <= cursor or t_start >= end:
                continue
            if t_start > cursor:
                left.append((cursor, t_start))
            cursor = max(cursor, t_end)
        if cursor < end:
            left.append((cursor, end))
    return left


def on_hours_set(physician, site, valid_from: dt.date, before: Mapping[int, Sequence[Interval]],
                 after: Mapping[int, Sequence[Interval]], **_kw) -> None:
    """New working time (a new day, longer hours) from `valid_from` up to the site's booking horizon."""
    added = {weekday: _minus(after.get(weekday, ()), before.get(weekday, ())) for weekday in range(7)}
    if not any(added.values()):
        return
    today = local_date(utcnow(), site.tz)
    day = max(valid_from, today)
    last = today + dt.timedelta(days=site.horizon_days)
    while day <= last:
        for start, end in added[day.weekday()]:
            record_freed(site.id, physician.id, local_to_utc(day, start, site.tz), local_to_utc(day, end, site.tz),
                         "working_hours")
        day += dt.timedelta(days=1)


def connect() -> None:
    signals.appointment_cancelled.connect(on_cancelled)
    signals.appointment_rescheduled.connect(on_rescheduled)
    signals.appointment_booked.connect(on_booked)
    signals.time_off_removed.connect(on_time_off_removed)
    signals.working_hours_set.connect(on_hours_set)
