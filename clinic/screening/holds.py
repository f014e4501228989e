"""Blood-thinner holds: from the patient's medications, the procedure's bleeding-risk class (raised
by patient factors) and the catalog, the stop date (or instant) and the restart instant."""

from __future__ import annotations

import datetime as dt

from clinic.catalog import RISK_CLASSES
from clinic.catalog.rules import DrugRule, HoldRule, find_drug, label, policy_for, screening_data
from clinic.screening.messages import finding
from clinic.screening.results import BookingContext, Finding, MedicationHold
from clinic.timeutil import iso_local, local_date


def risk_factors(ctx: BookingContext) -> list[str]:
    """The patient factors (codes) that raise the procedure's bleeding-risk class."""
    data = screening_data()["bleeding_risk_factors"]
    conditions = set(ctx.patient.conditions or ())
    found = [c for c in data["conditions"] if c in conditions]
    if ctx.patient.age_on(local_date(ctx.start_at, ctx.site.tz)) >= data["age_at_least"]:
        found.append("age")
    return found


def bleeding_risk(ctx: BookingContext) -> str:
    """The procedure's class at the booked region, one class higher with any patient factor."""
    base = ctx.procedure.risk_for(ctx.region)
    if not risk_factors(ctx):
        return base
    return RISK_CLASSES[min(RISK_CLASSES.index(base) + 1, len(RISK_CLASSES) - 1)]


def _hold_days(rule: HoldRule, conditions) -> int:
    if rule.days_renal and "kidney_disease" in (conditions or ()):
        return rule.days_renal
    return rule.days or 0


def _one(ctx: BookingContext, drug: DrugRule, risk: str) -> tuple[MedicationHold, list[Finding]]:
    tz = ctx.site.tz
    rule = drug.by_risk[risk]
    restart_at = ctx.end_at + dt.timedelta(hours=drug.restart_hours[risk])
    restart = iso_local(restart_at, tz)
    unconfirmed = rule.unconfirmed or drug.restart_unconfirmed
    values = {"drug": drug.drug, "risk": label("risk", risk, "en"), "risk_fr": label("risk", risk, "fr")}
    if rule.action == "continue":
        return MedicationHold(drug.drug, None, None, "continue", "continue", risk, False, drug.source), []
    if rule.action == "shared_decision":
        note = "shared decision with the prescriber"
        hold = MedicationHold(drug.drug, None, restart, note, "shared_decision", risk, unconfirmed, drug.source)
        return hold, [finding("shared_decision", source=drug.source, details={"drug": drug.drug}, **values)]
    if rule.days is not None:
        days = _hold_days(rule, ctx.patient.conditions)
        stop_on = (local_date(ctx.start_at, tz) - dt.timedelta(days=days)).isoformat()
        hold_text = f"{days} days"
    else:
        stop_on = iso_local(ctx.start_at - dt.timedelta(hours=rule.hours), tz)
        hold_text = f"{rule.hours} h"
    note = f"stop {hold_text} before" + (f" (range {rule.range})" if rule.range else "")
    note += f"; restart {drug.restart_hours[risk]} h after the end"
    hold = MedicationHold(drug.drug, stop_on, restart, note, "stop", risk, unconfirmed, drug.source)
    findings = [finding("anticoagulant_hold", source=drug.source, unconfirmed=unconfirmed,
                        details={"drug": drug.drug, "stop_on": stop_on, "restart_after": restart},
                        hold=hold_text, restart=restart, **values)]
    if rule.inr_check:
        inr = policy_for(ctx.site).inr
        findings.append(finding("inr_check", source=f"{drug.source}; {inr['source']}", unconfirmed=inr["unconfirmed"],
                                details={"drug": drug.drug, "inr_max": inr["max"]}, drug=drug.drug, inr_max=inr["max"]))
    return hold, findings


def medication_holds(ctx: BookingContext, risk: str) -> tuple[list[MedicationHold], list[Finding]]:
    """One hold per blood thinner the patient takes (continue rows included), and the findings."""
    holds: list[MedicationHold] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    for med in ctx.patient.medications or ():
        drug = find_drug(med.drug, med.indication)
        if drug is None or drug.key in seen:
            continue
        seen.add(drug.key)
        hold, found = _one(ctx, drug, risk)
        holds.append(hold)
        findings.extend(found)
    return holds, findings
