"""Status changes of an appointment on the procedure day, shared by the front desk, the checklist
and the API. Each change is recorded in the appointment's history and announced by a signal."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from clinic.access import allows
from clinic.accounts.models import User
from clinic.audit.services import record
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError
from clinic.extensions import db
from clinic.labels import STATUS_LABELS
from clinic.scheduling.locks import lock_appointment
from clinic.scheduling.models import Appointment, AppointmentChange, AppointmentStatus
from clinic.scheduling.signals import appointment_status_changed
from clinic.timeutil import local_date

# Which status may follow which (anything else answers 409 invalid_state).
TRANSITIONS: dict[AppointmentStatus, set[AppointmentStatus]] = {
    AppointmentStatus.BOOKED: {AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED},
    AppointmentStatus.CHECKED_IN: {AppointmentStatus.IN_PROCEDURE, AppointmentStatus.CANCELLED},
    AppointmentStatus.IN_PROCEDURE: {AppointmentStatus.COMPLETED},
    AppointmentStatus.COMPLETED: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.NO_SHOW: {AppointmentStatus.BOOKED},    # undone on the same local day only
}


def change_status(
    appointment: Appointment, new: AppointmentStatus, user: User | None, note: str = ""
) -> Appointment:
    old = appointment.status
    if new not in TRANSITIONS[old]:
        raise Conflict("invalid_state", _l("The appointment is “%(old)s”: it cannot become “%(new)s”.",
                                              old=STATUS_LABELS[old.value], new=STATUS_LABELS[new.value]),
                       {"status": old.value})
    lock_appointment(appointment)  # 409 conflict_retry if a rival change of it committed meanwhile
    appointment.status = new
    db.session.add(AppointmentChange(appointment_id=appointment.id, user_id=user.id if user else None,
                                     action=f"status:{new.value}", note=note))
    db.session.flush()
    record(f"appointment.{new.value}", "appointment", appointment.id, appointment.patient_id)
    appointment_status_changed.send(appointment, old_status=old, new_status=new)
    return appointment


def check_in(appointment: Appointment, user: User, now: dt.datetime | None = None) -> Appointment:
    """Front desk or nurse, on the appointment's local date at its site."""
    if not allows(user, "check_in"):
        raise DomainError("forbidden", _l("Only the front desk or a nurse checks patients in."), status=403)
    now = now or utcnow()
    tz = appointment.site.tz
    if appointment.status == AppointmentStatus.BOOKED and local_date(now, tz) != local_date(appointment.start_at, tz):
        raise Conflict("invalid_state", _l("Check-in is only possible on the day of the appointment."),
                       {"status": appointment.status.value})
    return change_status(appointment, AppointmentStatus.CHECKED_IN, user)


def mark_no_show(appointment: Appointment, user: User, now: dt.datetime | None = None) -> Appointment:
    """Only once the appointment's start has passed: before it, the patient has not failed to come.
    The planner then closes every pending message and tells the patient it will be re-arranged."""
    now = now or utcnow()
    if appointment.status == AppointmentStatus.BOOKED and now < appointment.start_at:
        raise Conflict("invalid_state", _l("A no-show can only be recorded once the appointment's start has passed."),
                       {"status": appointment.status.value})
    return change_status(appointment, AppointmentStatus.NO_SHOW, user)


def undo_no_show(appointment: Appointment, user: User, now: dt.datetime | None = None) -> Appointment:
    """The patient came after all: back to booked, on the appointment's local date only."""
    now = now or utcnow()
    tz = appointment.site.tz
    if appointment.status != AppointmentStatus.NO_SHOW:
        raise Conflict("invalid_state", _l("The appointment is “%(status)s”: it is not a no-show.",
                                              status=STATUS_LABELS[appointment.status.value]),
                       {"status": appointment.status.value})
    if local_date(now, tz) != local_date(appointment.start_at, tz):
        raise Conflict("invalid_state", _l("A no-show can only be undone on the day of the appointment."),
                       {"status": appointment.status.value})
    return change_status(appointment, AppointmentStatus.BOOKED, user, note="no-show undone")
