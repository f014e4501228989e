"""Patients, their medications and their injection history."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates

from clinic.db import utcnow
from clinic.extensions import Model
from clinic.text import fold

CONDITIONS = (
    "diabetes",
    "glaucoma",
    "bleeding_disorder",
    "immunosuppression",
    "heart_failure",
    "kidney_disease",
    "liver_disease",
    "prior_surgery_at_site",
    "postmenopausal",
)
ALLERGIES = ("iodinated_contrast", "gadolinium", "latex", "local_anesthetic", "corticosteroid")
SEXES = ("female", "male", "other", "unknown")


class Patient(Model):
    # An id in a URL naming this row names patient data (clinic.audit records who was refused it).
    audit_subject: ClassVar[str] = "patient"
    audit_patient_key: ClassVar[str] = "id"
    # Patient data starts here; a patient's organisation is where they were registered (clinic.tenancy).
    patient_data_root: ClassVar[bool] = True
    organisation_given: ClassVar[bool] = True

    __tablename__ = "patients"
    __table_args__ = (sa.CheckConstraint("language IN ('fr', 'en')", name="language"),
                      sa.CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    # "first last" folded (clinic.text.fold), kept with the names: what the search matches words in.
    search_name: Mapped[str] = mapped_column(sa.String(201), default="", server_default="", index=True)
    birth_date: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str] = mapped_column(sa.String(40), default="")  # E.164 ("+33612345678") or empty
    sms_opt_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    language: Mapped[str] = mapped_column(sa.String(2), default="en")
    sex: Mapped[str] = mapped_column(sa.String(10), default="unknown", server_default="unknown")
    conditions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    allergies: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    non_essential_opt_out: Mapped[bool] = mapped_column(default=False)
    pseudonymised_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    # Whether the patient has an open waiting entry, when the read that loaded them asked
    # (clinic.waitlist.services.waits_option, a booking's); None when it did not.
    waits: Mapped[bool | None] = query_expression()

    organisation = relationship("Organisation")
    medications: Mapped[list[PatientMedication]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="PatientMedication.id"
    )
    injections: Mapped[list[InjectionRecord]] = relationship(
        back_populates="patient", order_by="InjectionRecord.performed_on"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @validates("first_name", "last_name")
    def _fold_names(self, key: str, value: str) -> str:
        first = value if key == "first_name" else self.first_name
        last = value if key == "last_name" else self.last_name
        self.search_name = fold(f"{first or ''} {last or ''}")
        return value

    def clear_identity(self, name: str, email: str, at: dt.datetime) -> None:
        """Remove what identifies or contacts the person (erasure, a record merged away): the names
        become `name`, the e-mail `email`, the phone goes, the birth date keeps its year."""
        self.first_name = name
        self.last_name = name
        self.email = email
        self.phone = ""
        self.sms_opt_in = False
        self.birth_date = dt.date(self.birth_date.year, 1, 1)
        self.pseudonymised_at = at

    def age_on(self, day: dt.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class PatientMedication(Model):
    __tablename__ = "patient_medications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    drug: Mapped[str] = mapped_column(sa.String(60))
    indication: Mapped[str | None] = mapped_column(sa.String(60))

    patient: Mapped[Patient] = relationship(back_populates="medications")


class InjectionRecord(Model):
    """A completed injection: from a signed procedure record here, or entered from elsewhere."""

    __tablename__ = "injection_records"
    __table_args__ = (sa.CheckConstraint("dose_mg IS NULL OR dose_mg >= 0", name="dose_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"), unique=True)
    performed_on: Mapped[dt.date] = mapped_column(sa.Date)
    procedure_code: Mapped[str] = mapped_column(sa.String(40))
    region: Mapped[str | None] = mapped_column(sa.String(20))
    steroid: Mapped[str | None] = mapped_column(sa.String(60))
    dose_mg: Mapped[float | None] = mapped_column(sa.Float)
    triamcinolone_eq_mg: Mapped[float | None] = mapped_column(sa.Float)
    premedication_steroid: Mapped[str | None] = mapped_column(sa.String(60))
    premedication_eq_mg: Mapped[float | None] = mapped_column(sa.Float)   # triamcinolone-equivalent
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="injections")
