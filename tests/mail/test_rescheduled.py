"""A reschedule through the API sends one 'your appointment has moved' message with the updated
invite (same UID, higher SEQUENCE), not a second confirmation; received by a real SMTP server."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.parser import BytesParser

import time_machine
from icalendar import Calendar

from clinic.reminders.dispatcher import dispatch_until_empty

BOOKED_AT = dt.datetime(2026, 2, 20, 10, 0, tzinfo=dt.UTC)


def _received(smtp_server):
    return [BytesParser(policy=policy.default).parsebytes(raw) for _f, _r, raw in smtp_server.messages]


def _event(msg):
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    cal = Calendar.from_ical(part.get_content())
    return str(cal["METHOD"]), cal.events[0]


def test_one_moved_message_with_the_same_uid_and_a_higher_sequence(client, db, smtp_server, paris, make_user,
                                                                    make_patient, api_token):
    paris.address = "Rue Drouot, 75009 Paris"
    make_user("physician", sites=[paris])
    headers = api_token(make_user("front_desk", sites=[paris]))
    patient = make_patient(language="fr")
    with time_machine.travel(BOOKED_AT, tick=False):
        booked = client.post("/api/v1/appointments", headers=headers, json={
            "patient_id": patient.id, "location": "paris-test", "procedure": "esi-interlaminar",
            "start": "2026-03-02T09:00:00+01:00"})
        assert booked.status_code == 201, booked.get_json()
        dispatch_until_empty(worker_id="t")
    appt_id = booked.get_json()["id"]
    with time_machine.travel(BOOKED_AT + dt.timedelta(hours=1), tick=False):
        moved = client.post(f"/api/v1/appointments/{appt_id}/reschedule", headers=headers,
                            json={"start": "2026-04-01T10:00:00+02:00"})
        assert moved.status_code == 200, moved.get_json()
        dispatch_until_empty(worker_id="t")
    first, second = _received(smtp_server)  # exactly two messages: the confirmation, then the move
    assert str(second["Subject"]).strip() == "Déplacé : votre rendez-vous du mercredi 1er avril à 10:00, Drouot, Paris 9e"
    text = second.get_body(("plain",)).get_content()
    assert "il était prévu le lundi 2 mars à 09:00" in text and "+33 1 00 00 00 00" in text
    assert "confirmé" not in text
    (m1, e1), (m2, e2) = _event(first), _event(second)
    assert (m1, m2) == ("REQUEST", "REQUEST") and str(e1["UID"]) == str(e2["UID"])
    assert int(e2["SEQUENCE"]) == int(e1["SEQUENCE"]) + 1
    assert e2.start == dt.datetime.fromisoformat("2026-04-01T10:00:00+02:00")
    kinds = [r["kind"] for r in client.get(f"/api/v1/appointments/{appt_id}/reminders", headers=headers)
             .get_json()["reminders"] if r["status"] == "sent"]
    assert sorted(kinds) == ["confirmation", "rescheduled"]
