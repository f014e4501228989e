"""Blood-thinner holds: from the patient's medications (resolved to substances by the medicine
vocabulary), the procedure's bleeding-risk class (raised by patient factors) and the catalog, the
stop date (or instant) and the restart instant. A medicine the vocabulary does not know is flagged;
a hold that can no longer be kept before the booked date says so, with the earliest date it can."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinic.catalog import RISK_CLASSES
from clinic.catalog.medicines import Taken, closest, patient_medicines
from clinic.catalog.rules import CatalogError, DrugRule, HoldRule, find_drug, label, policy_for, screening_data
from clinic.db import utcnow
from clinic.screening.formats import fmt_date, fmt_instant
from clinic.screening.messages import finding
from clinic.screening.results import BookingContext, Finding, MedicationHold
from clinic.timeutil import iso_local, local_date


def _antithrombotics(ctx: BookingContext) -> set[str]:
    groups = set(screening_data()["bleeding_risk_factors"]["concurrent_antithrombotics"]["groups"])
    taken, _unknown = patient_medicines(ctx.patient, ctx.medications)
    codes = set()
    for t in taken:
        rule = find_drug(t.substance.rule_code) if t.substance.action == "hold" else None
        if rule is not None and rule.group in groups:
            codes.add(t.substance.code)
    return codes


def risk_factors(ctx: BookingContext) -> list[str]:
    """The patient factors (codes) that raise the procedure's bleeding-risk class."""
    data = screening_data()["bleeding_risk_factors"]
    conditions = set(ctx.patient.conditions or ())
    found = [c for c in data["conditions"] if c in conditions]
    if ctx.patient.age_on(local_date(ctx.start_at, ctx.site.tz)) >= data["age_at_least"]:
        found.append("age")
    if len(_antithrombotics(ctx)) >= data["concurrent_antithrombotics"]["at_least"]:
        found.append("concurrent_antithrombotics")
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


LANGUAGES = ("en", "fr")
DAYS = {"en": ("{n} day", "{n} days"), "fr": ("{n} jour", "{n} jours")}


def _in_words(value: dt.date | dt.datetime, tz) -> dict[str, str]:
    """A date or an instant on the site's clock as each language's message writes it (never ISO)."""
    if isinstance(value, dt.datetime):
        return {lang: fmt_instant(value, tz, lang) for lang in LANGUAGES}
    return {lang: fmt_date(value, lang) for lang in LANGUAGES}


def _hold_words(days: int, hours: int | None) -> dict[str, str]:
    if hours is not None:
        return {lang: f"{hours} h" for lang in LANGUAGES}
    return {lang: DAYS[lang][days != 1].format(n=days) for lang in LANGUAGES}


def _not_achievable(ctx: BookingContext, names: dict, words: dict[str, str], stop: dt.date | dt.datetime,
                    rule: HoldRule, days: int) -> Finding | None:
    """hold_not_achievable when the stop is already past at booking (the patient, told now, can
    stop from tomorrow for a hold in days, from now for one in hours)."""
    tz, now = ctx.site.tz, ctx.now or utcnow()
    if ctx.start_at <= now:
        return None   # a procedure under way or over: nothing left to plan
    if isinstance(stop, dt.datetime):
        if stop > now:
            return None
        earliest = local_date(now + dt.timedelta(hours=rule.stop_hours), tz)
        stop_text = iso_local(stop, tz)
    else:
        today = local_date(now, tz)
        if stop > today:
            return None
        earliest = today + dt.timedelta(days=days + 1)
        stop_text = stop.isoformat()
    return finding("hold_not_achievable", details={"drug": names["en"], "hold": words["en"], "stop_on": stop_text,
                                                   "earliest_date": earliest.isoformat()},
                   drug=names, hold=words, stop_on=_in_words(stop, tz), earliest=_in_words(earliest, tz))


