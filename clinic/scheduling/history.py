"""The patient's steroid history that screening counts, loaded for a booking context.

Screening reads nothing itself: the booking services load the injection records and the patient's
other appointments around the date here and hand them over as `PastInjection` values."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clinic.catalog import Procedure
from clinic.extensions import db
from clinic.patients.models import InjectionRecord, Patient
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from clinic.screening.exposure import history_bounds
from clinic.screening.results import PastInjection
from clinic.sites.models import Site
from clinic.timeutil import local_date, local_day_bounds

COUNTED_STATUSES = (*ACTIVE_STATUSES, AppointmentStatus.COMPLETED)


def steroid_history(patient: Patient, site: Site, procedure: Procedure,
                    start_at: dt.datetime) -> tuple[PastInjection, ...] | None:
    """The records and appointments that may count against a steroid procedure at `start_at`; None
    for a procedure without steroid (nothing is counted, nothing is read).

    Nothing is flushed meanwhile (not even to reload the patient), so a booking already added to the
    session (the one being screened) is never counted against itself."""
    if not procedure.steroid:
        return None
    low, high = history_bounds(site, start_at)
    # An appointment elsewhere may sit in another time zone: read a day more either side, and let
    # screening keep those whose local date falls inside.
    after, _ = local_day_bounds(low - dt.timedelta(days=1), site.tz)
    _, before = local_day_bounds(high + dt.timedelta(days=1), site.tz)
    with db.session.no_autoflush:
        patient_id = patient.id
        if "injections" in sa.inspect(patient).unloaded:
            records = db.session.scalars(sa.select(InjectionRecord).where(
                InjectionRecord.patient_id == patient_id, InjectionRecord.performed_on.between(low, high))).all()
        else:   # loaded with the patient (a booking over the API reads them in the same statement)
            records = [r for r in patient.injections if low <= r.performed_on <= high]
        appointments = db.session.scalars(sa.select(Appointment).where(
            Appointment.patient_id == patient_id, Appointment.status.in_(COUNTED_STATUSES),
            Appointment.start_at >= after, Appointment.start_at < before)).all()
        return (
            *(PastInjection(r.performed_on, r.procedure_code, r.region, r.steroid, r.dose_mg, r.triamcinolone_eq_mg,
                            r.premedication_eq_mg, r.appointment_id) for r in records),
            *(PastInjection(local_date(a.start_at, a.site.tz), a.procedure_code, a.region, appointment_id=a.id,
                            recorded=False) for a in appointments),
        )
