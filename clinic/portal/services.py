"""What a patient may do from a link: read their preparation, give a pain score, ask to cancel,
stop non-essential messages. And the front desk's list of patients' open requests.

Every function takes the claims of a checked token; a link shows and changes only the data of the
patient and appointment it names. Patient actions are audited with the actor "patient:<id>".
"""

from __future__ import annotations

import sqlalchemy as sa

from clinic.audit.queries import merged_into
from clinic.audit.services import record, record_shown
from clinic.db import utcnow
from clinic.errors import Conflict, DomainError
from clinic.extensions import db
from clinic.links.tokens import LinkClaims, LinkExpired, LinkInvalid
from clinic.outcomes.models import PainMoment, PainScore
from clinic.patients.models import Patient
from clinic.portal.models import PatientRequest
from clinic.reminders.models import PENDING_STATUSES, Reminder, ReminderStatus
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from clinic.tenancy import get_scoped, scope_clause

PAIN_MOMENTS = (PainMoment.DAY7.value, PainMoment.DAY14.value)


def actor(patient_id: int) -> str:
    return f"patient:{patient_id}"


def resolve(claims: LinkClaims) -> tuple[Patient, Appointment]:
    """The patient and appointment a token names; refused if they do not belong together, and
    gone once the patient's data was erased (the link then names nobody)."""
    appointment = db.session.get(Appointment, claims.appointment_id)
    if appointment is None or (appointment.patient_id != claims.patient_id
                               and merged_into(claims.patient_id) != appointment.patient_id):
        # A link sent for a record since merged names the record kept (clinic.patients.merge).
        raise LinkInvalid()
    if appointment.patient.pseudonymised_at is not None:
        raise LinkExpired(claims)
    return appointment.patient, appointment


def takes_pain_scores(appointment: Appointment) -> bool:
    """Pain after a procedure is asked only once the procedure was done."""
    return appointment.status == AppointmentStatus.COMPLETED


def view(purpose: str, claims: LinkClaims) -> tuple[Patient, Appointment]:
    patient, appointment = resolve(claims)
    record(f"portal.{purpose}.view", "appointment", appointment.id, patient.id, actor=actor(patient.id))
    return patient, appointment


def existing_score(appointment: Appointment, moment: str) -> PainScore | None:
    return db.session.execute(
        sa.select(PainScore).where(PainScore.appointment_id == appointment.id,
                                   PainScore.moment == PainMoment(moment))).scalar_one_or_none()


def record_pain_score(claims: LinkClaims, score: int, note: str) -> PainScore:
    """The patient's score (0-10) and note for day 7 or day 14; a second answer replaces the first."""
    patient, appointment = resolve(claims)
    if claims.moment not in PAIN_MOMENTS:
        raise LinkInvalid()
    if not takes_pain_scores(appointment):
        raise Conflict("invalid_state", "Pain scores are taken only after a completed procedure.")
    if not 0 <= score <= 10:
        raise DomainError("invalid", "The score goes from 0 to 10.")
    row = existing_score(appointment, claims.moment)
    action = "pain_score.update" if row else "pain_score.create"
    if row is None:
        row = PainScore(appointment_id=appointment.id, patient_id=patient.id, moment=PainMoment(claims.moment))
        db.session.add(row)
    row.score, row.function_note, row.source, row.recorded_at = score, note.strip(), "portal", utcnow()
    db.session.flush()
    record(action, "pain_score", row.id, patient.id, {"moment": claims.moment, "score": score},
           actor=actor(patient.id))
    return row


def open_cancellation(appointment: Appointment) -> PatientRequest | None:
    return db.session.execute(
        sa.select(PatientRequest).where(PatientRequest.appointment_id == appointment.id,
                                        PatientRequest.kind == "cancellation",
                                        PatientRequest.handled_at.is_(None))).scalars().first()


def request_cancellation(claims: LinkClaims, note: str) -> PatientRequest:
    """A request the front desk handles (the appointment itself is not changed here)."""
    patient, appointment = resolve(claims)
    if appointment.status not in ACTIVE_STATUSES or appointment.start_at <= utcnow():
        raise Conflict("invalid_state", "This appointment is no longer upcoming.")
    row = open_cancellation(appointment)
    if row is None:
        row = PatientRequest(patient_id=patient.id, appointment_id=appointment.id, kind="cancellation",
                             note=note.strip())
        db.session.add(row)
        db.session.flush()
        record("patient_request.create", "patient_request", row.id, patient.id, {"kind": "cancellation"},
               actor=actor(patient.id))
    return row


def opt_out(claims: LinkClaims) -> int:
    """Stop non-essential messages: the flag, and the non-essential rows not yet sent are skipped."""
    patient, _appointment = resolve(claims)
    patient.non_essential_opt_out = True
    rows = db.session.execute(
        sa.select(Reminder).where(Reminder.patient_id == patient.id, Reminder.essential.is_(False),
                                  Reminder.status.in_(PENDING_STATUSES))).scalars().all()
    for row in rows:
        row.status, row.last_error = ReminderStatus.SKIPPED, "patient stopped non-essential messages"
    db.session.flush()
    record("patient.non_essential_opt_out", "patient", patient.id, patient.id, {"skipped": len(rows)},
           actor=actor(patient.id))
    return len(rows)


# ---------------------------------------------------------------- front desk


def open_requests(site_ids: set[int] | None) -> list[tuple[PatientRequest, Appointment | None]]:
    """Unhandled requests, oldest first, at the given sites (None: every site)."""
    query = (sa.select(PatientRequest, Appointment)
             .outerjoin(Appointment, Appointment.id == PatientRequest.appointment_id)
             .where(PatientRequest.handled_at.is_(None)).order_by(PatientRequest.created_at, PatientRequest.id))
    if site_ids is not None:
        query = query.where(Appointment.site_id.in_(site_ids or {-1}))
    scope = scope_clause(PatientRequest)
    if scope is not None:
        query = query.where(scope)
    rows = [tuple(r) for r in db.session.execute(query).all()]
    record_shown("patient_request.list", [(req.patient_id, req.appointment_id) for req, _a in rows],
                 {"requests": [req.id for req, _a in rows]})
    return rows


def mark_handled(request_id: int, user, site_ids: set[int] | None) -> PatientRequest:
    row = get_scoped(PatientRequest, request_id)
    appointment = db.session.get(Appointment, row.appointment_id) if row and row.appointment_id else None
    if row is None or (site_ids is not None and (appointment is None or appointment.site_id not in site_ids)):
        raise DomainError("not_found", "No such request.", status=404)
    if row.handled_at is not None:
        raise Conflict("invalid_state", "This request was already handled.")
    row.handled_at, row.handled_by_id = utcnow(), user.id
    db.session.flush()
    record("patient_request.handled", "patient_request", row.id, row.patient_id, {"kind": row.kind})
    return row
