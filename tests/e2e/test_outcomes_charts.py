"""The outcome report's charts in Debian's Chromium: drawn, labelled, and readable by screen readers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from clinic.accounts.models import User
from clinic.extensions import db
from clinic.outcomes.models import PainMoment, PainScore
from clinic.patients.models import Patient
from clinic.sites.models import Site
from clinic.timeutil import local_to_utc
from tests import factories

pytestmark = pytest.mark.browser

PERIOD = {"date_from": "2025-06-01", "date_to": "2025-06-30"}
CASES = [  # procedure, scores: two procedures with follow-ups, one without
    ("esi-interlaminar", {"before": 8, "after": 3, "day14": 2}),
    ("esi-interlaminar", {"before": 7, "after": 4, "day7": 5}),
    ("esi-interlaminar", {"before": 9, "after": 2, "day14": 3}),
    ("facet-joint", {"before": 6, "after": 2, "day14": 1}),
    ("facet-joint", {"before": 5, "day14": 5}),
    ("si-joint", {"before": 7, "after": 3}),
]


@pytest.fixture(scope="module")
def outcome_cases(live_app):
    """Completed June 2025 appointments with pain scores in the live database (a month the demo seed leaves empty)."""
    with live_app.app_context():
        site = db.session.scalars(sa.select(Site).where(Site.code == "paris-bachaumont")).one()
        doctor = db.session.scalars(sa.select(User).where(User.email == "dr.martin@clinic.example")).one()
        patient = db.session.scalars(sa.select(Patient).order_by(Patient.id)).first()
        for i, (code, scores) in enumerate(CASES):
            start = local_to_utc(dt.date(2025, 6, 2 + i), dt.time(9), site.tz)
            appt = factories.appointment(site, patient, start=start, room=site.rooms[0], physician=doctor,
                                         procedure_code=code, turnover=10, status="completed", side=None)
            for moment, score in scores.items():
                db.session.add(PainScore(appointment_id=appt.id, patient_id=patient.id,
                                         moment=PainMoment(moment), score=score, source="test"))
        db.session.commit()
    return len(CASES)


def test_admin_reads_the_outcome_charts(page, live_server, sign_in, outcome_cases):
    """The admin opens the report: bars, whiskers, bands, axis labels and <title>s are drawn; a screenshot is kept."""
    sign_in("admin")
    page.goto(f"{live_server}/outcomes/?date_from={PERIOD['date_from']}&date_to={PERIOD['date_to']}")
    expect(page.get_by_role("heading", name="Outcomes")).to_be_visible()

    chart = page.locator("svg.chart-responders")
    chart.wait_for()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    assert chart.locator("rect.bar").count() == 2  # epidural and facet; SI joint has no follow-up
    assert chart.locator("line.whisker").count() == 6  # one line and two caps per bar
    assert chart.locator("rect.band").count() == 3  # published ranges of the three procedures
    assert chart.locator("text.x-label").count() == 3
    assert chart.locator("text.no-data").count() == 1
    labels = chart.locator("text.axis-label").all_text_contents()
    assert "Responders (%)" in labels and "Procedure" in labels
    assert chart.locator("> title").text_content() == "Responder rate by procedure"
    assert "responders (2 of 3)" in chart.locator("rect.bar").first.locator("title").text_content()
    bar = chart.locator("rect.bar").first.bounding_box()
    assert bar and bar["height"] > 10  # 67% of the plot height is drawn, not collapsed

    pain = page.locator("svg.chart-pain")
    assert pain.locator("rect.bar").count() == 4  # before, after, day 7, day 14
    assert "Pain score (0–10)" in pain.locator("text.axis-label").all_text_contents()

    assert page.get_by_role("link", name="Download CSV").get_attribute("href").startswith("/outcomes/report.csv?")
    out = Path("test-results")
    out.mkdir(exist_ok=True)
    page.screenshot(path=str(out / "outcomes-report.png"), full_page=True)
    assert (out / "outcomes-report.png").stat().st_size > 10_000
