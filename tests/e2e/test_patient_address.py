"""Registering a patient with an address that has accented characters, in a real browser: the browser
lets it through and the server keeps it (the development mail folder writes any address)."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_desk_registers_an_accented_address(page, live_server, sign_in):
    sign_in("front_desk_en")
    page.goto(f"{live_server}/patients/new")
    page.get_by_label("First name").fill("Hélène")
    page.get_by_label("Last name").fill("Accentué")
    page.get_by_label("Birth date").fill("1969-11-07")
    page.get_by_label("E-mail").fill("Hélène.Accentué@Exémple.fr")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Hélène Accentué")).to_be_visible()
    expect(page.get_by_text("hélène.accentué@exémple.fr")).to_be_visible()
