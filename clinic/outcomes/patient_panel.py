"""The patient page's pain scores: before and after each procedure, at a week and at two weeks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from clinic.extensions import db
from clinic.outcomes.models import PainScore
from clinic.patients.models import Patient
from clinic.patients.panels import Panel
from clinic.scheduling.models import Appointment
from clinic.tenancy import in_scope

SHOWN = 40


def load(patient: Patient) -> dict[str, Any]:
    stmt = (sa.select(PainScore, Appointment).join(Appointment, Appointment.id == PainScore.appointment_id)
            .where(PainScore.patient_id == patient.id)
            .order_by(PainScore.recorded_at.desc(), PainScore.id.desc()).limit(SHOWN))
    return {"scores": db.session.execute(in_scope(stmt, PainScore)).tuples().all()}


PANEL = Panel(name="pain_scores", order=50, permission="open_case", template="outcomes/_patient_pain.html",
              load=load)
