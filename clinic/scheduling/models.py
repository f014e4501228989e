"""Working hours, time off, appointments and their history, idempotent booking keys."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.accounts.models import User
from clinic.db import enum_column, utcnow
from clinic.extensions import Model, db
from clinic.patients.models import Patient
from clinic.sites.models import Room, Site


class WorkingHours(Model):
    """One working interval of a physician at a site on a weekday, local time, valid over dates.

    Breaks are the gaps between two intervals of the same day.
    """

    __tablename__ = "working_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint("start_time < end_time", name="time_order"),
        sa.CheckConstraint("valid_until IS NULL OR valid_from <= valid_until", name="validity_order"),
        sa.Index("ix_working_hours_lookup", "site_id", "physician_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    weekday: Mapped[int]
    start_time: Mapped[dt.time] = mapped_column(sa.Time)
    end_time: Mapped[dt.time] = mapped_column(sa.Time)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)

    physician: Mapped[User] = relationship()
    site: Mapped[Site] = relationship()


class TimeOff(Model):
    """A physician's absence, at one site or (site_id NULL) everywhere."""

    __tablename__ = "time_off"
    __table_args__ = (
        sa.CheckConstraint("start_at < end_at", name="time_order"),
        sa.Index("ix_time_off_physician_range", "physician_id", "start_at", "end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    physician: Mapped[User] = relationship(foreign_keys=[physician_id])


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    IN_PROCEDURE = "in_procedure"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Statuses that hold a physician and a room: the no-double-booking guarantee covers these.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROCEDURE)
ACTIVE_STATUS_SQL = "status IN ('booked', 'checked_in', 'in_procedure')"

REGIONS = ("cervical", "thoracic", "lumbar", "sacral")
SIDES = ("left", "right", "bilateral", "midline")


class Appointment(Model):
    """A booked procedure. start_at..end_at is the procedure; end_at..block_end_at the turnover.

    On PostgreSQL an exclusion constraint (migration 0001) forbids two active appointments whose
    [start_at, block_end_at) ranges overlap for one physician or one room.
    """

    audit_subject: ClassVar[str] = "appointment"  # its id in a URL names patient data

    __tablename__ = "appointments"
    # Its organisation is its site's, which its patient's must be (clinic.tenancy).
    organisation_anchor: ClassVar[str] = "site"
    __table_args__ = (
        sa.CheckConstraint("start_at < end_at AND end_at <= block_end_at", name="time_order"),
        sa.Index("ix_appointments_site_start", "site_id", "start_at"),
        sa.Index("ix_appointments_physician_start", "physician_id", "start_at"),
        sa.Index("ix_appointments_room_start", "room_id", "start_at"),
        sa.Index("ix_appointments_patient", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"))
    physician_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    procedure_code: Mapped[str] = mapped_column(sa.String(40))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    block_end_at: Mapped[dt.datetime]
    region: Mapped[str | None] = mapped_column(sa.String(20))
    side: Mapped[str | None] = mapped_column(sa.String(20))
    levels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    sedation: Mapped[bool] = mapped_column(default=False)
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    needs_reschedule: Mapped[bool] = mapped_column(default=False)
    screening: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    warnings: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    medication_holds: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    preparation: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    override_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    booked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    ical_sequence: Mapped[int] = mapped_column(default=0)
    actual_end_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    patient: Mapped[Patient] = relationship()
    site: Mapped[Site] = relationship()
    room: Mapped[Room] = relationship()
    physician: Mapped[User] = relationship(foreign_keys=[physician_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentChange(Model):
    """History of an appointment: booking, each reschedule, cancellation and status change."""

    __tablename__ = "appointment_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    old_start_at: Mapped[dt.datetime | None]
    new_start_at: Mapped[dt.datetime | None]
    old_physician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    new_physician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class IdempotencyKey(Model):
    """The first answer to a request sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(sa.String(200))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    body: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The answer is an appointment (patient data): the organisation of that appointment.
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)

    @classmethod
    def for_appointment(cls, appointment_id: int, **values) -> IdempotencyKey:
        """A key whose answer is this appointment, in the appointment's organisation."""
        appointment = db.session.get(Appointment, appointment_id)
        return cls(organisation_id=appointment.organisation_id if appointment else None, **values)


class ScheduleStamp(Model):
    """A number per site that changes in the same transaction as anything its free slots depend
    on (appointments, time off, hours, rooms, closures, the site's settings, its physicians).

    Cached availability answers carry the stamp they were computed at (clinic/scheduling/stamps.py).
    """

    __tablename__ = "schedule_stamps"

    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=1)
    # Moves with everything but appointments: the site's reference data is kept under it.
    reference_version: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
