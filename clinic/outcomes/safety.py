"""Safety view: complications, rule overrides, steroid exposure outliers, radiation per procedure.

Contract with the procedure-day checklist (item codes in clinic/catalog/data/outcomes.toml,
[procedure_record]): a ChecklistEntry with item_code "complications" and a non-empty value is a
recorded complication; "fluoroscopy_time_s" (seconds) and "dose_area_product" entries hold a
number (or a {"value": number, ...} mapping). Superseded entries (amended later) are ignored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from clinic.accounts.models import User
from clinic.audit.services import record_shown
from clinic.extensions import db
from clinic.outcomes import reference, stats
from clinic.outcomes.services import ReportFilter, _utc_window, filter_appointments
from clinic.patients.models import InjectionRecord, Patient
from clinic.procedures.models import Checklist, ChecklistEntry
from clinic.scheduling.models import Appointment
from clinic.sites.models import Site
from clinic.timeutil import local_date


@dataclass
class Event:
    """One line of the complications or overrides table."""

    day: dt.date
    site: str
    procedure_code: str
    patient_id: int
    patient: str
    text: str
    who: str = ""
    item: str = ""


@dataclass
class Outlier:
    patient_id: int
    patient: str
    site: str
    total_mg: float
    limit_mg: float
    limit_source: str
    injections: int


@dataclass
class Radiation:
    procedure_code: str
    fluoro_n: int = 0
    fluoro_median: float | None = None
    fluoro_p90: float | None = None
    dap_n: int = 0
    dap_median: float | None = None
    dap_p90: float | None = None


@dataclass
class SafetyView:
    filters: ReportFilter
    complications: list[Event] = field(default_factory=list)
    overrides: list[Event] = field(default_factory=list)
    outliers: list[Outlier] = field(default_factory=list)
    radiation: list[Radiation] = field(default_factory=list)


def is_empty_value(value: object) -> bool:
    """True for a value that records no complication (null, blank, empty, false, 'none')."""
    if value is None or value is False:
        return True
    if isinstance(value, dict):
        if "value" in value or "text" in value:
            return is_empty_value(value.get("value", value.get("text")))
        return all(is_empty_value(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(is_empty_value(v) for v in value)
    if isinstance(value, str):
        words = reference.record_codes()["no_complication_words"]
        return value.strip().lower().rstrip(".") in ("", *words)
    return False


def as_number(value: object) -> float | None:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _text(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("text", value.get("value", value))
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _appointments(f: ReportFilter):
    """Appointments of the period's local dates (any status) with their site and patient."""
    start, end = _utc_window(f.date_from, f.date_to)
    query = (
        sa.select(Appointment, Site, Patient)
        .join(Site, Site.id == Appointment.site_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Appointment.start_at >= start, Appointment.start_at < end)
    )
    query = filter_appointments(query, f)
    found = {}
    for appt, site, patient in db.session.execute(query):
        day = local_date(appt.start_at, ZoneInfo(site.timezone))
        if f.date_from <= day <= f.date_to:
            found[appt.id] = (appt, site, patient, day)
    return found


def _entries(appointment_ids: list[int], codes: tuple[str, ...]):
    """Current (not superseded) checklist entries with these item codes, with the recorder."""
    if not appointment_ids:
        return []
    recorder = aliased(User)
    query = (
        sa.select(ChecklistEntry, Checklist.appointment_id, recorder.name)
        .join(Checklist, Checklist.id == ChecklistEntry.checklist_id)
        .outerjoin(recorder, recorder.id == ChecklistEntry.recorded_by_id)
        .where(Checklist.appointment_id.in_(appointment_ids), ChecklistEntry.superseded_by_id.is_(None))
        .order_by(ChecklistEntry.id)
    )
    if codes:
        query = query.where(ChecklistEntry.item_code.in_(codes))
    return list(db.session.execute(query))


