"""The patient page's appointments: coming and past, with their status, and the blood-thinner holds
in force for the coming ones (as stored at booking)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale

from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.patients.panels import Panel
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment
from clinic.screening.preparation import fmt_local
from clinic.tenancy import in_scope

PAST_SHOWN = 20


def load(patient: Patient) -> dict[str, Any]:
    now = utcnow()
    stmt = in_scope(sa.select(Appointment).where(Appointment.patient_id == patient.id), Appointment)
    coming = db.session.scalars(stmt.where(Appointment.end_at > now).order_by(Appointment.start_at)).all()
    past = db.session.scalars(stmt.where(Appointment.end_at <= now)
                              .order_by(Appointment.start_at.desc()).limit(PAST_SHOWN)).all()
    language = str(get_locale())
    holds = [{"appointment": appt, "drug": (hold.get("drug_fr") if language == "fr" else None) or hold["drug"],
              "stop_on": fmt_local(hold.get("stop_on"), appt.site.tz, language),
              "restart_after": fmt_local(hold.get("restart_after"), appt.site.tz, language)}
             for appt in coming if appt.status in ACTIVE_STATUSES
             for hold in appt.medication_holds or () if hold.get("action", "stop") == "stop"]
    return {"coming": coming, "past": past, "holds": holds, "more_past": len(past) == PAST_SHOWN}


PANEL = Panel(name="appointments", order=10, permission="view_schedule",
              template="scheduling/_patient_appointments.html", load=load)