def _stop(ctx: BookingContext, taken: Taken, drug: DrugRule, risk: str) -> tuple[MedicationHold, list[Finding]]:
    tz, rule, substance = ctx.site.tz, drug.by_risk[risk], taken.substance
    names = substance.name
    restart_at = ctx.end_at + dt.timedelta(hours=drug.restart_hours[risk])
    restart = iso_local(restart_at, tz)
    unconfirmed = rule.unconfirmed or drug.restart_unconfirmed or substance.unconfirmed
    days = _hold_days(rule, ctx.patient.conditions) if rule.days is not None else 0
    if rule.days is not None:
        stop: dt.date | dt.datetime = local_date(ctx.start_at, tz) - dt.timedelta(days=days)
        stop_on, hold_text = stop.isoformat(), f"{days} days"
    else:
        stop = stop_at = ctx.start_at - dt.timedelta(hours=rule.stop_hours)
        stop_on, hold_text = stop_at.astimezone(tz).isoformat(), f"{rule.hours} h"
    words = _hold_words(days, rule.hours if rule.days is None else None)
    note = f"stop {hold_text} before" + (f" (range {rule.range})" if rule.range else "")
    note += f"; restart {drug.restart_hours[risk]} h after the end"
    hold = MedicationHold(names["en"], stop_on, restart, note, "stop", risk, unconfirmed, drug.source,
                          names["fr"], taken.written)
    values: dict[str, Any] = {"drug": names, "risk": label("risk", risk, "en"), "risk_fr": label("risk", risk, "fr")}
    found = [finding("anticoagulant_hold", source=drug.source, unconfirmed=unconfirmed,
                     details={"drug": names["en"], "stop_on": stop_on, "restart_after": restart},
                     hold=words, restart=_in_words(restart_at, tz), **values)]
    late = _not_achievable(ctx, names, words, stop, rule, days)
    if late is not None:
        found.append(late)
    if rule.inr_check:
        inr = policy_for(ctx.site).inr
        found.append(finding("inr_check", source=f"{drug.source}; {inr['source']}", unconfirmed=inr["unconfirmed"],
                             details={"drug": names["en"], "inr_max": inr["max"]}, drug=names, inr_max=inr["max"]))
    return hold, found


def _one(ctx: BookingContext, taken: Taken, risk: str) -> tuple[MedicationHold | None, list[Finding]]:
    substance = taken.substance
    names = substance.name
    if substance.action == "none":
        return None, []
    if substance.action == "caution":
        hold = MedicationHold(names["en"], None, None, "caution: continue", "continue", risk, False,
                              substance.source, names["fr"], taken.written)
        return hold, [finding("medication_caution", source=substance.source, details={"drug": names["en"]},
                              drug=names)]
    drug = find_drug(substance.rule_code, taken.indication)
    if drug is None:   # the catalog's own check gives every substance a rule: refuse rather than guess
        raise CatalogError(f"no hold rule for {substance.rule_code}")
    rule = drug.by_risk[risk]
    if rule.action == "stop":
        return _stop(ctx, taken, drug, risk)
    unconfirmed = rule.unconfirmed or substance.unconfirmed
    if rule.action == "continue":
        return MedicationHold(names["en"], None, None, "continue", "continue", risk, unconfirmed, drug.source,
                              names["fr"], taken.written), []
    # A shared decision: no stop date, and no restart instant (nothing to take "again").
    hold = MedicationHold(names["en"], None, None, "shared decision with the prescriber", "shared_decision", risk,
                          unconfirmed, drug.source, names["fr"], taken.written)
    values: dict[str, Any] = {"drug": names, "risk": label("risk", risk, "en"), "risk_fr": label("risk", risk, "fr")}
    return hold, [finding("shared_decision", source=drug.source, details={"drug": names["en"]}, **values)]


def unrecognised(names: list[str]) -> list[Finding]:
    """One medication_unrecognised warning per medicine the vocabulary does not know."""
    return [finding("medication_unrecognised", details={"drug": name, "closest": closest(name)},
                    drug=name, closest=", ".join(closest(name)) or "-") for name in names]


def medication_holds(ctx: BookingContext, risk: str) -> tuple[list[MedicationHold], list[Finding]]:
    """One hold per substance the patient takes (continue rows included), and the findings."""
    holds: list[MedicationHold] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    taken, unknown = patient_medicines(ctx.patient, ctx.medications)
    for item in taken:
        if item.substance.code in seen:
            continue
        seen.add(item.substance.code)
        hold, found = _one(ctx, item, risk)
        if hold is not None:
            holds.append(hold)
        findings.extend(found)
    findings.extend(unrecognised(unknown))
    return holds, findings
