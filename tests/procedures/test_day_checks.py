"""On the day: fever and infection asked again at sign-in (a "yes" stops the checklist until a
physician decides), fasting confirmed under sedation, the CT dose recorded as DLP."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.errors import DomainError
from clinic.procedures import services
from clinic.sites.models import Room

T0 = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)


def test_fever_or_infection_yes_stops_until_a_physician_decides(make_case, nurse, physician,
                                                                complete_phase):
    appointment = make_case()
    complete_phase(appointment, "sign_in", nurse, physician, now=T0)
    _case, entry = services.record(appointment, "fever_or_infection", "yes", nurse, now=T0)
    assert entry.done is False
    with pytest.raises(DomainError) as err:
        services.record(appointment, "timeout_patient", True, physician, now=T0)
    assert err.value.code == "out_of_order" and err.value.details["open"] == ["fever_or_infection"]
    _case, entry = services.record(appointment, "fever_or_infection", "yes", physician, now=T0,
                                   override_reason="37.9 °C after the bus; no infection found; proceed")
    assert entry.done and entry.override_reason.startswith("37.9")
    services.record(appointment, "timeout_patient", True, physician, now=T0)


def test_fasting_confirmed_for_a_sedated_patient_only(make_case):
    assert services.load_case(make_case(sedation=True)).item("fasting_confirmed").required
    assert services.load_case(make_case()).item("fasting_confirmed") is None


def test_ct_records_its_dose_length_product(db, make_case, paris):
    appointment = make_case(procedure="facet-joint")
    appointment.room = Room(site=paris, name="CT", modalities=["ct"])
    db.session.flush()
    case = services.load_case(appointment)
    item = case.item("dose_length_product")
    assert item is not None and item.unit == "mGy·cm" and item.required
    assert case.item("dose_area_product") is None
    assert services.load_case(make_case()).item("dose_length_product") is None
