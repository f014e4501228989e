"""The sign-in journey in a real browser."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_front_desk_signs_in_and_sees_patients(page, live_server, sign_in):
    """A demo front-desk user signs in, sees the menu, opens the patient list and searches it."""
    sign_in("front_desk_en")
    page.get_by_role("link", name="Patients").first.click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.get_by_label("Name, e-mail, phone or birth date").fill("Olson")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Olson, James")).to_be_visible()


def test_wrong_password_shows_message(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("frontdesk@clinic.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("E-mail or password is not right.")).to_be_visible()
