"""Steroid exposure: sessions per spinal region and cumulative triamcinolone-equivalent dose over
any rolling window (12 months by default) that contains the new procedure's date.

Counted, from the patient's history that the booking context carries (screening reads nothing
itself; clinic.scheduling.history loads it): the injection records that gave a steroid (the steroid
recorded on the procedure record, or for a record entered from elsewhere a steroid procedure), with
the dose recorded, plus any premedication steroid for a contrast allergy (its dose, no session); and
the patient's other active or completed steroid appointments that have no record yet (with the
catalog's usual dose). Sessions are counted per region group of the site's policy (Medicare:
cervical with thoracic, lumbar with sacral); a medial branch block or an ablation adds nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.catalog import get_procedure
from clinic.catalog.rules import find_steroid, label, policy_for
from clinic.screening.messages import finding
from clinic.screening.results import BookingContext, Finding, PastInjection
from clinic.timeutil import local_date


class HistoryNotLoaded(RuntimeError):
    """A steroid procedure was screened without the patient's history: counting it as "no earlier
    injection" would let a booking past the yearly limits, so screening stops instead."""


@dataclass(frozen=True)
class Exposure:
    day: dt.date
    region: str | None
    mg: float
    session: bool = True         # a steroid injection (a premedication alone adds mg, not a session)


def window_days(site) -> int:
    """The rolling window of the site's policy, in days."""
    return int(policy_for(site).steroid["window_days"])


def history_bounds(site, start_at: dt.datetime) -> tuple[dt.date, dt.date]:
    """The local dates whose injections can fall in a window that contains the procedure's date."""
    days = dt.timedelta(days=window_days(site))
    day = local_date(start_at, site.tz)
    return day - days, day + days


def _steroid_mg(past: PastInjection) -> float:
    """The injected steroid's triamcinolone-equivalent dose: stored, converted, or the usual dose."""
    if past.triamcinolone_eq_mg is not None:
        return float(past.triamcinolone_eq_mg)
    steroid = find_steroid(past.steroid)
    if past.dose_mg is not None:
        return float(past.dose_mg) * (steroid.triamcinolone_eq if steroid else 1.0)
    procedure = get_procedure(past.procedure_code)
    return float(procedure.usual_steroid_dose_mg) if procedure else 0.0


def record_mg(past: PastInjection) -> float:
    """A record's triamcinolone-equivalent dose: the steroid given (if any) and the premedication."""
    return (_steroid_mg(past) if _is_steroid(past) else 0.0) + float(past.premedication_eq_mg or 0.0)


def _region(region: str | None, procedure_code: str) -> str | None:
    procedure = get_procedure(procedure_code)
    if region or procedure is None:
        return region
    return procedure.regions[0] if len(procedure.regions) == 1 else None


def exposures(ctx: BookingContext, window: int) -> list[Exposure]:
    """The patient's other steroid injections within `window` days either side of the procedure date."""
    if ctx.history is None:
        raise HistoryNotLoaded(f"patient {ctx.patient.id}: steroid history not loaded for {ctx.procedure.code}")
    day = local_date(ctx.start_at, ctx.site.tz)
    low, high = day - dt.timedelta(days=window), day + dt.timedelta(days=window)
    inside = [p for p in ctx.history if low <= p.performed_on <= high]
    records = [p for p in inside if p.recorded]
    found = [Exposure(p.performed_on, _region(p.region, p.procedure_code), record_mg(p), _is_steroid(p))
             for p in records if _is_steroid(p) or p.premedication_eq_mg]
    documented = {p.appointment_id for p in records if p.appointment_id is not None}
    for past in inside:
        procedure = get_procedure(past.procedure_code)
        if (past.recorded or past.appointment_id in documented or past.appointment_id == ctx.exclude_appointment_id
                or procedure is None or not procedure.steroid):
            continue
        found.append(Exposure(past.performed_on, _region(past.region, past.procedure_code),
                              float(procedure.usual_steroid_dose_mg)))
    return found


def _is_steroid(past: PastInjection) -> bool:
    """A steroid was given: the one recorded, or (entered from elsewhere) a steroid procedure."""
    if past.steroid:
        return True
    procedure = get_procedure(past.procedure_code)
    return past.appointment_id is None and bool(procedure and procedure.steroid)


def worst_window(events: list[Exposure], day: dt.date, window: int) -> tuple[int, float]:
    """Most sessions and most mg in any window of `window` days that contains `day`."""
    best_count, best_mg = 0, 0.0
    starts = {e.day for e in events if day - dt.timedelta(days=window - 1) <= e.day <= day} | {day}
    for start in starts:
        end = start + dt.timedelta(days=window - 1)
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
    window = window_days(ctx.site)
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
