"""The screening engine: from the patient, the booking and the screening answers, the warnings,
refusals, medication holds and preparation of a booking. No Flask here.

Warning and refusal codes are the stable codes of the API contract. Every threshold, text and
source comes from the catalog's data files (clinic/catalog/data/).
"""

from __future__ import annotations

from clinic.catalog.rules import label, policy_for, screening_data
from clinic.screening import preparation
from clinic.screening.exposure import steroid_exposure
from clinic.screening.holds import bleeding_risk, medication_holds, risk_factors
from clinic.screening.messages import finding
from clinic.screening.pregnancy import is_yes as _yes
from clinic.screening.pregnancy import pregnancy_check
from clinic.screening.results import (
    REFUSAL_CODES,
    WARNING_CODES,
    BookingContext,
    Finding,
    MedicationHold,
    ScreeningResult,
)
from clinic.timeutil import local_date

__all__ = [
    "REFUSAL_CODES", "WARNING_CODES", "BookingContext", "Finding", "MedicationHold", "ScreeningResult",
    "evaluate", "prepare", "risk_factors",
]



def _pregnancy(ctx: BookingContext) -> bool:
    return pregnancy_check(ctx.patient, ctx.procedure, ctx.site, local_date(ctx.start_at, ctx.site.tz), ctx.answers)


def _no(value) -> bool:
    """True only for an explicit "no" (an unanswered question is not a no)."""
    if isinstance(value, str):
        return value.strip().lower() in {"0", "false", "no", "off", "n", "non"}
    return value is False


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number >= 0 else None   # NaN and negatives are no answer


def _refusals(ctx: BookingContext) -> list[Finding]:
    answers = ctx.answers or {}
    found = [finding(code) for code in ("active_infection", "fever") if _yes(answers.get(code))]
    if "bleeding_disorder" in (ctx.patient.conditions or ()):
        found.append(finding("bleeding_disorder"))
    return found


def _allergy_finding(ctx: BookingContext) -> Finding | None:
    thresholds = screening_data()["thresholds"]
    allergies = set(ctx.patient.allergies or ())
    relevant = [a for a in thresholds["plan_allergies"] if a in allergies]
    if not ctx.procedure.contrast:
        relevant = [a for a in relevant if a not in thresholds["contrast_allergies"]]
    if not ctx.procedure.steroid:
        relevant = [a for a in relevant if a != "corticosteroid"]
    if not relevant:
        return None
    names = {lang: ", ".join(label("allergy", a, lang) for a in relevant) for lang in ("en", "fr")}
    return finding("contrast_allergy", details={"allergies": relevant}, allergies=names)


def _patient_findings(ctx: BookingContext) -> list[Finding]:
    answers = ctx.answers or {}
    thresholds = screening_data()["thresholds"]
    conditions = set(ctx.patient.conditions or ())
    found = [_allergy_finding(ctx)]
    if _pregnancy(ctx):
        found.append(finding("pregnancy_check"))
    if "diabetes" in conditions and ctx.procedure.steroid:   # the rise follows the steroid
        found.append(finding("diabetes_glucose"))
    weeks = _number(answers.get("conservative_care_weeks"))
    min_weeks = thresholds["conservative_care_weeks"]
    if weeks is not None and weeks < min_weeks:
        found.append(finding("conservative_care", source=thresholds["conservative_care_source"],
                             weeks=f"{weeks:g}", min_weeks=min_weeks))
    if _no(answers.get("recent_imaging")):
        found.append(finding("imaging_missing"))
    caution = [c for c in thresholds["caution_conditions"] if c in conditions]
    if caution:
        names = {lang: ", ".join(label("condition", c, lang) for c in caution) for lang in ("en", "fr")}
        found.append(finding("caution_condition", details={"conditions": caution}, conditions=names))
    return [f for f in found if f is not None]


def _procedure_findings(ctx: BookingContext) -> list[Finding]:
    policy = policy_for(ctx.site)
    found = []
    exposure = steroid_exposure(ctx)
    if exposure is not None:
        found.append(exposure)
    if ctx.procedure.steroid and ctx.procedure.non_particulate_steroid:
        found.append(finding("particulate_steroid"))
    if ctx.sedation:
        fasting, visit = policy.fasting, policy.visit
        found.append(finding("sedation_fasting", source=fasting["source"], unconfirmed=fasting["unconfirmed"],
                             solids_hours=fasting["solids_hours"], liquids_hours=fasting["clear_liquids_hours"]))
        found.append(finding("sedation_escort", no_driving_hours=visit["no_driving_hours_after_sedation"]))
    for rule in policy.rules:
        if rule.matches(ctx.procedure.code, ctx.region, ctx.patient.conditions, ctx.procedure.steroid):
            found.append(Finding(rule.code, rule.message["en"], rule.source, rule.unconfirmed, rule.message["fr"],
                                 {"rule": rule.id, "policy": policy.code}))
    return found


def evaluate(ctx: BookingContext) -> ScreeningResult:
    """Screen a booking. Refusals stand unless ctx.override_reason is given (by a physician): then
    they are kept as warnings (and in `overridden`) and the booking may go ahead.

    A pure function of the context: the patient's steroid history comes in `ctx.history` (a steroid
    procedure without it raises HistoryNotLoaded), the policy and the vocabulary from the catalog."""
    return _evaluate(ctx)


def prepare(ctx: BookingContext) -> tuple[list[dict], list[MedicationHold]]:
    """The preparation and the medicine holds alone (the sheet of a booking that stored none)."""
    holds, _ = medication_holds(ctx, bleeding_risk(ctx))
    return preparation.build(ctx, holds, _pregnancy(ctx)), holds


def _evaluate(ctx: BookingContext) -> ScreeningResult:
    result = ScreeningResult()
    refusals = _refusals(ctx)
    if refusals and ctx.override_reason:
        result.overridden.extend(refusals)
        result.warnings.extend(refusals)
    else:
        result.refusals.extend(refusals)
    result.bleeding_risk = bleeding_risk(ctx)
    result.risk_factors = risk_factors(ctx)
    result.holds, hold_findings = medication_holds(ctx, result.bleeding_risk)
    result.warnings.extend(hold_findings)
    result.warnings.extend(_procedure_findings(ctx))
    result.warnings.extend(_patient_findings(ctx))
    result.preparation = preparation.build(ctx, result.holds, _pregnancy(ctx))
    return result
