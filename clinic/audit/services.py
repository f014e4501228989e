"""Writing audit events. Business code calls record(); the request's transaction commits it."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from clinic.audit.models import AuditEvent
from clinic.extensions import db


def _actor() -> tuple[int | None, str, str]:
    user = getattr(g, "api_user", None) if has_request_context() else None
    if user is not None:
        return user.id, user.email, "api"
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email, "web"
    return None, getattr(g, "audit_actor", "system") if has_request_context() else "system", "system"


def record(
    action: str,
    object_type: str,
    object_id: Any = None,
    patient_id: int | None = None,
    details: dict | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current session (flushed and committed with the request's work)."""
    user_id, who, channel = _actor()
    event = AuditEvent(
        user_id=user_id,
        actor=actor or who,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        patient_id=patient_id,
        channel=channel if actor is None else "patient" if actor.startswith("patient") else channel,
        ip=request.remote_addr if has_request_context() else None,
        details=details or {},
    )
    db.session.add(event)
    return event
