"""Sending a patient their preparation again: the confirmation with the preparation sheet and the
calendar invitation, as at booking, through the outbox (the reminders package plans the message on
the signal; the dispatcher sends it after the commit)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from clinic.accounts.models import User
from clinic.audit.services import record
from clinic.db import utcnow
from clinic.errors import Conflict
from clinic.labels import STATUS_LABELS
from clinic.scheduling.locks import lock_appointment
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.scheduling.signals import appointment_preparation_resent

# The states in which the patient still has a visit to prepare for.
TO_PREPARE = (AppointmentStatus.BOOKED,)


def resend_preparation(appt: Appointment, user: User | None, now: dt.datetime | None = None) -> Appointment:
    """Plan the confirmation (sheet and invite) again; 409 for a cancelled, finished or past
    appointment, and for a patient without an e-mail address."""
    now = now or utcnow()
    lock_appointment(appt)   # a change made meanwhile (a cancellation) is seen: 409 conflict_retry
    if appt.status not in TO_PREPARE:
        raise Conflict("not_to_prepare", _l("The appointment is “%(status)s”: it has nothing to prepare.",
                                           status=STATUS_LABELS[appt.status.value]),
                       {"status": appt.status.value})
    if appt.start_at <= now:
        raise Conflict("appointment_past", _l("This appointment has already started: there is nothing to prepare."))
    if not (appt.patient.email or "").strip():
        raise Conflict("no_email", _l("The patient has no e-mail address."))
    record("appointment.resend_preparation", "appointment", appt.id, appt.patient_id,
           {"start": appt.start_at.isoformat()})
    appointment_preparation_resent.send(appt)
    return appt
