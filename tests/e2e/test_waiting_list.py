"""The waiting list in a real browser, in French and in English: the front desk puts a patient on it
from the patient page; a cancellation frees a time; the home page counts the patient, the list
offers the time, and the desk books it in one click after the confirm step's warnings."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from clinic import unit_of_work
from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.scheduling import services
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Site

pytestmark = pytest.mark.browser

CASES = {
    "fr": {"who": "front_desk_fr", "codes": ("paris-bachaumont", "paris-drouot"), "put": "Inscrire sur la liste d’attente",
           "on_list": "est sur la liste d’attente", "line": "Patients en attente ont un créneau libéré", "book": "Réserver",
           "warnings": "Alertes du dépistage", "confirm": "Confirmer la réservation", "booked": "Rendez-vous réservé."},
    "en": {"who": "front_desk_en", "codes": ("chaska", "maple-grove"), "put": "Put on the waiting list",
           "on_list": "is on the waiting list", "line": "Waiting patients have a freed slot", "book": "Book",
           "warnings": "Screening warnings", "confirm": "Confirm booking", "booked": "Appointment booked."},
}


def _waiting_patient_and_appointment(live_app, language: str, codes: tuple[str, ...]) -> tuple[int, int, str, str]:
    """A new patient of the site's organisation, and a booked appointment at the desk's first site (the
    one its list opens on) far enough ahead to be booked again once cancelled."""
    with live_app.app_context(), unit_of_work.unit_of_work():
        site = db.session.scalars(sa.select(Site).where(Site.code.in_(codes)).order_by(Site.name)).first()
        appointment = db.session.scalars(sa.select(Appointment).where(
            Appointment.site_id == site.id, Appointment.status == AppointmentStatus.BOOKED,
            Appointment.start_at > utcnow() + dt.timedelta(hours=30)).order_by(Appointment.start_at)).first()
        assert appointment is not None
        patient = Patient(organisation_id=site.organisation_id, first_name="Attente", last_name=f"Liste{language}",
                          language=language, birth_date=dt.date(1970, 1, 1), email=f"attente.{language}@example.org",
                          conditions=[], allergies=[])
        db.session.add(patient)
        db.session.flush()
        return patient.id, appointment.id, site.code, appointment.procedure_code


def _cancel(live_app, appointment_id: int) -> None:
    with live_app.app_context(), unit_of_work.unit_of_work():
        services.cancel(db.session.get(Appointment, appointment_id), "Patient unwell", None)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_freed_time_is_booked_from_the_waiting_list(page, live_app, live_server, sign_in, language):
    case = CASES[language]
    patient_id, appointment_id, site_code, procedure = _waiting_patient_and_appointment(live_app, language, case["codes"])
    sign_in(case["who"])
    page.goto(f"{live_server}/patients/{patient_id}")
    page.get_by_role("link", name=case["put"]).click()
    page.locator("#site").select_option(site_code)
    page.locator("#procedure").select_option(procedure)
    page.get_by_role("button", name=case["put"]).click()
    expect(page.get_by_text(case["on_list"])).to_be_visible()

    _cancel(live_app, appointment_id)
    page.goto(f"{live_server}/")
    page.get_by_role("link", name=case["line"]).click()
    row = page.locator("tr", has_text=f"Liste{language}")
    expect(row).to_be_visible()
    row.get_by_role("button", name=case["book"], exact=True).first.click()
    expect(page.get_by_role("heading", name=case["warnings"])).to_be_visible()
    page.get_by_role("button", name=case["confirm"]).click()
    expect(page.get_by_text(case["booked"])).to_be_visible()
    expect(page.get_by_text(f"Liste{language}").first).to_be_visible()
