"""Reading appointments for people: one appointment of the caller's organisations, a site's local
day; each read audited (an appointment is patient data). Writes are in services.py."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clinic.audit.services import record, record_shown
from clinic.extensions import db
from clinic.scheduling.models import Appointment
from clinic.sites.models import Site
from clinic.tenancy import get_scoped
from clinic.timeutil import local_day_bounds


def get_appointment(appointment_id: int, action: str = "appointment.read") -> Appointment | None:
    """One appointment of the caller's organisations (None otherwise, as for no such id), its read audited."""
    appt = get_scoped(Appointment, appointment_id)
    if appt is not None:
        record(action, "appointment", appt.id, appt.patient_id)
    return appt


def day_list(site: Site, day: dt.date, physician_id: int | None = None, load: tuple = ()) -> list[Appointment]:
    """A local day's appointments at a site in start order, cancelled ones included; `load` holds
    loader options (the related rows a page shows, in the same statement)."""
    start, end = local_day_bounds(day, site.tz)
    stmt = (sa.select(Appointment).where(Appointment.site_id == site.id, Appointment.start_at >= start,
                                         Appointment.start_at < end)
            .order_by(Appointment.start_at, Appointment.physician_id, Appointment.id).options(*load))
    if physician_id is not None:
        stmt = stmt.where(Appointment.physician_id == physician_id)
    appts = list(db.session.execute(stmt).scalars())
    record_shown("appointment.list", [(a.patient_id, a.id) for a in appts],
                 {"site_id": site.id, "date": day.isoformat(), "count": len(appts)})
    return appts
