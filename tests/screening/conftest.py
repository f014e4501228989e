"""Helpers for screening tests: a booking context and appointment rows made directly."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.catalog import get_procedure
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.screening.results import BookingContext


def local(site, *args) -> dt.datetime:
    """A UTC instant from a local wall-clock time at the site."""
    return dt.datetime(*args, tzinfo=site.tz).astimezone(dt.UTC)


@pytest.fixture
def make_ctx():
    def make(patient, site, procedure="esi-interlaminar", start=(2026, 6, 15, 9, 0), region="lumbar", **kw):
        proc = get_procedure(procedure)
        start_at = local(site, *start)
        kw.setdefault("now", start_at - dt.timedelta(days=30))   # booked a month ahead unless told
        return BookingContext(patient=patient, procedure=proc, site=site, start_at=start_at,
                              end_at=start_at + dt.timedelta(minutes=proc.duration_minutes), region=region, **kw)

    return make


@pytest.fixture
def make_appointment(db, make_user):
    """An appointment row for the patient at the site (a physician and the site's first room)."""
    physicians = {}

    def make(patient, site, start, procedure="esi-interlaminar", region="lumbar", status="booked", **kw):
        physician = physicians.get(site.id) or physicians.setdefault(site.id, make_user("physician", sites=[site]))
        proc = get_procedure(procedure)
        start_at = local(site, *start)
        end_at = start_at + dt.timedelta(minutes=proc.duration_minutes)
        appt = Appointment(patient_id=patient.id, site_id=site.id, room_id=site.rooms[0].id, physician_id=physician.id,
                           procedure_code=procedure, start_at=start_at, end_at=end_at,
                           block_end_at=end_at + dt.timedelta(minutes=site.turnover_minutes), region=region,
                           status=AppointmentStatus(status), **kw)
        db.session.add(appt)
        db.session.flush()
        return appt

    return make
