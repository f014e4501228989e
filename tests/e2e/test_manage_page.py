"""The manage page on a phone (390×844) in both languages, in a real browser: readable without
sideways scrolling, and a cancellation before the cutoff leaves only the cancellation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.patient_links import patient_links

pytestmark = pytest.mark.browser
TEXTS = {
    "fr": ("Votre rendez-vous", "Motif de l'annulation", "Annuler mon rendez-vous", "Rendez-vous annulé"),
    "en": ("Your appointment", "Reason for cancelling", "Cancel my appointment", "Appointment cancelled"),
}


def _link(live_app, language: str) -> str:
    return patient_links(live_app, language)["manage"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_manage_page_on_a_phone(page, live_app, live_server, language):
    heading, reason, button, cancelled = TEXTS[language]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(_link(live_app, language))
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("html").get_attribute("lang") == language
    page.get_by_label(reason).fill("Empêchement" if language == "fr" else "Cannot come")
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name=cancelled)).to_be_visible()
    assert page.get_by_role("button", name=button).count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