def _event(appts, appointment_id: int, text: str, who: str = "", item: str = "") -> Event:
    appt, site, patient, day = appts[appointment_id]
    return Event(day, site.name, appt.procedure_code, patient.id, patient.full_name, text, who or "", item)


def complications(appts) -> list[Event]:
    code = reference.record_codes()["complications"]
    return [
        _event(appts, appointment_id, _text(entry.value), who)
        for entry, appointment_id, who in _entries(list(appts), (code,))
        if not is_empty_value(entry.value)
    ]


def overrides(appts) -> list[Event]:
    names = dict(db.session.execute(sa.select(User.id, User.name)).tuples().all())
    events = [
        _event(appts, appt.id, appt.override_reason, names.get(appt.override_by_id, ""), "appointment")
        for appt, *_ in appts.values()
        if appt.override_reason
    ]
    events += [
        _event(appts, appointment_id, entry.override_reason, who, entry.item_code)
        for entry, appointment_id, who in _entries(list(appts), ())
        if entry.override_reason
    ]
    return sorted(events, key=lambda e: (e.day, e.patient))


def radiation(appts) -> list[Radiation]:
    codes = reference.record_codes()
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for entry, appointment_id, _ in _entries(list(appts), (codes["fluoroscopy_time"], codes["dose_area_product"])):
        number = as_number(entry.value)
        if number is not None:
            values[appts[appointment_id][0].procedure_code][entry.item_code].append(number)
    rows = []
    for procedure_code in sorted(values):
        fluoro = values[procedure_code][codes["fluoroscopy_time"]]
        dap = values[procedure_code][codes["dose_area_product"]]
        rows.append(Radiation(
            procedure_code, len(fluoro), stats.median(fluoro), stats.percentile(fluoro, 90),
            len(dap), stats.median(dap), stats.percentile(dap, 90),
        ))
    return rows


def steroid_outliers(f: ReportFilter, appts) -> list[Outlier]:
    """Patients seen in the period whose triamcinolone-equivalent total over the 12 months ending
    on the period's last day exceeds the limit of the site where they were last seen."""
    last_site: dict[int, Site] = {}
    for appt, site, _patient, _day in sorted(appts.values(), key=lambda a: a[0].start_at):
        last_site[appt.patient_id] = site
    if not last_site:
        return []
    since = f.date_to - dt.timedelta(days=365)
    totals = db.session.execute(
        # The steroid injected and any premedication steroid for a contrast allergy (docs/clinical-rules.md, Steroids).
        sa.select(InjectionRecord.patient_id,
                  sa.func.sum(sa.func.coalesce(InjectionRecord.triamcinolone_eq_mg, 0)
                              + sa.func.coalesce(InjectionRecord.premedication_eq_mg, 0)), sa.func.count())
        .where(InjectionRecord.patient_id.in_(list(last_site)))
        .where(InjectionRecord.performed_on > since, InjectionRecord.performed_on <= f.date_to)
        .group_by(InjectionRecord.patient_id)
    ).all()
    patients = {p.id: p for _a, _s, p, _d in appts.values()}
    outliers = []
    for patient_id, total, count in totals:
        site = last_site[patient_id]
        limit = reference.steroid_limit(site.policy)
        if total is not None and total > limit.mg:
            outliers.append(Outlier(patient_id, patients[patient_id].full_name, site.name, float(total),
                                    limit.mg, limit.source, count))
    return sorted(outliers, key=lambda o: -o.total_mg)


def safety_view(f: ReportFilter) -> SafetyView:
    """Every table of the safety view; each patient shown is recorded in the audit log."""
    appts = _appointments(f)
    view = SafetyView(f, complications(appts), overrides(appts), steroid_outliers(f, appts), radiation(appts))
    shown = {e.patient_id for e in view.complications + view.overrides} | {o.patient_id for o in view.outliers}
    record_shown("outcomes.safety.view", [(patient_id, None) for patient_id in shown], f.as_dict())
    return view
