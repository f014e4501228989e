"""The append-only audit log: every read or write of patient data by a user."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import utcnow
from clinic.extensions import Model


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_at", "at"),
        sa.Index("ix_audit_events_patient_at", "patient_id", "at"),
        sa.Index("ix_audit_events_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(sa.String(120), default="")
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    # A row id, or a name such as an outbox file (up to 204 characters, clinic.mail.folder.NAME).
    object_id: Mapped[str | None] = mapped_column(sa.String(255))
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patients.id"))
    # The organisation whose data the event is about; NULL for events about no patient (sign-in, admin).
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(10), default="web")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
