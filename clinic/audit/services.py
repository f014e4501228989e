"""Writing audit events. Business code calls record() for one event, or record_shown() for a
list of patients; the request's transaction commits them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user

from clinic import unit_of_work
from clinic.audit.models import AuditEvent
from clinic.db import utcnow
from clinic.extensions import Model, db


def _actor() -> tuple[int | None, str, str]:
    user = getattr(g, "api_user", None) if has_request_context() else None
    if user is not None:
        return user.id, user.email, "api"
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email, "web"
    return None, getattr(g, "audit_actor", "system") if has_request_context() else "system", "system"


def _who(actor: str | None) -> dict:
    """The columns naming who acted, from where."""
    user_id, who, channel = _actor()
    if actor is not None and actor.startswith("patient"):
        channel = "patient"
    return {"user_id": user_id, "actor": actor or who, "channel": channel,
            "ip": request.remote_addr if has_request_context() else None}


def record(
    action: str,
    object_type: str,
    object_id: Any = None,
    patient_id: int | None = None,
    details: dict | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current session (flushed and committed with the request's work)."""
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        patient_id=patient_id,
        details=details or {},
        **_who(actor),
    )
    db.session.add(event)
    return event


def record_shown(action: str, shown: Iterable[tuple[int, int | None]], details: dict | None = None) -> int:
    """One event per patient shown on a list, so the patient's own export lists the view.

    `shown` holds (patient id, appointment id or None) for each line of the list; a patient on
    several lines gets one event naming those appointments. A list that shows nobody is one event
    without a patient, so the reading itself is on record. All rows go in one INSERT statement;
    returns how many.
    """
    appointments: dict[int, list[int]] = {}
    for patient_id, appointment_id in shown:
        ids = appointments.setdefault(patient_id, [])
        if appointment_id is not None and appointment_id not in ids:
            ids.append(appointment_id)
    base = _who(None) | {"at": utcnow(), "action": action}
    details = details or {}
    # A bulk INSERT passes no session listener: each row gets its patient's organisation here.
    patient = _subjects()["patient"]
    organisations = dict(db.session.execute(sa.select(patient.id, patient.organisation_id)
                                            .where(patient.id.in_(list(appointments)))).tuples().all()) \
        if appointments else {}
    rows = [base | {"object_type": "patient", "object_id": str(pid), "patient_id": pid,
                    "organisation_id": organisations.get(pid),
                    "details": details | ({"appointments": ids} if ids else {})}
            for pid, ids in sorted(appointments.items())]
    if not rows:
        rows = [base | {"object_type": "list", "object_id": None, "patient_id": None, "details": details}]
    db.session.execute(sa.insert(AuditEvent), rows)
    return len(rows)


REFUSED = (403, 404)


def _subjects() -> dict[str, Any]:
    """The models an id in a URL can name, by the name they declare (`audit_subject`: "patient",
    "appointment", ...), read from the models mapped at the time; each says in `audit_patient_key`
    which of its columns holds its patient (`patient_id` unless it says otherwise)."""
    return {m.class_.audit_subject: m.class_ for m in Model.registry.mappers
            if isinstance(getattr(m.class_, "audit_subject", None), str)}


def _patient_of(kind: str, object_id: int) -> int | None:
    """The patient an id in a URL names, when it names one."""
    model = _subjects()[kind]
    if not 0 < object_id < 2**31:
        return None   # no row has such an id
    patient = getattr(model, getattr(model, "audit_patient_key", "patient_id"))
    return db.session.scalar(sa.select(patient).where(model.id == object_id))


PATIENT_DATA_ARGS = {"patient_id": "patient", "appointment_id": "appointment", "reminder_id": "reminder",
                     "request_id": "request", "entry_id": "waiting_entry"}


def record_refusal(status: int) -> bool:
    """A refused attempt (403 or 404) on a route that takes the id of patient data, with the
    actor and the path; the request's own unfinished work is dropped first. True when recorded."""
    args = request.view_args or {}
    named = [(PATIENT_DATA_ARGS[k], v) for k, v in args.items() if k in PATIENT_DATA_ARGS and isinstance(v, int)]
    if status not in REFUSED or not named:
        return False
    db.session.rollback()
    kind, object_id = named[0]
    record("access.refused", kind, object_id, _patient_of(kind, object_id),
           {"status": status, "method": request.method, "path": request.path[:200], "endpoint": request.endpoint})
    unit_of_work.commit()  # after the request's own unit of work: a refusal is on record whatever it was
    return True
