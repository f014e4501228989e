"""The patient page's requests: what the patient asked from their link (to cancel, another time)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.patients.panels import Panel
from clinic.portal.models import PatientRequest
from clinic.scheduling.models import Appointment
from clinic.tenancy import in_scope

SHOWN = 20


def load(patient: Patient) -> dict[str, Any]:
    stmt = (sa.select(PatientRequest, Appointment)
            .outerjoin(Appointment, Appointment.id == PatientRequest.appointment_id)
            .where(PatientRequest.patient_id == patient.id)
            .order_by(PatientRequest.created_at.desc(), PatientRequest.id.desc()).limit(SHOWN))
    return {"requests": db.session.execute(in_scope(stmt, PatientRequest)).tuples().all()}


PANEL = Panel(name="requests", order=40, permission="handle_requests", template="portal/_patient_requests.html",
              load=load)
