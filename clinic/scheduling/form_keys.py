"""The front-desk forms' idempotency keys: a form that changes an appointment (book, reschedule,
cancel, check in, no-show) carries a key made when it was shown, so that submitting it again (back
button, reload, a second click) finds the change already made instead of making it again or
answering with an error. Stored beside the API's Idempotency-Key rows, under a `form:` prefix."""

from __future__ import annotations

import hashlib
import secrets
from typing import TypeGuard

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from clinic.errors import DomainError
from clinic.extensions import db
from clinic.scheduling.models import IdempotencyKey

PREFIX = "form:"
MAX_LENGTH = 64
FIELD = "form_key"  # the hidden field that carries the key


def new_key() -> str:
    return secrets.token_urlsafe(24)


def _digest(form: str, subject_id: int) -> str:
    """What a key is for: one form (`book-page`, `reschedule-page`...) about one patient or appointment."""
    return hashlib.sha256(f"{form}:{subject_id}".encode()).hexdigest()


def valid(key: str | None) -> TypeGuard[str]:
    return key is not None and 0 < len(key) <= MAX_LENGTH and key.replace("-", "").replace("_", "").isalnum()


def done_with(user_id: int, key: str, form: str, subject_id: int) -> int | None:
    """The appointment a first submission of this form changed, or None if it changed nothing yet."""
    row = db.session.execute(sa.select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == PREFIX + key)).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != _digest(form, subject_id):
        raise DomainError("idempotency_key_reused", _l("This form was already used for another change."))
    return int(row.body["appointment_id"])


def remember(user_id: int, key: str, form: str, subject_id: int, appointment_id: int) -> None:
    """Store the key with the change, in its transaction (a unique key per user: a twin fails)."""
    db.session.add(IdempotencyKey.for_appointment(appointment_id, user_id=user_id, key=PREFIX + key,
                                                  request_hash=_digest(form, subject_id), status_code=200,
                                                  body={"appointment_id": appointment_id}))
    db.session.flush()
