"""The patient's preparation: what to do and when, in the patient's language, with computed dates.
Returns [{"code", "text"}]; texts come from the catalog (preparation.toml)."""

from __future__ import annotations

import datetime as dt

from clinic.catalog.medicines import resolve
from clinic.catalog.rules import common_aftercare, find_drug, label, policy_for, procedure_text, text
from clinic.screening.formats import fmt_date, fmt_instant, fmt_time
from clinic.screening.results import BookingContext, MedicationHold


def language_of(patient) -> str:
    return patient.language if patient.language in ("en", "fr") else "en"


def parse_local(value: str | None) -> dt.date | dt.datetime | None:
    """A stored stop_on/restart_after: a date (YYYY-MM-DD) or an instant with an offset."""
    if not value:
        return None
    return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)


def fmt_local(value: str | None, tz, language: str) -> str:
    parsed = parse_local(value)
    if parsed is None:
        return ""
    if isinstance(parsed, dt.datetime):
        return fmt_instant(parsed, tz, language)
    return fmt_date(parsed, language)


def medication_line(hold: MedicationHold, tz, language: str) -> str:
    drug = hold.label(language)
    if hold.action == "continue":
        return text("lines", "medication_continue", language).format(drug=drug)
    if hold.action == "shared_decision":
        return text("lines", "medication_shared_decision", language).format(drug=drug)
    restart = fmt_local(hold.restart_after, tz, language)
    stop = parse_local(hold.stop_on)
    if stop is None:
        raise ValueError(f"the stop of {hold.drug} has no date")   # every stop hold is written with one
    if isinstance(stop, dt.datetime):
        return text("lines", "medication_stop_hours", language).format(
            drug=drug, stop_on=fmt_instant(stop, tz, language), restart=restart)
    return text("lines", "medication_stop_days", language).format(
        drug=drug, stop_on=fmt_date(stop, language), restart=restart,
        last_dose=fmt_date(stop - dt.timedelta(days=1), language))


def _needs_inr(hold: MedicationHold) -> bool:
    rules = [find_drug(s.rule_code) for s in resolve(hold.drug) if s.action == "hold"]
    return any(rule and any(r.inr_check for r in rule.by_risk.values()) for rule in rules)


def _medications(ctx: BookingContext, holds: list[MedicationHold], language: str) -> list[dict]:
    tz = ctx.site.tz
    items = [{"code": f"medication:{h.drug}", "text": medication_line(h, tz, language)} for h in holds]
    if any(h.action == "stop" and _needs_inr(h) for h in holds):
        items.append({"code": "inr_check", "text": text("lines", "inr_check", language)})
    return items


def _condition_items(ctx: BookingContext, language: str, pregnancy: bool) -> list[dict]:
    items = []
    allergies = list(ctx.patient.allergies or ())
    if allergies:
        names = ", ".join(label("allergy", a, language) for a in allergies)
        items.append({"code": "allergy", "text": text("lines", "allergy", language).format(allergies=names)})
    if "diabetes" in (ctx.patient.conditions or ()):
        key = "diabetes" if ctx.procedure.steroid else "diabetes_no_steroid"
        items.append({"code": "diabetes", "text": text("lines", key, language)})
    if pregnancy:
        items.append({"code": "pregnancy", "text": text("lines", "pregnancy", language)})
    return items


def _sedation_items(ctx: BookingContext, language: str) -> list[dict]:
    if not ctx.sedation:
        return []
    policy, tz = policy_for(ctx.site), ctx.site.tz
    solids = ctx.start_at - dt.timedelta(hours=policy.fasting["solids_hours"])
    liquids = ctx.start_at - dt.timedelta(hours=policy.fasting["clear_liquids_hours"])
    return [
        {"code": "fasting", "text": text("lines", "fasting", language).format(
            solids_from=fmt_instant(solids, tz, language), liquids_until=fmt_instant(liquids, tz, language))},
        {"code": "escort", "text": text("lines", "escort", language).format(
            hours=policy.visit["no_driving_hours_after_sedation"])},
    ]


def _visit_items(ctx: BookingContext, language: str) -> list[dict]:
    policy, tz, site = policy_for(ctx.site), ctx.site.tz, ctx.site
    visit = policy.visit
    arrival = ctx.start_at - dt.timedelta(minutes=visit["arrival_minutes_before"])
    observation = visit["observation_minutes_sedation" if ctx.sedation else "observation_minutes"]
    return [
        {"code": "bring", "text": text("lines", "bring", language)},
        {"code": "arrival", "text": text("lines", "arrival", language).format(
            arrival=fmt_time(arrival, tz, language), date=fmt_date(ctx.start_at.astimezone(tz).date(), language),
            time=fmt_time(ctx.start_at, tz, language), observation=observation)},
        {"code": "address", "text": text("lines", "address", language).format(
            site=site.name, address=site.address or "-", phone=site.phone or "-")},
    ]


def build(ctx: BookingContext, holds: list[MedicationHold], pregnancy: bool = False) -> list[dict]:
    """The preparation items of a booking, in order, in the patient's language."""
    language = language_of(ctx.patient)
    procedure_texts = [{"code": "procedure", "text": line}
                       for line in procedure_text(ctx.procedure.code, "prepare", language)]
    return [
        *procedure_texts,
        *_medications(ctx, holds, language),
        *_condition_items(ctx, language, pregnancy),
        *_sedation_items(ctx, language),
        *_visit_items(ctx, language),
    ]


def emergency_number(site, language: str) -> str:
    """The emergency number of the site's country, from its policy (red flags)."""
    number = policy_for(site).section("emergency").get("number") or {}
    return number.get(language) or number.get("en", "")


def aftercare(procedure_code: str, language: str, site=None) -> list[str]:
    """After-care lines: the procedure's own, then the common ones with the site's emergency number."""
    emergency = emergency_number(site, language)
    return [*procedure_text(procedure_code, "aftercare", language),
            *(line.replace("{emergency}", emergency) for line in common_aftercare(language))]
