"""A message that did not reach its patient puts a badge on them: beside their name on the patient list
and at the top of their page, linking to the messages panel, in the reader's language; only failures
of the last two weeks count (as on the home page), and another organisation sees none of it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from clinic.db import utcnow
from clinic.extensions import db
from clinic.reminders.dispatcher import dispatch_once
from clinic.reminders.models import Reminder, ReminderStatus
from tests import smtp


def _message(appointment, status, days_ago=1, kind="week_before"):
    patient = appointment.patient
    db.session.add(Reminder(appointment_id=appointment.id, patient_id=patient.id,
                            organisation_id=patient.organisation_id, site_id=appointment.site_id, kind=kind,
                            send_at=utcnow() - dt.timedelta(days=days_ago), next_attempt_at=utcnow(), status=status,
                            last_error="The address has accented characters ..."))


def _badges(html: str) -> list[tuple[str, str]]:
    """(link, text) of each badge of undelivered messages on the page."""
    return re.findall(r'<a class="tag warn badge-undelivered" href="([^"]+)">([^<]+)</a>', html)


@pytest.fixture
def patients(make_patient, make_appointment, paris, minnesota):
    """Paris patients: one whose message failed, one whose failure is old, one retrying, one all sent;
    and a Minnesota patient (another organisation) whose message failed."""
    made = {}
    for name, site, messages in (
            ("Failed", paris, [(ReminderStatus.FAILED, 1), (ReminderStatus.SENT, 0)]),
            ("Oldfailure", paris, [(ReminderStatus.FAILED, 20)]),
            ("Retrying", paris, [(ReminderStatus.RETRYING, 1)]),
            ("Delivered", paris, [(ReminderStatus.SENT, 1)]),
            ("Faraway", minnesota, [(ReminderStatus.FAILED, 1)])):
        patient = make_patient(site=site, last_name=name, language="fr" if site is paris else "en")
        appointment = make_appointment(site, patient=patient, day=dt.date(2026, 12, 20))
        for status, days_ago in messages:
            _message(appointment, status, days_ago)
        made[name] = patient
    db.session.commit()
    return made


def test_the_list_and_the_page_carry_the_badge_in_english(client, login_as, patients):
    login_as("front_desk")
    listing = client.get("/patients/?q=").get_data(as_text=True)
    failed = patients["Failed"]
    assert _badges(listing) == [(f"/patients/{failed.id}#panel-messages", "Message not delivered")]
    page = client.get(f"/patients/{failed.id}").get_data(as_text=True)
    head = page.split('<dl class="facts">')[0]
    assert _badges(head) == [("#panel-messages", "Message not delivered")]
    assert 'id="panel-messages"' in page
    for name in ("Oldfailure", "Retrying", "Delivered"):
        assert _badges(client.get(f"/patients/{patients[name].id}").get_data(as_text=True)) == [], name


def test_the_badge_in_french(client, login, make_user, paris, patients):
    login(make_user("front_desk", sites=[paris], language="fr"))
    listing = client.get("/patients/").get_data(as_text=True)
    assert [text for _link, text in _badges(listing)] == ["Message non remis"]
    page = client.get(f"/patients/{patients['Failed'].id}").get_data(as_text=True)
    assert _badges(page) == [("#panel-messages", "Message non remis")]


def test_another_organisation_sees_no_badge_of_ours(client, login, make_user, minnesota, patients):
    """The Twin Cities desk sees its own patient's badge only; ours is not found, its page is a 404."""
    login(make_user("front_desk", sites=[minnesota]))
    listing = client.get("/patients/").get_data(as_text=True)
    assert _badges(listing) == [(f"/patients/{patients['Faraway'].id}#panel-messages", "Message not delivered")]
    assert "Failed" not in listing
    assert client.get(f"/patients/{patients['Failed'].id}").status_code == 404


def test_the_badge_query_keeps_to_the_readers_organisations(app, make_user, minnesota, patients):
    """Even asked about our patient's id, a Twin Cities reader's badge query finds nothing of ours."""
    from flask_login import login_user

    from clinic.patients.badges import badges_for

    reader = make_user("front_desk", sites=[minnesota])
    with app.test_request_context("/patients/"):
        login_user(reader)
        seen = badges_for([patients["Failed"].id, patients["Faraway"].id])
    assert set(seen) == {patients["Faraway"].id}


def test_a_message_the_relay_cannot_carry_shows_on_the_patient_and_the_home_page(app, client, login_as, make_patient,
                                                                                make_appointment, paris):
    """An address with accented characters, a relay without SMTPUTF8: the message fails, and the desk
    sees it on the home page's line and on the patient."""
    patient = make_patient(site=paris, email="hélène@exemple.fr", last_name="Grimaud", language="fr")
    appointment = make_appointment(paris, patient=patient, day=dt.date(2026, 12, 20))
    _message(appointment, ReminderStatus.PLANNED, days_ago=0)
    db.session.commit()
    with smtp.relay(app, smtputf8=False):
        counts = dispatch_once(worker_id="test")
    assert (counts.sent, counts.failed) == (0, 1), counts.errors
    login_as("front_desk")
    home = client.get("/").get_data(as_text=True)
    line = re.search(r'<li class="task-failed_deliveries[^"]*"><strong class="count">(\d+)</strong>', home)
    assert line and line.group(1) == "1"
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert _badges(page) == [("#panel-messages", "Message not delivered")]
