"""The outbox: every message to a patient is a row with a due time, claimed and marked by dispatchers;
and the dispatchers' heartbeats."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.db import UTCDateTime, enum_column, utcnow
from clinic.extensions import Model


class ReminderStatus(enum.StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


PENDING_STATUSES = (ReminderStatus.PLANNED, ReminderStatus.RETRYING)


class Reminder(Model):
    audit_subject: ClassVar[str] = "reminder"  # its id in a URL names patient data

    __tablename__ = "reminders"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        # The dispatcher's hot path: rows not yet sent, by due time. Partial where supported.
        sa.Index(
            "ix_reminders_due",
            "next_attempt_at",
            postgresql_where=sa.text("status IN ('planned', 'retrying', 'sending')"),
            sqlite_where=sa.text("status IN ('planned', 'retrying', 'sending')"),
        ),
        sa.Index("ix_reminders_appointment", "appointment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[str] = mapped_column(sa.String(10), default="email", server_default="email")
    essential: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="en")
    send_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime]
    status: Mapped[ReminderStatus] = mapped_column(
        enum_column(ReminderStatus, "reminder_status"), default=ReminderStatus.PLANNED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    appointment = relationship("Appointment")
    patient = relationship("Patient")
    site = relationship("Site")


class DispatcherHeartbeat(Model):
    """When a dispatcher last finished a pass, at what interval it runs, and what it has done
    since it started (readiness and metrics read it; the web processes cannot see the dispatcher's)."""

    __tablename__ = "dispatcher_heartbeats"

    worker_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    interval_seconds: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_pass_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    passes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    claimed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sent: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    retried: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    failed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
