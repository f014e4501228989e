"""Pregnancy wherever there is ionising radiation: fluoroscopy and CT alike, every patient aged 12
to 55 not recorded male, whatever the desk ticked; the preparation sheet says it in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.catalog import get_procedure
from clinic.db import utcnow
from clinic.procedures import services
from clinic.screening.services import BookingContext, evaluate
from clinic.sites.models import Room


def _born(age: int) -> dt.date:
    """A birth date giving this age on the appointment day (the fixture books for now)."""
    today = utcnow().date()
    return today.replace(year=today.year - age, day=1) - dt.timedelta(days=1)


def _ct_room(site, db):
    room = Room(site=site, name="CT", modalities=["ct"])
    db.session.add(room)
    db.session.flush()
    return room


@pytest.mark.parametrize("sex", ["female", "unknown", "other"])
@pytest.mark.parametrize("age", [12, 30, 55])
@pytest.mark.parametrize("modality", ["fluoroscopy", "ct"])
def test_pregnancy_item_for_every_patient_who_could_be_pregnant(db, make_case, paris, sex, age, modality):
    appointment = make_case(procedure="facet-joint", sex=sex, birth_date=_born(age))
    if modality == "ct":
        appointment.room = _ct_room(paris, db)
    item = services.load_case(appointment).item("pregnancy_excluded")
    assert item is not None and item.phase == "sign_in" and item.required


@pytest.mark.parametrize("sex,age", [("male", 30), ("female", 11), ("female", 56), ("unknown", 70)])
def test_no_pregnancy_item_outside_child_bearing_potential(make_case, sex, age):
    appointment = make_case(procedure="facet-joint", sex=sex, birth_date=_born(age))
    assert services.load_case(appointment).item("pregnancy_excluded") is None


def test_no_pregnancy_item_without_ionising_imaging(db, make_case, paris):
    appointment = make_case(procedure="si-joint", sex="female", birth_date=_born(30))
    appointment.room = Room(site=paris, name="Echo", modalities=["ultrasound"])
    db.session.flush()
    assert services.load_case(appointment).item("pregnancy_excluded") is None


def test_a_ticked_question_still_counts_for_anyone(make_case):
    appointment = make_case(procedure="facet-joint", sex="male", birth_date=_born(40),
                                   screening={"possible_pregnancy": True})
    assert services.load_case(appointment).item("pregnancy_excluded") is not None


@pytest.mark.parametrize("language,words", [("fr", "rayons X"), ("en", "X-rays")])
def test_warning_and_preparation_sheet_in_both_languages(make_patient, paris, language, words):
    patient = make_patient(language=language, sex="unknown", birth_date=_born(35))
    start = dt.datetime(2026, 3, 30, 9, 0, tzinfo=paris.tz).astimezone(dt.UTC)
    result = evaluate(BookingContext(patient=patient, procedure=get_procedure("facet-joint"), site=paris,
                                     start_at=start, end_at=start + dt.timedelta(minutes=30), region="lumbar",
                                     now=start - dt.timedelta(days=20), history=()))
    warning = next(f for f in result.warnings if f.code == "pregnancy_check")
    assert "CT" in warning.message and "scanner" in warning.message_fr
    line = next(i["text"] for i in result.preparation if i["code"] == "pregnancy")
    assert words in line and "72" in line
