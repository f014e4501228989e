"""In the browser: an admin gives a physician a day off, and that physician is no longer offered
for that day (checked through the availability engine the front desk's week view uses)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PROCEDURE = "esi-interlaminar"


def _free_weekday(site, start: dt.date) -> dt.date:
    """The first weekday from `start` that is not a public holiday at the site."""
    from clinic.sites.holidays import public_holidays

    day = start
    while day.weekday() >= 5 or day in public_holidays(site, day, day):
        day += dt.timedelta(days=1)
    return day


def _offered(live_app, physician_id: int, day: dt.date) -> list:
    from clinic.extensions import db
    from clinic.scheduling.availability import find_slots
    from clinic.sites.models import Site

    with live_app.app_context():
        site = db.session.execute(sa.select(Site).where(Site.code == "paris-bachaumont")).scalar_one()
        slots = find_slots(site, PROCEDURE, day, physician_id=physician_id)
        db.session.remove()
        return slots


def test_admin_day_off_removes_physician_from_that_day(page, live_app, live_server, sign_in):
    from clinic.accounts.models import User
    from clinic.db import utcnow
    from clinic.extensions import db
    from clinic.sites.models import Site

    with live_app.app_context():
        physician = db.session.execute(sa.select(User).where(User.email == "dr.bernard@clinic.example")).scalar_one()
        site = db.session.execute(sa.select(Site).where(Site.code == "paris-bachaumont")).scalar_one()
        day = _free_weekday(site, utcnow().astimezone(site.tz).date() + dt.timedelta(days=14))
        physician_id, name = physician.id, physician.name
        db.session.remove()
    assert _offered(live_app, physician_id, day), "the physician should be offered before the day off"

    sign_in("admin")
    page.locator("header nav summary", has_text="Administration").click()
    page.locator("header nav").get_by_role("link", name="Working hours and time off").click()
    page.get_by_role("row", name=re.compile(name)).get_by_role("link", name="Time off").click()
    page.get_by_label("First day").fill(day.isoformat())
    page.get_by_label("Last day").fill(day.isoformat())
    page.get_by_label("Reason").fill("Congress")
    page.get_by_role("button", name="Save time off").click()
    expect(page.get_by_text(f"Time off saved for {name}.")).to_be_visible()
    expect(page.get_by_role("cell", name="Congress")).to_be_visible()

    page.goto(f"{live_server}/admin/physicians/{physician_id}/week?start={day.isoformat()}")
    expect(page.get_by_text(re.compile("Time off .*Congress")).first).to_be_visible()

    assert _offered(live_app, physician_id, day) == []
    assert _offered(live_app, physician_id, day + dt.timedelta(days=1 if day.weekday() < 4 else 3))
