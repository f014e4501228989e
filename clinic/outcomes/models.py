"""Pain scores around a procedure."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.db import enum_column, utcnow
from clinic.extensions import Model


class PainMoment(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"
    DAY7 = "day7"
    DAY14 = "day14"


class PainScore(Model):
    __tablename__ = "pain_scores"
    __table_args__ = (
        sa.CheckConstraint("score >= 0 AND score <= 10", name="score_range"),
        sa.UniqueConstraint("appointment_id", "moment", name="uq_pain_scores_appointment_moment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    moment: Mapped[PainMoment] = mapped_column(enum_column(PainMoment, "pain_moment"))
    score: Mapped[int]
    function_note: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(20), default="checklist")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
