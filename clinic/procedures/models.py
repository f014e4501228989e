"""The procedure-day checklist of an appointment: one instance, its entries and amendments."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.db import enum_column, utcnow
from clinic.extensions import Model


class ChecklistState(enum.StrEnum):
    OPEN = "open"
    IN_PROCEDURE = "in_procedure"
    MONITORING = "monitoring"
    READY_FOR_DISCHARGE = "ready_for_discharge"
    DISCHARGED = "discharged"
    SIGNED = "signed"


class Checklist(Model):
    __tablename__ = "checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    template_code: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[ChecklistState] = mapped_column(
        enum_column(ChecklistState, "checklist_state"), default=ChecklistState.OPEN
    )
    procedure_started_at: Mapped[dt.datetime | None]
    procedure_ended_at: Mapped[dt.datetime | None]
    discharged_at: Mapped[dt.datetime | None]
    signed_at: Mapped[dt.datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[ChecklistEntry]] = relationship(
        back_populates="checklist", order_by="ChecklistEntry.id"
    )
    appointment = relationship("Appointment")


class ChecklistEntry(Model):
    """A recorded value for one item. Entries are never updated after signing: an amendment is a
    new row that points to the one it supersedes."""

    __tablename__ = "checklist_entries"
    __table_args__ = (sa.Index("ix_checklist_entries_item", "checklist_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("checklists.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[Any] = mapped_column(sa.JSON)   # whatever JSON the item's kind allows
    done: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_entries.id"))
    is_amendment: Mapped[bool] = mapped_column(default=False)
    amendment_reason: Mapped[str | None] = mapped_column(sa.Text)

    checklist: Mapped[Checklist] = relationship(back_populates="entries")
    recorded_by = relationship("User")
