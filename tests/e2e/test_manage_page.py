"""The manage page on a phone (390×844) in both languages, in a real browser: readable without
sideways scrolling, and a cancellation before the cutoff leaves only the cancellation."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.portal.manage import ensure_link, manage_url
from clinic.scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.browser
TEXTS = {
    "fr": ("Votre rendez-vous", "Motif de l'annulation", "Annuler mon rendez-vous", "Rendez-vous annulé"),
    "en": ("Your appointment", "Reason for cancelling", "Cancel my appointment", "Appointment cancelled"),
}


def _link(live_app, language: str) -> str:
    """The manage link of a booked demo appointment of a patient of that language, before its cutoff
    (the demo's appointments are written without the booking signal: the link is made here)."""
    with live_app.app_context():
        appointment = db.session.execute(
            sa.select(Appointment).join(Patient, Patient.id == Appointment.patient_id)
            .where(Appointment.status == AppointmentStatus.BOOKED, Patient.language == language,
                   Appointment.start_at > utcnow() + dt.timedelta(hours=50))
            .order_by(Appointment.start_at.desc())).scalars().first()
        assert appointment is not None
        ensure_link(appointment)
        url = manage_url(appointment)
        db.session.commit()
    assert url
    return url


@pytest.mark.parametrize("language", ["fr", "en"])
def test_manage_page_on_a_phone(page, live_app, live_server, language):
    heading, reason, button, cancelled = TEXTS[language]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(_link(live_app, language))
    assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("html").get_attribute("lang") == language
    page.get_by_label(reason).fill("Empêchement" if language == "fr" else "Cannot come")
    page.get_by_role("button", name=button).click()
    assert page.get_by_role("heading", name=cancelled).is_visible()
    assert page.get_by_role("button", name=button).count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
