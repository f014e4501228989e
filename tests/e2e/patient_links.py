"""Patient links to a booked demo appointment, for the browser tests of the patient pages."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clinic.db import utcnow
from clinic.extensions import db
from clinic.links.tokens import link
from clinic.patients.models import Patient
from clinic.portal.manage import ensure_link, manage_url
from clinic.scheduling.models import Appointment, AppointmentStatus


def patient_links(live_app, language: str) -> dict[str, str]:
    """Every patient link of the latest booked appointment of a patient of that language, before its
    cancellation cutoff (the demo's appointments are written without the booking signal: the manage
    link is made here)."""
    with live_app.app_context():
        appointment = db.session.execute(
            sa.select(Appointment).join(Patient, Patient.id == Appointment.patient_id)
            .where(Appointment.status == AppointmentStatus.BOOKED, Patient.language == language,
                   Appointment.start_at > utcnow() + dt.timedelta(hours=50))
            .order_by(Appointment.start_at.desc())).scalars().first()
        assert appointment is not None
        ensure_link(appointment)
        ids = (appointment.patient_id, appointment.id)
        links = {"manage": manage_url(appointment), "prepare": link("prepare", *ids),
                 "cancel": link("cancel", *ids), "optout": link("optout", *ids),
                 "pain": link("pain", *ids, moment="day7")}
        db.session.commit()
    assert links["manage"]
    return links
