"""The screening engine: from the patient, the booking and the screening answers, the warnings,
refusals, medication holds and preparation of a booking. No Flask here.

Warning and refusal codes are the stable codes of the API contract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic.catalog import Procedure
from clinic.patients.models import Patient
from clinic.sites.models import Site

REFUSAL_CODES = ("active_infection", "fever", "bleeding_disorder")


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    source: str
    unconfirmed: bool = False

    def as_json(self) -> dict:
        return {"code": self.code, "message": self.message, "source": self.source}


@dataclass(frozen=True)
class MedicationHold:
    drug: str
    stop_on: str | None          # local date (YYYY-MM-DD) or local instant (ISO with offset)
    restart_after: str | None    # local instant (ISO with offset)
    note: str

    def as_json(self) -> dict:
        return {"drug": self.drug, "stop_on": self.stop_on, "restart_after": self.restart_after, "note": self.note}


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


@dataclass
class ScreeningResult:
    warnings: list[Finding] = field(default_factory=list)
    refusals: list[Finding] = field(default_factory=list)
    holds: list[MedicationHold] = field(default_factory=list)
    preparation: list[dict] = field(default_factory=list)   # [{"code", "text"}] in the patient's language

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def evaluate(ctx: BookingContext) -> ScreeningResult:
    """Screen a booking. Refusals stand unless ctx.override_reason is given (by a physician)."""
    result = ScreeningResult()
    answers = ctx.answers or {}
    refusals = []
    if answers.get("active_infection"):
        refusals.append(Finding("active_infection", "Infection at the site or systemic infection: do not proceed.",
                                "clinical-reference s4"))
    if answers.get("fever"):
        refusals.append(Finding("fever", "Fever: do not proceed.", "clinical-reference s4"))
    if "bleeding_disorder" in (ctx.patient.conditions or []):
        refusals.append(Finding("bleeding_disorder", "Bleeding disorder: do not proceed until resolved.",
                                "clinical-reference s4; ASRA/ESRA 2018"))
    if refusals and ctx.override_reason:
        result.warnings.extend(refusals)
    else:
        result.refusals.extend(refusals)
    return result
