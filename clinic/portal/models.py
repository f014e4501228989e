"""Manage links (one opaque, random token per appointment, stored so it can be looked up and
revoked), patients' requests from their links and the free starts a patient offered when asking
for another time."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.db import utcnow
from clinic.extensions import Model


class ManageLink(Model):
    __tablename__ = "manage_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    short_token: Mapped[str | None] = mapped_column(sa.String(16), unique=True)  # the SMS's short link
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    appointment = relationship("Appointment")


class PatientRequest(Model):
    """Something a patient asked through a link (a cancellation), for the front desk to handle."""

    audit_subject: ClassVar[str] = "request"  # its id in a URL names patient data

    __tablename__ = "patient_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[dt.datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class TimeOption(Model):
    """One start a patient picked from the engine's free starts; the front desk confirms one."""

    __tablename__ = "patient_request_times"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("patient_requests.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    start_at: Mapped[dt.datetime]
    physician_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
