"""The waiting list: patients waiting for a time to free up, the times freed, and the first-come
offers sent to patients for one of those times."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.accounts.models import User
from clinic.db import enum_column, utcnow
from clinic.extensions import Model
from clinic.patients.models import Patient
from clinic.sites.models import Site


class EntryStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"     # a first-come offer was sent; the patient still waits until one is taken
    BOOKED = "booked"
    REMOVED = "removed"


OPEN_STATUSES = (EntryStatus.WAITING, EntryStatus.OFFERED)
TIMES_OF_DAY = ("morning", "afternoon")


class WaitingEntry(Model):
    """A patient waiting for a procedure at a site, maybe with one physician, between two local
    dates, in the morning or the afternoon. Entries are served in the order they were made."""

    audit_subject: ClassVar[str] = "waiting_entry"

    __tablename__ = "waiting_entries"
    __table_args__ = (
        sa.CheckConstraint("to_date IS NULL OR from_date IS NULL OR from_date <= to_date", name="date_order"),
        sa.Index("ix_waiting_entries_site_status", "site_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    procedure_code: Mapped[str] = mapped_column(sa.String(40))
    physician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    from_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    to_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    time_of_day: Mapped[str | None] = mapped_column(sa.String(10))   # None: any time; else TIMES_OF_DAY
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus, "waiting_entry_status"),
                                                default=EntryStatus.WAITING)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))
    closed_at: Mapped[dt.datetime | None]

    patient: Mapped[Patient] = relationship()
    site: Mapped[Site] = relationship()
    physician: Mapped[User | None] = relationship(foreign_keys=[physician_id])


class FreedSlot(Model):
    """A time that became free at a site: an appointment cancelled or moved away, time off removed,
    new working hours. `physician_id` is the physician freed (None: nobody in particular)."""

    __tablename__ = "freed_slots"
    __table_args__ = (
        sa.CheckConstraint("start_at < end_at", name="time_order"),
        sa.Index("ix_freed_slots_site_range", "site_id", "start_at", "end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    physician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    cause: Mapped[str] = mapped_column(sa.String(30))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    TAKEN = "taken"          # someone else had the time first


class WaitingOffer(Model):
    """A time offered to a waiting patient through a link (an opaque random token, stored so it can
    be looked up): the first patient to accept books it, until the offer expires."""

    __tablename__ = "waiting_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("waiting_entries.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    start_at: Mapped[dt.datetime]
    physician_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus, "waiting_offer_status"),
                                                default=OfferStatus.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime]
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))

    entry: Mapped[WaitingEntry] = relationship()
