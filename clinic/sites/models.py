"""Sites, their rooms and their calendar exceptions (closures, openings on public holidays)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.db import enum_column
from clinic.extensions import Model

MODALITIES = ("fluoroscopy", "ultrasound", "ct")


class Organisation(Model):
    """A clinic group that owns its sites and its patients' data: the unit of isolation (and of
    distribution: every table holding patient data carries its organisation_id)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    country: Mapped[str] = mapped_column(sa.String(2))
    # Who answers patients' and authorities' data-protection questions (GDPR art. 37, HIPAA privacy officer).
    privacy_contact: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")

    sites: Mapped[list[Site]] = relationship(back_populates="organisation", order_by="Site.name")

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"


class Site(Model):
    __tablename__ = "sites"
    organisation_given: ClassVar[bool] = True  # set when the site is made, never derived (clinic.tenancy)
    __table_args__ = (
        sa.CheckConstraint("turnover_minutes >= 0 AND turnover_minutes <= 240", name="turnover_range"),
        sa.CheckConstraint("horizon_days >= 1 AND horizon_days <= 730", name="horizon_range"),
        sa.CheckConstraint("min_notice_hours >= 0 AND min_notice_hours <= 720", name="notice_range"),
        sa.CheckConstraint("slot_interval_minutes >= 5 AND slot_interval_minutes <= 120", name="slot_range"),
        sa.CheckConstraint("language IN ('fr', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # The neutral name of messages (subjects, invites): no health word; empty means the address's short form.
    mail_name: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    timezone: Mapped[str] = mapped_column(sa.String(64))
    country: Mapped[str] = mapped_column(sa.String(2))
    subdivision: Mapped[str | None] = mapped_column(sa.String(10))
    language: Mapped[str] = mapped_column(sa.String(2), default="en")
    policy: Mapped[str] = mapped_column(sa.String(40), default="us")
    turnover_minutes: Mapped[int] = mapped_column(default=10)
    horizon_days: Mapped[int] = mapped_column(default=120)
    min_notice_hours: Mapped[int] = mapped_column(default=24)
    slot_interval_minutes: Mapped[int] = mapped_column(default=15)
    quiet_start: Mapped[dt.time] = mapped_column(sa.Time, default=dt.time(21, 0))
    quiet_end: Mapped[dt.time] = mapped_column(sa.Time, default=dt.time(8, 0))
    active: Mapped[bool] = mapped_column(default=True)

    rooms: Mapped[list[Room]] = relationship(back_populates="site", order_by="Room.name")
    organisation: Mapped[Organisation] = relationship(back_populates="sites")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:
        return f"<Site {self.code}>"


class Room(Model):
    __tablename__ = "rooms"
    __table_args__ = (sa.UniqueConstraint("site_id", "name", name="uq_rooms_site_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    modalities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    site: Mapped[Site] = relationship(back_populates="rooms")

    def supports(self, imaging: list[str] | tuple[str, ...]) -> bool:
        """True when the room has at least one of the imaging modalities a procedure accepts."""
        return any(m in self.modalities for m in imaging)


class CalendarExceptionKind(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"


class SiteCalendarException(Model):
    """A site's own closure (whole day or part of it) or an opening on a public holiday."""

    __tablename__ = "site_calendar_exceptions"
    __table_args__ = (
        sa.CheckConstraint(
            "(start_time IS NULL AND end_time IS NULL) OR (start_time < end_time)", name="time_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    kind: Mapped[CalendarExceptionKind] = mapped_column(enum_column(CalendarExceptionKind, "calendar_exception_kind"))
    start_time: Mapped[dt.time | None] = mapped_column(sa.Time)
    end_time: Mapped[dt.time | None] = mapped_column(sa.Time)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    site: Mapped[Site] = relationship()

    @property
    def hours(self) -> tuple[dt.time, dt.time] | None:
        """The local (start, end) of a part of the day, or None for the whole day."""
        if self.start_time is None or self.end_time is None:
            return None
        return self.start_time, self.end_time
