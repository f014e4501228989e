"""Steroid rules by route on the procedure-day checklist: a nerve-root block is transforaminal (non-
particulate steroid, real-time or subtraction check, "no contrast used" with a reason), and a
premedication steroid for a contrast allergy is recorded and counted."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.errors import DomainError
from clinic.patients.models import InjectionRecord
from clinic.procedures import services

T0 = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)


def _to_procedure(appointment, nurse, physician, complete_phase):
    complete_phase(appointment, "sign_in", nurse, physician, now=T0)
    complete_phase(appointment, "time_out", nurse, physician, now=T0)


def test_cervical_nerve_root_block_with_triamcinolone_is_refused(client, make_case, nurse, physician,
                                                                 complete_phase, api_token):
    appointment = make_case(procedure="nerve-root-block")
    appointment.region = "cervical"
    _to_procedure(appointment, nurse, physician, complete_phase)
    case = services.load_case(appointment)
    assert case.item("realtime_contrast_check") is not None
    response = client.post(f"/api/v1/appointments/{appointment.id}/checklist/steroid",
                           json={"value": "triamcinolone"}, headers=api_token(physician))
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["value"] == "particulate_steroid"
    response = client.post(f"/api/v1/appointments/{appointment.id}/checklist/steroid",
                           json={"value": "dexamethasone"}, headers=api_token(physician))
    assert response.status_code == 200


def test_no_contrast_used_needs_a_contrast_plan_and_a_reason(make_case, nurse, physician, complete_phase):
    plain = make_case(procedure="esi-transforaminal")
    _to_procedure(plain, nurse, physician, complete_phase)
    with pytest.raises(DomainError) as err:
        services.record(plain, "realtime_contrast_check", "no_contrast_used", physician, now=T0, override_reason="x")
    assert err.value.code == "invalid_value"
    allergic = make_case(procedure="nerve-root-block", allergies=["iodinated_contrast"])
    _to_procedure(allergic, nurse, physician, complete_phase)
    with pytest.raises(DomainError):
        services.record(allergic, "realtime_contrast_check", "no_contrast_used", physician, now=T0)
    _case, entry = services.record(allergic, "realtime_contrast_check", "no_contrast_used", physician, now=T0,
                                   override_reason="Contrast allergy: CT-guided placement without contrast")
    assert entry.done and entry.override_reason.startswith("Contrast allergy")


def test_premedication_steroid_is_required_with_that_plan_and_counted(db, make_case, nurse, physician,
                                                                      complete_phase):
    appointment = make_case(procedure="medial-branch-block", allergies=["iodinated_contrast"])
    complete_phase(appointment, "sign_in", nurse, physician, now=T0)
    services.record(appointment, "contrast_plan", "premedication", physician, now=T0)
    case = services.load_case(appointment)
    assert case.open_required("sign_in") == ["premedication_steroid", "premedication_dose_mg"]
    with pytest.raises(DomainError) as err:
        services.record(appointment, "timeout_patient", True, physician, now=T0)
    assert err.value.code == "out_of_order"
    services.record(appointment, "premedication_steroid", "prednisone", nurse, now=T0)
    services.record(appointment, "premedication_dose_mg", 150, nurse, now=T0)
    for phase in ("time_out", "procedure"):
        complete_phase(appointment, phase, nurse, physician, now=T0)
    later = T0 + dt.timedelta(minutes=40)
    for phase in ("monitoring", "discharge"):
        complete_phase(appointment, phase, nurse, physician, now=later)
    record = db.session.execute(sa.select(InjectionRecord).where(
        InjectionRecord.appointment_id == appointment.id)).scalar_one()
    assert record.steroid is None and record.premedication_steroid == "prednisone"
    assert record.premedication_eq_mg == pytest.approx(120)       # prednisone 50 mg = 40 mg triamcinolone
