"""The home page is a to-do list: today at the reader's sites by status, appointments to
reschedule, patient requests and undelivered messages, each with its count and, for those who may
act on it, its link; another organisation's work is never counted."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from clinic.db import utcnow
from clinic.extensions import db
from clinic.portal.models import PatientRequest
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.timeutil import local_date


def _line(html: str, name: str) -> tuple[int, str]:
    found = re.search(rf'<li class="task-{name}[^"]*"><strong class="count">(\d+)</strong>(.*?)</li>', html, re.S)
    assert found, f"no {name} line"
    return int(found.group(1)), found.group(2)


@pytest.fixture
def work(make_appointment, make_patient, paris, minnesota):
    today = local_date(utcnow(), paris.tz)
    for hour, status in ((8, "booked"), (9, "booked"), (10, "checked_in"), (11, "completed"), (12, "cancelled")):
        make_appointment(paris, today, dt.time(hour, 0), status=status)
    flagged = make_appointment(paris, today + dt.timedelta(days=1), dt.time(10, 0), needs_reschedule=True)
    make_appointment(minnesota, local_date(utcnow(), minnesota.tz), dt.time(9, 0))       # another organisation
    make_appointment(minnesota, local_date(utcnow(), minnesota.tz) + dt.timedelta(days=1), dt.time(9, 0),
                     needs_reschedule=True)
    patient = flagged.patient
    db.session.add_all([
        PatientRequest(patient_id=patient.id, organisation_id=patient.organisation_id, appointment_id=flagged.id,
                       kind="cancellation", note=""),
        Reminder(appointment_id=flagged.id, patient_id=patient.id, organisation_id=patient.organisation_id,
                 site_id=paris.id, kind="week_before", send_at=utcnow() - dt.timedelta(days=1),
                 next_attempt_at=utcnow(), status=ReminderStatus.FAILED),
        Reminder(appointment_id=flagged.id, patient_id=patient.id, organisation_id=patient.organisation_id,
                 site_id=paris.id, kind="confirmation", send_at=utcnow() - dt.timedelta(days=30),
                 next_attempt_at=utcnow(), status=ReminderStatus.FAILED),            # older than two weeks
    ])
    db.session.commit()


def test_the_desk_sees_what_needs_doing_at_its_sites(client, login_as, work):
    login_as("front_desk")
    html = client.get("/").get_data(as_text=True)
    count, text = _line(html, "today")
    assert count == 4 and "2 booked · 1 checked in · 0 in procedure · 1 completed" in text
    assert 'href="/appointments/"' in text
    assert _line(html, "to_reschedule")[0] == 1
    count, text = _line(html, "requests")
    assert count == 1 and 'href="/patient-requests"' in text
    count, text = _line(html, "failed_deliveries")
    assert count == 1 and "href" not in text          # counted for the desk; the outbox is the admin's


def test_a_nurse_sees_today_but_not_the_desks_lines(client, login_as, work):
    login_as("nurse")
    html = client.get("/").get_data(as_text=True)
    assert _line(html, "today")[0] == 4
    assert "task-requests" not in html and "task-to_reschedule" not in html


def test_the_lines_in_french_and_with_nothing_to_do(client, login, make_user, paris):
    login(make_user("front_desk", sites=[paris], language="fr"))
    html = client.get("/").get_data(as_text=True)
    count, text = _line(html, "today")
    assert count == 0 and "Rendez-vous du jour sur vos sites" in text
    assert _line(html, "requests")[0] == 0
