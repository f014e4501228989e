"""Manage my appointment: the one opaque link of the confirmation (received by a real SMTP server),
the page in the patient's language, cancelling before the cutoff and not after it, asking for
another time that the front desk confirms in one click (screened again), stopping messages."""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa
import time_machine
from icalendar import Calendar

from clinic.portal.models import ManageLink, PatientRequest, TimeOption
from clinic.reminders.dispatcher import dispatch_until_empty
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment
from tests.web import csrf_token

UTC = dt.UTC
BOOKED_AT = dt.datetime(2026, 2, 20, 10, 0, tzinfo=UTC)  # a Friday
START = "2026-03-02T09:00:00+01:00"  # the Monday after next; cutoff Saturday 28 February 09:00 local
LINK = re.compile(r"https?://[^\s\"<>]+/p/m/[A-Za-z0-9_-]+")


@pytest.fixture
def booked(client, db, app, paris, make_user, make_patient, api_token, smtp_server):
    """A French patient on apixaban booked through the API; the confirmation received by SMTP."""
    make_user("physician", sites=[paris])
    desk = make_user("front_desk", sites=[paris])
    headers = api_token(desk)
    patient = make_patient(language="fr", medications=["apixaban"])
    with time_machine.travel(BOOKED_AT, tick=False):
        r = client.post("/api/v1/appointments", headers=headers, json={
            "patient_id": patient.id, "location": "paris-test", "procedure": "esi-interlaminar", "start": START})
        assert r.status_code == 201, r.get_json()
        dispatch_until_empty(worker_id="t")
    received = [BytesParser(policy=policy.default).parsebytes(raw) for _f, _r, raw in smtp_server.messages]
    assert len(received) == 1
    text = received[0].get_body(("plain",)).get_content()
    links = set(LINK.findall(text))
    assert len(links) == 1, text
    path = "/" + links.pop().split("/", 3)[3]
    return {"id": r.get_json()["id"], "path": path, "headers": headers, "desk": desk, "smtp": smtp_server,
            "patient": patient}


def _post(client, path, prefix, data):
    token = csrf_token(client, "/login")
    return client.post(path, data={
        f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in data.items()}})


def _messages(smtp):
    return [BytesParser(policy=policy.default).parsebytes(raw) for _f, _r, raw in smtp.messages]


