"""The booking page's idempotency keys: the confirmation form carries a key made when it was shown,
so that submitting it again (back button, reload, a second click) finds the booking already made
instead of booking again. Stored beside the API's Idempotency-Key rows, under a `form:` prefix."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from clinic.errors import DomainError
from clinic.extensions import db
from clinic.scheduling.models import IdempotencyKey

PREFIX = "form:"
MAX_LENGTH = 64


def new_key() -> str:
    return secrets.token_urlsafe(24)


def _digest(patient_id: int) -> str:
    return hashlib.sha256(f"book-page:{patient_id}".encode()).hexdigest()


def valid(key: str | None) -> bool:
    return bool(key) and len(key) <= MAX_LENGTH and key.replace("-", "").replace("_", "").isalnum()


def booked_with(user_id: int, key: str, patient_id: int) -> int | None:
    """The appointment a first submission of this form booked, or None if it booked nothing yet."""
    row = db.session.execute(sa.select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == PREFIX + key)).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != _digest(patient_id):
        raise DomainError("idempotency_key_reused", "This form was already used for another booking.")
    return int(row.body["appointment_id"])


def remember(user_id: int, key: str, patient_id: int, appointment_id: int) -> None:
    """Store the key with the booking, in its transaction (a unique key per user: a twin fails)."""
    db.session.add(IdempotencyKey(user_id=user_id, key=PREFIX + key, request_hash=_digest(patient_id),
                                  status_code=201, body={"appointment_id": appointment_id}))
    db.session.flush()
