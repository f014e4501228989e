"""Appointments made directly with the models, and a helper that walks a checklist forward."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.db import utcnow
from clinic.procedures import services
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Room

ANSWERS = {
    "yes_no": True, "number": 1, "choice": None, "text": "Siemens Cios Alpha",
    "vitals": {"systolic": 128, "diastolic": 78, "pulse": 72, "spo2": 98}, "pain_score": 6,
}
VALUES = {"inr": 1.1, "glucose": 1.2, "steroid": "dexamethasone", "steroid_dose_mg": 8, "contrast_volume_ml": 2,
          "fluoroscopy_time_s": 25, "dose_area_product": 310, "complications": "none", "pain_after": 2}


def answer(item) -> object:
    """A valid value for any item."""
    if item.code in VALUES:
        return VALUES[item.code]
    if item.type == "choice":
        return item.choices[0]
    if item.type == "number":
        return item.min if item.min is not None else 1
    return ANSWERS[item.type]


@pytest.fixture
def make_appointment(db, paris, make_user, make_patient):
    def make(procedure="esi-interlaminar", status=AppointmentStatus.CHECKED_IN, start=None, site=None,
             physician=None, patient=None, sedation=False, screening=None, **patient_kw):
        site = site or paris
        physician = physician or make_user("physician", sites=[site])
        patient = patient or make_patient(site=site, **patient_kw)
        start = start or utcnow().replace(microsecond=0)
        # A room of its own (like the site's first one), so that no two test cases overlap in a room.
        room = Room(site=site, name=f"Room {len(site.rooms) + 1}", modalities=list(site.rooms[0].modalities))
        appointment = Appointment(
            patient=patient, site=site, room=room, physician=physician, procedure_code=procedure,
            start_at=start, end_at=start + dt.timedelta(minutes=30), block_end_at=start + dt.timedelta(minutes=40),
            region="lumbar", side="left", levels=["L4-L5"], sedation=sedation, status=status,
            screening=screening or {},
        )
        db.session.add(appointment)
        db.session.flush()
        return appointment

    return make


@pytest.fixture
def nurse(make_user, paris):
    return make_user("nurse", sites=[paris])


@pytest.fixture
def physician(make_user, paris):
    return make_user("physician", sites=[paris])


@pytest.fixture
def complete_phase():
    """Record every required item of a phase with a valid value (physician for physician-only items)."""

    def run(appointment, phase, nurse, physician, now=None, override_reason=None):
        case = services.load_case(appointment)
        for item in case.phase_items(phase):
            if item.required:
                user = nurse if "nurse" in item.roles else physician
                if override_reason:
                    user = physician
                services.record(appointment, item.code, answer(item), user, override_reason=override_reason, now=now)
        return services.load_case(appointment)

    return run
