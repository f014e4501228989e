"""Appointment rows made directly, each with its outbox row (the SMTP server is the root conftest's)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.reminders.models import Reminder
from tests import factories


@pytest.fixture
def make_booking(db, make_user):
    """An appointment at the site for the patient at a local time, and its outbox row of `kind`."""

    def make(patient, site, local_start, kind="confirmation", procedure="esi-interlaminar", minutes=30, **kw):
        start_at = local_start.replace(tzinfo=site.tz).astimezone(dt.UTC)
        appointment = factories.appointment(site, patient, start=start_at, minutes=minutes, turnover=10,
                                            room=site.rooms[0], physician=make_user("physician", sites=[site]),
                                            procedure_code=procedure, side=None, **kw)
        reminder = Reminder(appointment_id=appointment.id, patient_id=patient.id, site_id=site.id, kind=kind,
                            language=patient.language, send_at=start_at, next_attempt_at=start_at)
        db.session.add(reminder)
        db.session.flush()
        return appointment, reminder

    return make
