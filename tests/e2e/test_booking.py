"""Booking in a real browser: the front desk books through the week view, then reschedules."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_front_desk_books_and_reschedules_through_the_week_view(page, live_server, sign_in):
    """Patient page → booking form → week view → confirmation with warnings → appointment → reschedule."""
    sign_in("front_desk_en")
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label("Name, e-mail, phone or birth date").fill("Olson")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Olson, James").click()
    page.get_by_role("link", name="Book an appointment").click()

    page.get_by_label("Site", exact=True).select_option(label="iSpine Pain Physicians, Chaska")
    page.get_by_label("Region", exact=True).select_option("lumbar")
    page.get_by_label("Side", exact=True).select_option("left")
    page.get_by_label("Levels").fill("L4-L5")
    page.get_by_label("Weeks of conservative care so far").fill("8")
    page.get_by_role("button", name="Find free times").click()
    page.get_by_role("button", name=re.compile("Next week")).click()
    expect(page.get_by_label("Levels")).to_have_value("L4-L5")     # what was typed is kept

    first = page.locator("button.slot").first
    chosen = first.text_content()
    first.click()
    expect(page.get_by_role("heading", name="Screening warnings")).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_text("Appointment booked.")).to_be_visible()
    expect(page.locator(".status")).to_have_text("Booked")
    expect(page.locator("strong.when")).to_contain_text(chosen)

    page.get_by_role("link", name="Reschedule", exact=True).click()
    page.get_by_role("button", name=re.compile("Next week")).click()
    slot = page.locator("button.slot").nth(3)
    new_time = slot.text_content()
    slot.focus()
    page.keyboard.press("Enter")                                      # keyboard works on the week view
    page.get_by_role("button", name="Confirm the new time").click()

    expect(page.get_by_text("Appointment moved.")).to_be_visible()
    expect(page.locator("strong.when")).to_contain_text(new_time)
    expect(page.locator("table.history")).to_contain_text("Moved")
