"""Data protection: everything held about one patient as JSON, and erasure by pseudonymisation.

Erasure keeps what the law requires a clinic to keep (appointments, checklists, injection records,
the audit log) and removes what identifies or contacts the patient.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.audit.queries import merged_ids
from clinic.audit.services import record
from clinic.db import utcnow
from clinic.errors import ValidationFailed
from clinic.extensions import db
from clinic.outcomes.models import PainScore
from clinic.patients.models import InjectionRecord, Patient
from clinic.portal.models import PatientRequest
from clinic.procedures.models import Checklist, ChecklistEntry
from clinic.reminders.models import PENDING_STATUSES, Reminder, ReminderStatus
from clinic.scheduling.models import Appointment, AppointmentChange
from clinic.tenancy import get_scoped

ERASED_NAME = "Erased"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(obj: Any, fields: tuple[str, ...]) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _all(query) -> list:
    return list(db.session.execute(query).scalars())


PATIENT_FIELDS = ("id", "first_name", "last_name", "birth_date", "email", "phone", "sms_opt_in", "language", "sex",
                  "conditions", "allergies", "non_essential_opt_out", "pseudonymised_at", "created_at")
APPOINTMENT_FIELDS = ("id", "site_id", "room_id", "physician_id", "procedure_code", "start_at", "end_at",
                      "block_end_at", "region", "side", "levels", "sedation", "status", "needs_reschedule",
                      "screening", "warnings", "medication_holds", "preparation", "override_reason",
                      "cancel_reason", "actual_end_at", "created_at", "updated_at")
CHANGE_FIELDS = ("id", "at", "user_id", "action", "old_start_at", "new_start_at", "old_physician_id",
                 "new_physician_id", "note")
ENTRY_FIELDS = ("id", "item_code", "value", "done", "recorded_by_id", "recorded_at", "override_reason",
                "superseded_by_id", "is_amendment", "amendment_reason")
CHECKLIST_FIELDS = ("id", "template_code", "state", "procedure_started_at", "procedure_ended_at",
                    "discharged_at", "signed_at", "signed_by_id")
INJECTION_FIELDS = ("id", "appointment_id", "performed_on", "procedure_code", "region", "steroid", "dose_mg",
                    "triamcinolone_eq_mg", "premedication_steroid", "premedication_eq_mg", "created_at")
REMINDER_FIELDS = ("id", "appointment_id", "kind", "send_at", "status", "sent_at")
PAIN_FIELDS = ("id", "appointment_id", "moment", "score", "function_note", "source", "recorded_at")
REQUEST_FIELDS = ("id", "appointment_id", "kind", "note", "created_at", "handled_at", "handled_by_id")
AUDIT_FIELDS = ("id", "at", "user_id", "actor", "action", "object_type", "object_id", "channel", "details")


def get_patient(patient_id: int) -> Patient | None:
    """The patient if the caller's organisations hold them (an export never crosses organisations)."""
    return get_scoped(Patient, patient_id)


def _appointment(appointment: Appointment) -> dict:
    data = _row(appointment, APPOINTMENT_FIELDS)
    data["history"] = [_row(c, CHANGE_FIELDS) for c in _all(
        sa.select(AppointmentChange).where(AppointmentChange.appointment_id == appointment.id)
        .order_by(AppointmentChange.id))]
    checklist = db.session.execute(
        sa.select(Checklist).where(Checklist.appointment_id == appointment.id)).scalar_one_or_none()
    if checklist is None:
        data["checklist"] = None
    else:
        data["checklist"] = _row(checklist, CHECKLIST_FIELDS)
        data["checklist"]["entries"] = [_row(e, ENTRY_FIELDS) for e in _all(
            sa.select(ChecklistEntry).where(ChecklistEntry.checklist_id == checklist.id).order_by(ChecklistEntry.id))]
    return data


def export_patient(patient: Patient) -> dict:
    """Every record held about the patient, in plain JSON values (times in UTC). Audited."""
    pid = patient.id
    appointments = _all(sa.select(Appointment).where(Appointment.patient_id == pid).order_by(Appointment.start_at))
    data = {
        "exported_at": utcnow().isoformat(),
        "patient": _row(patient, PATIENT_FIELDS),
        "medications": [{"drug": m.drug, "indication": m.indication} for m in patient.medications],
        "appointments": [_appointment(a) for a in appointments],
        "injection_records": [_row(r, INJECTION_FIELDS) for r in _all(
            sa.select(InjectionRecord).where(InjectionRecord.patient_id == pid).order_by(InjectionRecord.id))],
        "reminders": [_row(r, REMINDER_FIELDS) for r in _all(
            sa.select(Reminder).where(Reminder.patient_id == pid).order_by(Reminder.id))],
        "pain_scores": [_row(r, PAIN_FIELDS) for r in _all(
            sa.select(PainScore).where(PainScore.patient_id == pid).order_by(PainScore.id))],
        "patient_requests": [_row(r, REQUEST_FIELDS) for r in _all(
            sa.select(PatientRequest).where(PatientRequest.patient_id == pid).order_by(PatientRequest.id))],
        # With the events of the records merged into this one (clinic.patients.merge).
        "audit_events": [_row(e, AUDIT_FIELDS) | {"patient_id": e.patient_id} for e in _all(
            sa.select(AuditEvent).where(AuditEvent.patient_id.in_({pid} | merged_ids(pid))).order_by(AuditEvent.id))],
    }
    record("privacy.export", "patient", pid, pid, {"appointments": len(appointments)})
    return data


def erase_patient(patient: Patient, confirmation: str) -> int:
    """Pseudonymise identity and contact data once the admin has typed the last name; returns how
    many pending reminders were cancelled. Clinical records and the audit log stay."""
    if (confirmation or "").strip().casefold() != patient.last_name.strip().casefold():
        raise ValidationFailed({"confirmation": "mismatch"}, "The last name typed does not match.")
    if patient.pseudonymised_at is not None:
        raise ValidationFailed({"confirmation": "already_erased"}, "This patient's data was already erased.")
    patient.clear_identity(ERASED_NAME, f"erased-{patient.id}@invalid", utcnow())
    for medication in patient.medications:
        medication.indication = None
    reminders = _all(sa.select(Reminder).where(Reminder.patient_id == patient.id,
                                               Reminder.status.in_(PENDING_STATUSES)))
    for reminder in reminders:
        reminder.status = ReminderStatus.CANCELLED
    record("privacy.erase", "patient", patient.id, patient.id, {"reminders_cancelled": len(reminders)})
    db.session.flush()
    return len(reminders)
