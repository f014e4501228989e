"""The patient page's messages: what was sent, what failed or is retrying, and what comes next."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.patients.panels import Panel
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.tenancy import in_scope

SHOWN = 30
SHOWN_STATUSES = (ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.RETRYING, ReminderStatus.PLANNED,
                  ReminderStatus.SENDING)


def load(patient: Patient) -> dict[str, Any]:
    stmt = (sa.select(Reminder).where(Reminder.patient_id == patient.id, Reminder.status.in_(SHOWN_STATUSES))
            .order_by(Reminder.send_at.desc(), Reminder.id.desc()).limit(SHOWN))
    rows = db.session.scalars(in_scope(stmt, Reminder)).all()
    failed = [r for r in rows if r.status in (ReminderStatus.FAILED, ReminderStatus.RETRYING)]
    return {"messages": rows, "failed": len(failed), "more": len(rows) == SHOWN}


PANEL = Panel(name="messages", order=30, permission="view_schedule", template="reminders/_patient_messages.html",
              load=load)
