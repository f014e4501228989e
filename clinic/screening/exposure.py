"""Steroid exposure: sessions per spinal region and cumulative triamcinolone-equivalent dose over
any rolling window (12 months by default) that contains the new procedure's date.

Counted: the patient's injection records that gave a steroid (the steroid recorded on the
procedure record, or for a record entered from elsewhere a steroid procedure), with the dose
recorded, plus any premedication steroid for a contrast allergy (its dose, no session); and the
patient's other active or completed steroid appointments that have no record yet (with the
catalog's usual dose). Sessions are counted per region group of the site's policy (Medicare:
cervical with thoracic, lumbar with sacral); a medial branch block or an ablation adds nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from clinic.catalog import get_procedure
from clinic.catalog.rules import find_steroid, label, policy_for
from clinic.extensions import db
from clinic.patients.models import InjectionRecord
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from clinic.screening.messages import finding
from clinic.screening.results import BookingContext, Finding
from clinic.timeutil import local_date


@dataclass(frozen=True)
class Exposure:
    day: dt.date
    region: str | None
    mg: float
    session: bool = True         # a steroid injection (a premedication alone adds mg, not a session)


def _steroid_mg(record: InjectionRecord) -> float:
    """The injected steroid's triamcinolone-equivalent dose: stored, converted, or the usual dose."""
    if record.triamcinolone_eq_mg is not None:
        return float(record.triamcinolone_eq_mg)
    steroid = find_steroid(record.steroid)
    if record.dose_mg is not None:
        return float(record.dose_mg) * (steroid.triamcinolone_eq if steroid else 1.0)
    procedure = get_procedure(record.procedure_code)
    return float(procedure.usual_steroid_dose_mg) if procedure else 0.0


def record_mg(record: InjectionRecord) -> float:
    """A record's triamcinolone-equivalent dose: the steroid given (if any) and the premedication."""
    return (_steroid_mg(record) if _is_steroid(record) else 0.0) + float(record.premedication_eq_mg or 0.0)


def _region(region: str | None, procedure_code: str) -> str | None:
    procedure = get_procedure(procedure_code)
    if region or procedure is None:
        return region
    return procedure.regions[0] if len(procedure.regions) == 1 else None


def _appointment_region(appointment: Appointment) -> str | None:
    return _region(appointment.region, appointment.procedure_code)


def exposures(ctx: BookingContext, window_days: int) -> list[Exposure]:
    """The patient's other steroid injections within `window_days` either side of the procedure date."""
    day = local_date(ctx.start_at, ctx.site.tz)
    low, high = day - dt.timedelta(days=window_days), day + dt.timedelta(days=window_days)
    patient_id = ctx.patient.id
    # No autoflush: a booking not yet flushed (the one being screened) must not count itself.
    with db.session.no_autoflush:
        records = db.session.scalars(
            sa.select(InjectionRecord).where(InjectionRecord.patient_id == patient_id,
                                             InjectionRecord.performed_on.between(low, high))
        ).all()
        found = [Exposure(r.performed_on, _region(r.region, r.procedure_code), record_mg(r), _is_steroid(r))
                 for r in records if _is_steroid(r) or r.premedication_eq_mg]
        recorded = {r.appointment_id for r in records if r.appointment_id is not None}
        margin = dt.timedelta(days=window_days + 2)
        query = sa.select(Appointment).where(
            Appointment.patient_id == patient_id,
            Appointment.status.in_([*ACTIVE_STATUSES, AppointmentStatus.COMPLETED]),
            Appointment.start_at.between(ctx.start_at - margin, ctx.start_at + margin),
        )
        if ctx.exclude_appointment_id is not None:
            query = query.where(Appointment.id != ctx.exclude_appointment_id)
        for appt in db.session.scalars(query):
            procedure = get_procedure(appt.procedure_code)
            if appt.id in recorded or procedure is None or not procedure.steroid:
                continue
            appt_day = local_date(appt.start_at, appt.site.tz)
            if low <= appt_day <= high:
                found.append(Exposure(appt_day, _appointment_region(appt), float(procedure.usual_steroid_dose_mg)))
    return found


def _is_steroid(record: InjectionRecord) -> bool:
    """A steroid was given: the one recorded, or (entered from elsewhere) a steroid procedure."""
    if record.steroid:
        return True
    procedure = get_procedure(record.procedure_code)
    return record.appointment_id is None and bool(procedure and procedure.steroid)


def worst_window(events: list[Exposure], day: dt.date, window_days: int) -> tuple[int, float]:
    """Most sessions and most mg in any window of `window_days` days that contains `day`."""
    best_count, best_mg = 0, 0.0
    starts = {e.day for e in events if day - dt.timedelta(days=window_days - 1) <= e.day <= day} | {day}
    for start in starts:
        end = start + dt.timedelta(days=window_days - 1)
        inside = [e for e in events if start <= e.day <= end]
        best_count = max(best_count, len(inside))
        best_mg = max(best_mg, sum(e.mg for e in inside))
    return best_count, best_mg


def effective_region(ctx: BookingContext) -> str | None:
    if ctx.region:
        return ctx.region
    regions = ctx.procedure.regions
    return regions[0] if len(regions) == 1 else None


def steroid_exposure(ctx: BookingContext) -> Finding | None:
    """A steroid_exposure warning when the booking takes the patient past the site's limits."""
    if not ctx.procedure.steroid:
        return None
    limits = policy_for(ctx.site).steroid
    window = int(limits["window_days"])
    day = local_date(ctx.start_at, ctx.site.tz)
    region = effective_region(ctx)
    new = Exposure(day, region, float(ctx.procedure.usual_steroid_dose_mg))
    events = [*exposures(ctx, window), new]
    groups = limits["region_groups"]
    group = groups.get(region or "")
    same = [e for e in events if e.session and group is not None and groups.get(e.region or "") == group]
    sessions, _ = worst_window(same, day, window) if group else (0, 0.0)
    _, dose = worst_window(events, day, window)
    max_sessions, max_mg = limits["max_sessions_per_region"], limits["max_triamcinolone_eq_mg_per_year"]
    if sessions <= max_sessions and dose <= max_mg:
        return None
    details = {"region": region, "region_group": group, "sessions": sessions, "max_sessions": max_sessions,
               "triamcinolone_eq_mg": round(dose, 1), "max_mg": max_mg}
    return finding(
        "steroid_exposure", source=limits["source"], unconfirmed=limits["unconfirmed"], details=details,
        sessions=sessions, max_sessions=max_sessions, dose_mg=f"{dose:g}", max_mg=max_mg,
        region=label("region", group or region or "any", "en"), region_fr=label("region", group or region or "any", "fr"),
    )
