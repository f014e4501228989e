"""Changes that would strand booked appointments: find them, refuse, or flag them on confirmation.

A change to hours, time off or a site's calendar that leaves active appointments outside working
time is refused with those appointments listed (409 appointments_affected) unless the admin
confirms; then the change is saved and each appointment is flagged `needs_reschedule`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from clinic.audit.services import record, record_shown
from clinic.db import utcnow
from clinic.errors import Conflict
from clinic.extensions import db
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentChange
from clinic.scheduling.signals import appointment_needs_reschedule


class AppointmentsAffected(Conflict):
    """Booked appointments would be left outside working time by the change."""

    def __init__(self, appointments: list[Appointment]):
        self.appointments = appointments
        super().__init__(
            "appointments_affected",
            f"{len(appointments)} booked appointment(s) would be left outside working time; "
            "confirm to save and put them on the to-reschedule list.",
            {"appointments": [a.id for a in appointments]},
        )


def active_appointments(
    *,
    physician_id: int | None = None,
    site_id: int | None = None,
    room_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> list[Appointment]:
    """Active appointments overlapping [start, end) that have not ended yet, in start order."""
    now = now or utcnow()
    stmt = sa.select(Appointment).where(Appointment.status.in_(ACTIVE_STATUSES), Appointment.end_at > now)
    if physician_id is not None:
        stmt = stmt.where(Appointment.physician_id == physician_id)
    if site_id is not None:
        stmt = stmt.where(Appointment.site_id == site_id)
    if room_id is not None:
        stmt = stmt.where(Appointment.room_id == room_id)
    if start is not None:
        stmt = stmt.where(Appointment.end_at > start)
    if end is not None:
        stmt = stmt.where(Appointment.start_at < end)
    return list(db.session.execute(stmt.order_by(Appointment.start_at, Appointment.id)).scalars())


def settle(affected: Iterable[Appointment], confirm: bool, because: str, user_id: int | None = None) -> list[Appointment]:
    """Refuse when appointments are affected and the admin has not confirmed; else flag them."""
    affected = list(affected)
    if affected and not confirm:
        raise AppointmentsAffected(affected)
    for appointment in affected:
        if appointment.needs_reschedule:
            continue
        appointment.needs_reschedule = True
        db.session.add(AppointmentChange(appointment_id=appointment.id, user_id=user_id,
                                         action="needs_reschedule", note=because))
        record("appointment.needs_reschedule", "appointment", appointment.id, appointment.patient_id,
               {"because": because})
        appointment_needs_reschedule.send(appointment, because=because)
    db.session.flush()
    return affected


def audit_reads(appointments: Iterable[Appointment], action: str) -> None:
    """One audit event per patient whose appointments are shown to a user, in one statement."""
    record_shown(action, [(a.patient_id, a.id) for a in appointments])


def to_reschedule(site_ids: set[int] | None) -> list[Appointment]:
    """Active appointments flagged for rescheduling at the given sites (None: every site)."""
    stmt = sa.select(Appointment).where(Appointment.status.in_(ACTIVE_STATUSES),
                                        Appointment.needs_reschedule.is_(True))
    if site_ids is not None:
        stmt = stmt.where(Appointment.site_id.in_(site_ids or {-1}))
    return list(db.session.execute(stmt.order_by(Appointment.start_at, Appointment.id)).scalars())
