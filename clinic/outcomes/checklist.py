"""The pain scores a procedure's checklist records (pain at sign-in and at discharge): the receiver of
clinic.procedures.effects.pain_item_recorded, connected by clinic.outcomes.init_app."""

from __future__ import annotations

import sqlalchemy as sa

from clinic.audit.services import record as audit
from clinic.extensions import db
from clinic.outcomes.models import PainMoment, PainScore
from clinic.procedures import effects
from clinic.scheduling.models import Appointment


def on_pain_item(appt: Appointment, moment: str, score: int, **_kw) -> PainScore:
    """Write (or correct) the appointment's pain score of this moment, in the checklist's transaction."""
    pain_moment = PainMoment(moment)
    row = db.session.execute(
        sa.select(PainScore).where(PainScore.appointment_id == appt.id, PainScore.moment == pain_moment)
    ).scalar_one_or_none()
    if row is None:
        row = PainScore(appointment_id=appt.id, patient_id=appt.patient_id, moment=pain_moment, source="checklist")
        db.session.add(row)
    row.score = score
    db.session.flush()
    audit("pain_score.record", "pain_score", row.id, appt.patient_id,
          {"appointment_id": appt.id, "moment": pain_moment.value, "score": score})
    return row


def connect() -> None:
    effects.pain_item_recorded.connect(on_pain_item)