def test_the_link_is_opaque_and_the_page_in_the_patients_language(client, db, booked):
    token = booked["path"].rsplit("/", 1)[1]
    assert "." not in token and len(token) >= 30  # random, no signed payload to read
    assert db.session.execute(sa.select(ManageLink.appointment_id).where(ManageLink.token == token)).scalar_one() \
        == booked["id"]
    with time_machine.travel(BOOKED_AT + dt.timedelta(hours=1), tick=False):
        page = client.get(booked["path"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="fr"' in html and "Votre rendez-vous" in html
    assert "lundi 2 mars à 09:00" in html and "+33 1 00 00 00 00" in html
    # the site's phone is one tap away, its address one tap from a map
    assert '<a href="tel:+33100000000">+33 1 00 00 00 00</a>' in html
    assert 'href="https://www.openstreetmap.org/search?query=' in html and ">Plan</a>" in html
    assert "apixaban" in html and "Rappel la veille" in html
    visible = re.sub(r"<[^>]+>", " ", html)  # what the patient reads, not the form values
    assert "day_before" not in visible and "planned" not in visible and "T09:00:00" not in visible
    assert client.get(booked["path"] + "x" * 3).status_code == 404
    with time_machine.travel(BOOKED_AT + dt.timedelta(hours=1), tick=False):
        invite = client.get(booked["path"] + "/invite.ics")
    assert invite.status_code == 200 and invite.mimetype == "text/calendar"
    assert str(Calendar.from_ical(invite.data).events[0]["UID"]).startswith(f"appointment-{booked['id']}@")


def test_cancel_before_the_cutoff_frees_the_slot_and_sends_method_cancel(client, db, booked):
    at = dt.datetime(2026, 2, 27, 10, 0, tzinfo=UTC)  # 71 hours before
    with time_machine.travel(at, tick=False):
        r = _post(client, booked["path"] + "/cancel", "cancel", {"reason": "Je suis malade"})
        assert r.status_code == 302
        appointment = db.session.get(Appointment, booked["id"])
        db.session.refresh(appointment)
        assert appointment.status.value == "cancelled" and appointment.cancel_reason == "Je suis malade"
        slots = client.get("/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02",
                           headers=booked["headers"]).get_json()["slots"]
        assert START in {s["start"] for s in slots}
        day = client.get("/api/v1/appointments?location=paris-test&date=2026-03-02",
                         headers=booked["headers"]).get_json()["appointments"]
        assert [a["status"] for a in day if a["id"] == booked["id"]] == ["cancelled"]
        dispatch_until_empty(worker_id="t")
        page = client.get(booked["path"]).get_data(as_text=True)
    pending = db.session.execute(sa.select(Reminder.kind, Reminder.status).where(
        Reminder.appointment_id == booked["id"])).all()
    assert all(status.value in ("cancelled", "sent") for _k, status in pending)
    notice = _messages(booked["smtp"])[-1]
    part = next(p for p in notice.walk() if p.get_content_type() == "text/calendar")
    assert str(Calendar.from_ical(part.get_content())["METHOD"]) == "CANCEL"
    assert "Rendez-vous annulé" in page and "apixaban" not in page and "Annuler mon rendez-vous" not in page
    with time_machine.travel(at + dt.timedelta(minutes=5), tick=False):
        again = _post(client, booked["path"] + "/other-time", "other", {"starts": [START]})
    assert again.status_code == 302  # nothing but the cancellation: no request can follow it
    assert db.session.execute(sa.select(PatientRequest).where(
        PatientRequest.appointment_id == booked["id"])).first() is None


def test_after_the_cutoff_the_page_gives_the_phone_and_takes_a_request(client, db, booked):
    at = dt.datetime(2026, 2, 28, 9, 0, tzinfo=UTC)  # 47 hours before
    with time_machine.travel(at, tick=False):
        html = client.get(booked["path"]).get_data(as_text=True)
        assert "+33 1 00 00 00 00" in html and "cancel-reason" not in html
        assert html.count('href="tel:+33100000000"') >= 2      # in the facts and in the sentence that says to call
        refused = _post(client, booked["path"] + "/cancel", "cancel", {"reason": "trop tard"})
        assert refused.status_code == 302
        assert db.session.get(Appointment, booked["id"]).status.value == "booked"
        sent = _post(client, booked["path"] + "/request", "request", {"note": "Empêchement"})
    assert sent.status_code == 200
    kinds = db.session.execute(sa.select(PatientRequest.kind).where(
        PatientRequest.appointment_id == booked["id"])).scalars().all()
    assert kinds == ["cancellation"]


def test_another_time_is_confirmed_by_the_desk_in_one_click(client, db, booked, login):
    with time_machine.travel(BOOKED_AT + dt.timedelta(hours=2), tick=False):
        html = client.get(booked["path"]).get_data(as_text=True)
        offered = re.findall(r'name="other-starts"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="other-starts"', html)
        offered = [a or b for a, b in offered]
        assert len(offered) >= 4
        too_many = _post(client, booked["path"] + "/other-time", "other", {"starts": offered[:4]})
        assert too_many.status_code == 422
        asked = _post(client, booked["path"] + "/other-time", "other", {"starts": offered[1:3]})
        assert asked.status_code == 200
        request = db.session.execute(sa.select(PatientRequest).where(
            PatientRequest.kind == "reschedule")).scalar_one()
        options = db.session.execute(sa.select(TimeOption).where(TimeOption.request_id == request.id)
                                     .order_by(TimeOption.start_at)).scalars().all()
        assert len(options) == 2
        login(booked["desk"])
        listing = client.get("/patient-requests").get_data(as_text=True)
        assert f"/patient-requests/{request.id}/times/{options[0].id}" in listing
        client.post(f"/patient-requests/{request.id}/times/{options[0].id}",
                    data={"csrf_token": csrf_token(client, "/patient-requests")})
        appointment = db.session.get(Appointment, booked["id"])
        db.session.refresh(appointment)
        assert appointment.start_at == options[0].start_at and appointment.ical_sequence == 1
        assert "anticoagulant_hold" in {w["code"] for w in appointment.warnings}  # screened on the new date
        db.session.refresh(request)
        assert request.handled_at is not None
        kinds = db.session.execute(sa.select(Reminder.kind).where(
            Reminder.appointment_id == booked["id"], Reminder.status == "planned")).scalars().all()
        assert "rescheduled" in kinds and "confirmation" not in kinds


def test_the_link_expires_after_the_appointment(client, booked):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):  # 10:00 local, ended 09:30
        assert client.get(booked["path"]).status_code == 410
    assert client.get("/p/m/" + "A" * 32).status_code == 404


def test_stop_non_essential_messages(client, db, booked):
    with time_machine.travel(BOOKED_AT + dt.timedelta(hours=1), tick=False):
        r = _post(client, booked["path"] + "/optout", "optout", {})
    assert r.status_code == 200
    db.session.refresh(booked["patient"])
    assert booked["patient"].non_essential_opt_out is True
    week = db.session.execute(sa.select(Reminder.status).where(
        Reminder.appointment_id == booked["id"], Reminder.kind == "week_before")).scalar_one()
    assert week.value == "skipped"


def test_the_link_names_nothing_after_erasure(client, db, booked):
    from clinic.privacy.services import erase_patient

    erase_patient(booked["patient"], booked["patient"].last_name)
    db.session.commit()
    with time_machine.travel(BOOKED_AT + dt.timedelta(hours=1), tick=False):
        assert client.get(booked["path"]).status_code == 404
