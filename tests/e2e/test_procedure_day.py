"""A procedure day in a real browser: the front of house checks a patient in, the nurse and the
physician walk the checklist from sign-in to discharge and signature, and a day board left open
follows every state without a full reload."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from clinic.accounts.models import User
from clinic.extensions import db
from clinic.patients.models import InjectionRecord, Patient
from clinic.procedures.models import Checklist
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Site
from clinic.timeutil import local_to_utc
from tests import factories
from tests.e2e.conftest import DEMO, sign_in_demo

pytestmark = pytest.mark.browser

SITE = "paris-bachaumont"


@pytest.fixture
def todays_case(live_app):
    """A booked same-day appointment at 07:00 local (before the demo's own cases) in the fluoroscopy room."""
    with live_app.app_context():
        site = db.session.execute(sa.select(Site).where(Site.code == SITE)).scalar_one()
        physician = db.session.execute(sa.select(User).where(User.email == DEMO["physician_fr"][0])).scalar_one()
        room = next(r for r in site.rooms if "fluoroscopy" in r.modalities)
        today = dt.datetime.now(site.tz).date()
        start = local_to_utc(today, dt.time(7, 0), site.tz)
        patient = Patient(organisation_id=site.organisation_id, first_name="Agathe", last_name="Parcours", birth_date=dt.date(1971, 4, 2),
                          email="agathe.parcours@example.org", language="fr",
                          sex="male")   # no pregnancy item: the walk below stays the same on every date
        appointment = factories.appointment(
            site, patient, start=start, room=room, physician=physician, procedure_code="esi-interlaminar",
            turnover=10, levels=["L5-S1"],
            warnings=[{"code": "conservative_care", "message": "Less than 6 weeks", "source": "s4"}],
        )
        appointment_id = appointment.id
        db.session.commit()
        db.session.remove()   # hold no SQLite lock while the server works
    return appointment_id, today.isoformat()


@pytest.fixture
def open_as(browser, live_server):
    """Open a new browser context signed in as a demo user; every context is closed afterwards
    (a day board left open would keep polling the server during later tests)."""
    contexts = []

    def do(who: str):
        context = browser.new_context(locale="en-GB")
        contexts.append(context)
        return _sign_in(context, live_server, who)

    yield do
    for context in contexts:
        context.close()


def _sign_in(context, live_server, who: str):
    return sign_in_demo(context.new_page(), live_server, who)


def record(page, code: str, value) -> None:
    """Answer one item in place, as the page offers it (a button for a yes/no, a choice or a pain
    score; a field and its Record button otherwise); the item then shows as done, without a reload."""
    row = page.locator(f"#item-{code}")
    if isinstance(value, dict):
        for name, number in value.items():
            row.locator(f"input[name='{code}-{name}']").fill(str(number))
        row.locator("button.record").click()
    elif row.locator("button.answer").count():
        shown = {True: "true", False: "false"}.get(value, str(value))
        row.locator(f"button.answer[value='{shown}']").click()
    elif row.locator("select").count():
        row.locator("select").select_option(value)
        row.locator("button.record").click()
    else:
        row.locator(f"input[name='{code}-value']").fill(str(value))
        row.locator("button.record").click()
    expect(page.locator(f"#item-{code}")).to_have_class(re.compile("item-done"))


def board_status(board, appointment_id: int, status: str) -> None:
    """The open board (refreshed by its script, not reloaded) shows the case in this state."""
    expect(board.locator(f"#case-{appointment_id}")).to_have_attribute("data-status", status, timeout=15000)


VITALS = {"systolic": 126, "diastolic": 78, "pulse": 70, "spo2": 98}


def test_case_from_check_in_to_discharge(open_as, live_server, live_app, todays_case):
    """Nurse and physician complete a case; the day board shows booked, checked in, in procedure,
    monitoring with minutes left, ready, and discharged; the injection is on the patient's record."""
    appointment_id, day = todays_case
    board = open_as("front_desk_fr")
    board.goto(f"{live_server}/procedures/board?site={SITE}&date={day}&refresh=2")
    board_status(board, appointment_id, "booked")
    expect(board.locator(f"#case-{appointment_id} .case-warnings")).to_contain_text("conservative_care")
    loads = board.evaluate("performance.getEntriesByType('navigation').length")

    nurse = open_as("nurse_fr")
    nurse.goto(f"{live_server}/procedures/board?site={SITE}&date={day}")
    with nurse.expect_navigation():
        nurse.locator(f"#case-{appointment_id} form button[type=submit]").click()
    board_status(board, appointment_id, "checked_in")

    nurse.goto(f"{live_server}/procedures/cases/{appointment_id}")
    expect(nurse.locator("#item-timeout_patient button.answer").first).to_be_disabled()
    for code in ("identity_confirmed", "consent_signed", "procedure_matches_booking", "site_marked", "allergies_reviewed"):
        record(nurse, code, True)
    record(nurse, "fever_or_infection", "no")
    record(nurse, "vitals_before", VITALS)
    record(nurse, "pain_before", 7)

    doctor = open_as("physician_fr")
    doctor.goto(f"{live_server}/procedures/cases/{appointment_id}")
    for code in ("timeout_patient", "timeout_procedure_level_side", "timeout_images_displayed",
                 "timeout_contrast_checked", "timeout_steroid_checked", "timeout_sterile_prep"):
        record(doctor, code, True)
    record(doctor, "timeout_imaging", "fluoroscopy")
    record(doctor, "imaging_used", "fluoroscopy")
    board_status(board, appointment_id, "in_procedure")
    for code, value in (("contrast_agent", "iohexol"), ("contrast_volume_ml", 2), ("contrast_lot", "LOT-2291"),
                        ("placement_confirmed", True), ("steroid", "dexamethasone"), ("steroid_dose_mg", 7.5),
                        ("anaesthetic", "lidocaine"), ("fluoroscopy_time_s", 24), ("dose_area_product", 310),
                        ("equipment", "Siemens Cios Alpha"), ("operator", "Dr Claire Martin"),
                        ("complications", "none")):
        record(doctor, code, value)
    board_status(board, appointment_id, "monitoring")
    expect(board.locator(f"#case-{appointment_id} .case-status")).to_contain_text(re.compile(r"\d+ min"))

    nurse.goto(f"{live_server}/procedures/cases/{appointment_id}")
    record(nurse, "vitals_after", VITALS)
    record(nurse, "neuro_check", True)
    expect(nurse.locator("#item-vitals_stable button.answer").first).to_be_disabled()
    expect(nurse.locator("#why-vitals_stable")).to_be_visible()

    with live_app.app_context():   # the observation time passes
        checklist = db.session.execute(sa.select(Checklist).where(Checklist.appointment_id == appointment_id)).scalar_one()
        checklist.procedure_ended_at -= dt.timedelta(minutes=16)
        db.session.commit()
        db.session.remove()
    board_status(board, appointment_id, "ready_for_discharge")

    nurse.goto(f"{live_server}/procedures/cases/{appointment_id}")
    for code in ("vitals_stable", "alert_baseline", "instructions_given"):
        record(nurse, code, True)
    record(nurse, "pain_after", 2)
    expect(nurse.locator("#checklist-state")).to_have_attribute("data-state", "discharged")
    board_status(board, appointment_id, "discharged")

    doctor.goto(f"{live_server}/procedures/cases/{appointment_id}")
    record(doctor, "signature", True)
    expect(doctor.locator("#checklist-state")).to_have_attribute("data-state", "signed")
    doctor.goto(f"{live_server}/procedures/cases/{appointment_id}/report")
    expect(doctor.locator("article.report")).to_contain_text("Siemens Cios Alpha")

    assert board.evaluate("performance.getEntriesByType('navigation').length") == loads
    assert int(board.locator("#board").get_attribute("data-refresh-count")) >= 5
    with live_app.app_context():
        injection = db.session.execute(
            sa.select(InjectionRecord).where(InjectionRecord.appointment_id == appointment_id)).scalar_one()
        assert injection.steroid == "dexamethasone" and injection.triamcinolone_eq_mg == pytest.approx(39.98)
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.status == AppointmentStatus.COMPLETED
