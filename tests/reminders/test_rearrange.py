"""A booking that will not happen as planned stops preparing the patient for it.

A no-show (only once the start has passed) and a booking stranded by time off close every message
that prepares the patient (the blood-thinner stop first) and send one message saying the
appointment will be re-arranged and that their medicines go on until they are told otherwise.
A no-show is undone on its own day only. Driven through the API and the pages, with the messages
that reach a real SMTP server.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.reminders.dispatcher import dispatch_until_empty
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling.models import Appointment, AppointmentStatus
from tests.web import csrf_token

UTC = dt.UTC
START = "2026-12-21T10:00:00+01:00"           # Monday, Paris: twelve days after the suite's Wednesday
STARTED = dt.datetime(2026, 12, 21, 9, 20, tzinfo=UTC)   # 10:20 in Paris, the start passed


@pytest.fixture(autouse=True)
def booking_day():
    """These tests book twelve days ahead of Wednesday 9 December 2026 and walk to the start, so
    they keep that Wednesday whatever instant the suite runs at (CLINIC_TEST_NOW)."""
    with time_machine.travel(dt.datetime(2026, 12, 9, 15, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def booked(db, client, paris, make_user, make_patient, api_token):
    """An interlaminar epidural for a French patient on apixaban, booked through the API."""
    physician = make_user("physician", sites=[paris])
    desk = make_user("front_desk", sites=[paris])
    headers = api_token(desk)
    patient = make_patient(language="fr", medications=["apixaban"])
    r = client.post("/api/v1/appointments", headers=headers, json={
        "patient_id": patient.id, "location": paris.code, "procedure": "esi-interlaminar", "start": START})
    assert r.status_code == 201, r.get_json()
    return {"id": r.get_json()["id"], "headers": headers, "desk": desk, "physician": physician}


def _rows(db, appointment_id: int) -> dict[str, Reminder]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Reminder).where(Reminder.appointment_id == appointment_id)
                              .order_by(Reminder.id)).scalars()
    return {row.kind: row for row in rows}


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_no_show_is_refused_before_the_start(client, booked):
    r = client.post(f"/api/v1/appointments/{booked['id']}/no-show", headers=booked["headers"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    with time_machine.travel(dt.datetime(2026, 12, 21, 8, 59, tzinfo=UTC), tick=False):   # 09:59 local
        assert client.post(f"/api/v1/appointments/{booked['id']}/no-show", headers=booked["headers"]).status_code == 409


def test_no_show_stops_the_preparation_and_tells_the_patient(db, client, smtp, booked):
    before = _rows(db, booked["id"])
    assert before["medication_stop"].status == ReminderStatus.PLANNED
    with time_machine.travel(STARTED, tick=False):
        r = client.post(f"/api/v1/appointments/{booked['id']}/no-show", headers=booked["headers"])
        assert r.status_code == 200 and r.get_json()["status"] == "no_show"
        rows = _rows(db, booked["id"])
        for kind in ("medication_stop", "week_before", "day_before"):
            assert (rows[kind].status, rows[kind].last_error) == (ReminderStatus.CANCELLED, "no-show"), kind
        assert rows["aftercare_evening"].status == ReminderStatus.SKIPPED
        assert rows["rearrange"].status == ReminderStatus.PLANNED
        dispatch_until_empty(worker_id="test")
    rearrange = [m for m in smtp.messages if "reprogramm" in _text(m) or "autre date" in _text(m)]
    assert len(rearrange) == 1
    text = _text(rearrange[0])
    assert "continuez tous vos traitements habituels" in text and "anticoagulants" in text
    assert rearrange[0]["Subject"].startswith("À propos de votre rendez-vous du lundi 21 décembre")
    assert _rows(db, booked["id"])["rearrange"].status == ReminderStatus.SENT


def test_time_off_that_strands_the_booking_cancels_the_stop_reminder(db, client, smtp, booked, api_token, make_user):
    admin = api_token(make_user("admin"))
    r = client.post(f"/api/v1/physicians/{booked['physician'].id}/time-off", headers=admin, json={
        "start": "2026-12-21T00:00:00+01:00", "end": "2026-12-22T00:00:00+01:00", "reason": "Congress",
        "confirm": True})
    assert r.status_code == 201, r.get_json()
    assert db.session.get(Appointment, booked["id"]).needs_reschedule is True
    rows = _rows(db, booked["id"])
    assert (rows["medication_stop"].status, rows["medication_stop"].last_error) == \
        (ReminderStatus.CANCELLED, "to reschedule")
    assert rows["rearrange"].status == ReminderStatus.PLANNED
    # Through every day up to the old start: only the confirmation and the re-arrange message go out.
    for day in range(0, 13):
        with time_machine.travel(dt.datetime(2026, 12, 9, 16, tzinfo=UTC) + dt.timedelta(days=day), tick=False):
            dispatch_until_empty(worker_id="test")
    sent = sorted(row.kind for row in _rows(db, booked["id"]).values() if row.status == ReminderStatus.SENT)
    assert sent == ["confirmation", "rearrange"]
    assert not any("apixaban" in _text(m) and "dernier jour" in _text(m) for m in smtp.messages)


def _show(client, page: str) -> str:
    r = client.get(page)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_a_no_show_is_undone_on_its_day_only(db, client, login, booked):
    page = f"/appointments/{booked['id']}"
    with time_machine.travel(STARTED, tick=False):
        login(booked["desk"])
        assert "Undo the no-show" not in _show(client, page)
        assert client.post(f"/api/v1/appointments/{booked['id']}/no-show", headers=booked["headers"]).status_code == 200
        assert "Undo the no-show" in _show(client, page)
        r = client.post(f"{page}/no-show/undo", data={"csrf_token": csrf_token(client, page)})
        assert r.status_code == 302
        assert db.session.get(Appointment, booked["id"]).status == AppointmentStatus.BOOKED
        rows = _rows(db, booked["id"])
        assert (rows["rearrange"].status, rows["rearrange"].last_error) == (ReminderStatus.CANCELLED, "no-show undone")
        assert any(row.kind == "aftercare_evening" and row.status == ReminderStatus.PLANNED
                   for row in db.session.execute(sa.select(Reminder).where(
                       Reminder.appointment_id == booked["id"])).scalars())
        assert client.post(f"/api/v1/appointments/{booked['id']}/no-show", headers=booked["headers"]).status_code == 200
    with time_machine.travel(STARTED + dt.timedelta(days=1), tick=False):
        login(booked["desk"])
        assert "Undo the no-show" not in _show(client, page)
        client.post(f"{page}/no-show/undo", data={"csrf_token": csrf_token(client, page)})
        assert db.session.get(Appointment, booked["id"]).status == AppointmentStatus.NO_SHOW


def test_the_no_show_button_waits_for_the_start(client, login, booked):
    login(booked["desk"])
    page = f"/appointments/{booked['id']}"
    assert "Check in" not in _show(client, page) and 'no-show"' not in _show(client, page)
    with time_machine.travel(STARTED, tick=False):
        login(booked["desk"])
        assert f'/appointments/{booked["id"]}/no-show"' in _show(client, page)
