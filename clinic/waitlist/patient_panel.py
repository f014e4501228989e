"""The patient page's waiting-list panel: the patient's open entries and the link to add one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.patients.panels import Panel
from clinic.tenancy import in_scope
from clinic.waitlist.models import OPEN_STATUSES, WaitingEntry


def load(patient: Patient) -> dict[str, Any]:
    stmt = in_scope(sa.select(WaitingEntry).where(WaitingEntry.patient_id == patient.id,
                                                  WaitingEntry.status.in_(OPEN_STATUSES)), WaitingEntry)
    return {"entries": list(db.session.scalars(stmt.order_by(WaitingEntry.created_at)))}


PANEL = Panel(name="waiting_list", order=15, permission="waiting_list", template="waitlist/_patient_panel.html",
              load=load)
