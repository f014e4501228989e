"""The checklist worked as on a 1024×768 tablet, in French and in English: an uncomplicated case (no
sedation, no blood thinner) from check-in to signature in at most 40 taps, without a page reload
once the case is open.

A tap is a touch on the screen: a button, a link, a field to type into. What is typed on the tablet's
keyboard (the digits, its Next key) is counted apart, as keys. The nurse's and the physician's pages
stay open: each follows what the other records (the page asks the server every 2 s here), and the
discharge items open by themselves once the observation time is over on the server's clock, which
the test freezes and moves on. Screenshots of the checklist at each phase are written under
tests/e2e/artifacts/ for a reviewer to look at."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from clinic.extensions import db
from clinic.procedures import catalog
from clinic.scheduling.models import AppointmentStatus
from tests.checklists import answer
from tests.e2e.conftest import sign_in_demo
from tests.e2e.procedure_cases import STAFF, make_case, site, user

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
TAPS_AT_MOST = 40
FRONT_DESK = {"fr": "front_desk_fr", "en": "front_desk_en"}
SIGNED = {"fr": "Signé", "en": "Signed"}


class Tablet:
    """A signed-in page whose taps and keys are counted."""

    def __init__(self, browser, live_server, who: str, counts: dict):
        self.context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, locale="en-GB")
        self.page = sign_in_demo(self.context.new_page(), live_server, who)
        self.counts = counts

    def tap(self, locator) -> None:
        locator.tap()
        self.counts["taps"] += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.counts["keys"] += len(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.counts["keys"] += 1

    def focus(self, field) -> None:
        """Tap the field unless the page already put the focus there."""
        if not field.evaluate("el => el === document.activeElement"):
            self.tap(field)

    def answer_phase(self, phase: str) -> list[str]:
        """Answer, in order, every required item of the phase this user may record now."""
        page, template, answered = self.page, catalog.load_template(), []
        before = self.counts["taps"]
        try:
            return self._answer(page, template, answered, phase)
        finally:
            self.counts["by phase"][phase] = self.counts["by phase"].get(phase, 0) + self.counts["taps"] - before

    def _answer(self, page, template, answered: list[str], phase: str) -> list[str]:
        section = page.locator(f"#phase-{phase}-section")
        if section.get_attribute("data-complete") == "true":
            return answered
        expect(section).to_be_visible()
        while True:
            open_items = section.locator(".item[data-open][data-required]")
            if not open_items.count():
                return answered
            row = open_items.first
            code = row.get_attribute("id").removeprefix("item-")
            item = template.item(code)
            value = answer(item)
            if item.type in ("yes_no", "choice", "pain_score"):
                shown = {True: "true", False: "false"}.get(value, str(value))
                self.tap(row.locator(f"button.answer[value='{shown}']"))
            elif item.type == "vitals":
                for n, name in enumerate(("systolic", "diastolic", "pulse", "spo2")):
                    field = row.locator(f"input[name='{code}-{name}']")
                    if n == 0:
                        self.focus(field)
                    else:
                        self.press("Tab")
                    expect(field).to_be_focused()
                    self.type(str(value[name]))
                self.tap(row.locator("button.record"))
            else:
                self.focus(row.locator(f"input[name='{code}-value']"))
                self.type(str(value))
                self.tap(row.locator("button.record"))
            expect(page.locator(f"#item-{code}")).to_have_class(re.compile("item-done"))
            answered.append(code)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}-1024.png"), full_page=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_uncomplicated_case_in_at_most_40_taps(browser, live_server, live_app, monkeypatch, language):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    monkeypatch.setitem(live_app.config, "CHECKLIST_SYNC_SECONDS", 2)
    with time_machine.travel(now, tick=False) as server_clock:
        with live_app.app_context():
            appointment = make_case(language, now - dt.timedelta(minutes=5), f"Tapotement{language.upper()}",
                                    status=AppointmentStatus.BOOKED, physician=user(STAFF[language][2]))
            assert not appointment.sedation and not appointment.patient.medications
            appointment_id, where = appointment.id, site(STAFF[language][0])
            day, code = now.astimezone(where.tz).date().isoformat(), where.code
            db.session.commit()
            db.session.remove()
        counts = {"taps": 0, "keys": 0, "by phase": {}}
        desk = Tablet(browser, live_server, FRONT_DESK[language], counts)
        nurse = Tablet(browser, live_server, STAFF[language][1], counts)
        doctor = Tablet(browser, live_server, STAFF[language][2], counts)
        try:
            board = f"{live_server}/procedures/board?site={code}&date={day}"
            desk.page.goto(board)
            with desk.page.expect_navigation():
                desk.tap(desk.page.locator(f"#case-{appointment_id} form button[type=submit]"))

            nurse.page.goto(board)
            with nurse.page.expect_navigation():
                nurse.tap(nurse.page.locator(f"#case-{appointment_id} a.case-link"))
            nurse.page.evaluate("window.stillTheSamePage = true")
            assert nurse.answer_phase("sign_in")
            nurse.shot(f"checklist-sign_in-{language}")

            doctor.page.goto(f"{live_server}/procedures/my-day?date={day}")
            with doctor.page.expect_navigation():
                doctor.tap(doctor.page.locator(f"#case-{appointment_id} a"))
            doctor.page.evaluate("window.stillTheSamePage = true")
            doctor.answer_phase("sign_in")   # what only a physician records, if anything
            assert doctor.answer_phase("time_out")
            assert doctor.answer_phase("procedure")
            doctor.shot(f"checklist-procedure-{language}")

            # The nurse's page, left open, has moved on to the monitoring by itself.
            assert nurse.answer_phase("monitoring")
            expect(nurse.page.locator("#discharge-clock")).to_have_attribute("data-live", "true")
            expect(nurse.page.locator("#item-vitals_stable")).not_to_have_attribute("data-open", "")
            nurse.shot(f"checklist-monitoring-{language}")

            # The observation time runs out on the server: the discharge items open without a tap.
            server_clock.shift(dt.timedelta(minutes=16))
            expect(nurse.page.locator("#item-vitals_stable")).to_have_attribute("data-open", "", timeout=15000)
            assert nurse.answer_phase("discharge")

            expect(doctor.page.locator("#phase-signature-section")).to_be_visible(timeout=15000)
            assert doctor.answer_phase("signature") == ["signature"]
            expect(doctor.page.locator("#checklist-state")).to_have_text(SIGNED[language])
            doctor.shot(f"checklist-signed-{language}")

            for tablet in (nurse, doctor):
                assert tablet.page.evaluate("window.stillTheSamePage") is True, "the case page was reloaded"
            print(f"\n{language}: {counts['taps']} taps and {counts['keys']} keys from check-in to signature; "
                  f"taps by phase {counts['by phase']} (the rest: check-in and opening the case)")
            assert counts["taps"] <= TAPS_AT_MOST, counts
        finally:
            for tablet in (desk, nurse, doctor):
                tablet.context.close()


def test_without_javascript_each_answer_is_a_form_post(browser, live_server, live_app):
    """With the script off, a tap on an answer posts its form and the page comes back with the item
    done; a step is a link that shows its phase."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with live_app.app_context():
        appointment = make_case("en", now - dt.timedelta(minutes=5), "SansScript")
        appointment_id = appointment.id
        db.session.commit()
        db.session.remove()
    context = browser.new_context(viewport={"width": 1024, "height": 768}, java_script_enabled=False, locale="en-GB")
    try:
        page = sign_in_demo(context.new_page(), live_server, STAFF["en"][1])
        page.goto(f"{live_server}/procedures/cases/{appointment_id}")
        with page.expect_navigation():
            page.locator("#item-identity_confirmed button.answer[value='true']").click()
        expect(page.locator("#item-identity_confirmed")).to_have_class(re.compile("item-done"))
        expect(page.locator("#item-identity_confirmed button.answer[value='true']")).to_have_attribute(
            "aria-pressed", "true")
        expect(page.locator(".flash")).to_contain_text("Recorded")
        with page.expect_navigation():
            page.locator(".steps a[data-phase-link='time_out']").click()
        expect(page.locator("#phase-time_out-section")).to_be_visible()
        expect(page.locator("#phase-sign_in-section")).to_be_hidden()
    finally:
        context.close()
