"""The values the screening engine returns. Re-exported by clinic.screening.services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from clinic.catalog import Procedure
from clinic.patients.models import Patient
from clinic.sites.models import Site

REFUSAL_CODES = ("active_infection", "fever", "bleeding_disorder")
WARNING_CODES = (
    "anticoagulant_hold", "inr_check", "shared_decision", "steroid_exposure", "particulate_steroid",
    "contrast_allergy", "pregnancy_check", "diabetes_glucose", "sedation_fasting", "sedation_escort",
    "conservative_care", "imaging_missing", "caution_condition", "site_policy", "medication_unrecognised",
    "hold_not_achievable", "medication_caution",
)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str                  # English (the API's `message`)
    source: str
    unconfirmed: bool = False
    message_fr: str = ""
    details: dict = field(default_factory=dict, compare=False, hash=False)

    def as_json(self) -> dict:
        out: dict[str, Any] = {"code": self.code, "message": self.message, "source": self.source}
        if self.message_fr:
            out["message_fr"] = self.message_fr
        if self.unconfirmed:
            out["unconfirmed"] = True
        if self.details:
            out["details"] = self.details
        return out

    def text(self, language: str) -> str:
        return self.message_fr if language == "fr" and self.message_fr else self.message


@dataclass(frozen=True)
class MedicationHold:
    drug: str
    stop_on: str | None          # local date (YYYY-MM-DD) or local instant (ISO with offset)
    restart_after: str | None    # local instant (ISO with offset)
    note: str
    action: str = "stop"         # stop, continue or shared_decision
    risk: str = ""               # the bleeding-risk class the rule was read for
    unconfirmed: bool = False
    source: str = ""
    drug_fr: str = ""            # the substance's French name
    as_written: str = ""         # the medicine as the patient's record names it ("Kardégic 75 mg")

    def as_json(self) -> dict:
        out: dict[str, Any] = {"drug": self.drug, "stop_on": self.stop_on, "restart_after": self.restart_after, "note": self.note,
               "action": self.action, "risk": self.risk}
        if self.drug_fr:
            out["drug_fr"] = self.drug_fr
        if self.as_written:
            out["as_written"] = self.as_written
        if self.unconfirmed:
            out["unconfirmed"] = True
        return out

    def label(self, language: str) -> str:
        return self.drug_fr if language == "fr" and self.drug_fr else self.drug

    @classmethod
    def from_json(cls, raw: dict) -> MedicationHold:
        """A hold as an appointment stored it (older bookings stored no action: a stop date means stop)."""
        return cls(raw.get("drug", ""), raw.get("stop_on"), raw.get("restart_after"), raw.get("note", ""),
                   raw.get("action", "stop" if raw.get("stop_on") else "continue"),
                   drug_fr=raw.get("drug_fr", ""), as_written=raw.get("as_written", ""))


@dataclass(frozen=True)
class PastInjection:
    """One steroid event of the patient's history, as screening counts it: an injection record (given
    here or entered from elsewhere), or another appointment of the patient that has no record yet."""
    performed_on: dt.date        # the local date at its site
    procedure_code: str
    region: str | None = None
    steroid: str | None = None            # recorded steroid (records only)
    dose_mg: float | None = None
    triamcinolone_eq_mg: float | None = None
    premedication_eq_mg: float | None = None
    appointment_id: int | None = None     # the appointment a record documents; None for one from elsewhere
    recorded: bool = True                 # False: a booked or completed appointment without its record


@dataclass
class BookingContext:
    patient: Patient
    procedure: Procedure
    site: Site
    start_at: dt.datetime        # UTC
    end_at: dt.datetime          # UTC
    region: str | None = None
    side: str | None = None
    sedation: bool = False
    answers: dict = field(default_factory=dict)   # possible_pregnancy, active_infection, fever, ...
    override_reason: str | None = None            # a physician's recorded reason
    exclude_appointment_id: int | None = None     # the appointment being rescheduled
    now: dt.datetime | None = None                # the booking instant (UTC); the clock when None
    medications: tuple[tuple[str, str | None], ...] | None = None  # as checked at booking; None: on file
    # The patient's steroid history around the date (see clinic.scheduling.history); None: not loaded,
    # which screening refuses to read as "no history" for a steroid procedure.
    history: tuple[PastInjection, ...] | None = None


@dataclass
class ScreeningResult:
    warnings: list[Finding] = field(default_factory=list)
    refusals: list[Finding] = field(default_factory=list)
    holds: list[MedicationHold] = field(default_factory=list)
    preparation: list[dict] = field(default_factory=list)   # [{"code", "text"}] in the patient's language
    bleeding_risk: str = ""                                  # the class after patient factors
    risk_factors: list[str] = field(default_factory=list)    # the patient factors that raised it
    overridden: list[Finding] = field(default_factory=list)  # refusals a physician's reason lifted

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    def codes(self) -> list[str]:
        return [f.code for f in self.warnings]

    @property
    def earliest_date(self) -> str | None:
        """The earliest local date (YYYY-MM-DD) on which every hold can be kept, when one cannot."""
        dates = [f.details["earliest_date"] for f in self.warnings if f.code == "hold_not_achievable"]
        return max(dates) if dates else None

    @property
    def earliest_day(self) -> dt.date | None:
        return dt.date.fromisoformat(self.earliest_date) if self.earliest_date else None
