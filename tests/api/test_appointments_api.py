"""The availability and appointment API: shapes, error codes and their order, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling.models import Appointment, IdempotencyKey

UTC = dt.UTC
START = "2026-03-02T09:00:00+01:00"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 2, 20, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def setup(db, paris, make_user, make_patient, api_token):
    doc = make_user("physician", sites=[paris])
    desk = make_user("front_desk", sites=[paris])
    return {"doc": doc, "desk": desk, "patient": make_patient(), "h": api_token(desk), "doc_h": api_token(doc)}


def booking(setup, **kw):
    return {"patient_id": setup["patient"].id, "location": "paris-test", "procedure": "esi-interlaminar",
            "start": START, **kw}


def test_availability_lists_slots_in_site_offset(client, setup):
    """Slots come sorted, in the site's offset, with physician and room."""
    r = client.get("/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02&days=2",
                   headers=setup["h"])
    assert r.status_code == 200
    slots = r.get_json()["slots"]
    assert slots[0] == {"start": "2026-03-02T08:00:00+01:00", "end": "2026-03-02T08:30:00+01:00",
                        "physician_id": setup["doc"].id, "room": "Room 1", "room_id": slots[0]["room_id"]}
    assert [s["start"] for s in slots] == sorted(s["start"] for s in slots)
    assert slots[-1]["start"].startswith("2026-03-03T16:30")


def test_availability_body_is_every_slot_as_json(db, client, setup, make_user):
    """The directly written answer is valid JSON holding every slot of the engine, names escaped."""
    from clinic.scheduling.availability import find_slots
    from clinic.sites.models import Room

    site = setup["doc"].sites[0]
    site.rooms.append(Room(name='Salle "B" \\ étage', modalities=["fluoroscopy"]))
    make_user("physician", sites=[site])
    db.session.commit()
    r = client.get("/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02&days=3",
                   headers=setup["h"])
    assert r.status_code == 200 and r.mimetype == "application/json"
    names = {room.id: room.name for room in site.rooms}
    tz = site.tz
    expected = [{"start": s.start_at.astimezone(tz).isoformat(), "end": s.end_at.astimezone(tz).isoformat(),
                 "physician_id": s.physician_id, "room": names[s.room_id], "room_id": s.room_id}
                for s in find_slots(site, "esi-interlaminar", dt.date(2026, 3, 2), 3)]
    assert len({s["physician_id"] for s in expected}) == 2 and len({s["room_id"] for s in expected}) == 2
    assert r.get_json() == {"slots": expected}


@pytest.mark.parametrize("query, status, field", [
    ("location=paris-test&procedure=nope&date=2026-03-02", 422, "procedure"),
    ("location=paris-test&procedure=esi-interlaminar&date=2026-13-02", 422, "date"),
    ("location=paris-test&procedure=esi-interlaminar&date=2026-03-02&days=121", 422, "days"),
    ("location=paris-test&procedure=esi-interlaminar", 422, "date"),
    ("location=elsewhere&procedure=esi-interlaminar&date=2026-03-02", 403, None),
])
def test_availability_bad_queries(client, setup, query, status, field):
    """Bad parameters answer 422 naming the field; an unknown or foreign site 403."""
    r = client.get(f"/api/v1/availability?{query}", headers=setup["h"])
    assert r.status_code == status
    if field:
        assert field in r.get_json()["error"]["details"]


def test_book_returns_the_appointment(client, db, setup):
    """201 with every field of the contract's appointment, times in the site's offset."""
    r = client.post("/api/v1/appointments", json=booking(setup, region="lumbar", side="left", levels=["L4-L5"],
                                                        screening={"fever": False}), headers=setup["h"])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    for key in ("id", "patient_id", "status", "start", "end", "location", "procedure", "physician_id", "room",
                "region", "side", "levels", "sedation", "needs_reschedule", "warnings", "medication_holds",
                "preparation", "reminders"):
        assert key in body
    assert body["start"] == START and body["end"] == "2026-03-02T09:30:00+01:00"
    assert body["status"] == "booked" and body["location"] == "paris-test" and body["levels"] == ["L4-L5"]
    got = client.get(f"/api/v1/appointments/{body['id']}", headers=setup["h"]).get_json()
    assert got["id"] == body["id"] and got["start"] == START


def test_reminders_of_the_appointment_are_listed(client, db, setup):
    """`reminders` lists the appointment's reminder rows with send_at in the site's offset."""
    appt_id = client.post("/api/v1/appointments", json=booking(setup), headers=setup["h"]).get_json()["id"]
    appt = db.session.get(Appointment, appt_id)
    at = dt.datetime(2026, 3, 1, 8, tzinfo=UTC)
    db.session.add(Reminder(appointment_id=appt_id, patient_id=appt.patient_id, site_id=appt.site_id,
                            kind="day_before", send_at=at, next_attempt_at=at, status=ReminderStatus.PLANNED))
    db.session.flush()
    body = client.get(f"/api/v1/appointments/{appt_id}", headers=setup["h"]).get_json()
    assert {"kind": "day_before", "channel": "email", "send_at": "2026-03-01T09:00:00+01:00", "status": "planned"} in body["reminders"]


def test_slot_taken_is_409_and_refusal_is_422(client, setup, make_patient):
    """A second booking of the slot answers 409 slot_unavailable (patient_busy for the same patient);
    a fever answers 422 fever."""
    assert client.post("/api/v1/appointments", json=booking(setup), headers=setup["h"]).status_code == 201
    r = client.post("/api/v1/appointments", json=booking(setup, patient_id=make_patient().id), headers=setup["h"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_unavailable"
    r = client.post("/api/v1/appointments", json=booking(setup), headers=setup["h"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "patient_busy"
    r = client.post("/api/v1/appointments", json=booking(setup, start="2026-03-02T11:00:00+01:00",
                                                         screening={"fever": True}), headers=setup["h"])
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "fever"


def test_override_only_from_a_physician(client, setup):
    """The front desk's override answers 403; the physician's books with the warning."""
    body = booking(setup, screening={"active_infection": True}, override={"reason": "Treated, cleared by GP"})
    assert client.post("/api/v1/appointments", json=body, headers=setup["h"]).status_code == 403
    r = client.post("/api/v1/appointments", json=body, headers=setup["doc_h"])
    assert r.status_code == 201 and "active_infection" in [w["code"] for w in r.get_json()["warnings"]]


def test_error_order_and_site_access(client, setup, make_site, make_user, api_token):
    """401 without token, 403 for another site, 404 for an unknown patient, 422 for bad fields."""
    assert client.post("/api/v1/appointments", json=booking(setup)).status_code == 401
    other = make_site(code="other-site")
    assert client.post("/api/v1/appointments", json=booking(setup, location="other-site", start="bad"),
                       headers=setup["h"]).status_code == 403
    r = client.post("/api/v1/appointments", json=booking(setup, patient_id=999999, start="bad"), headers=setup["h"])
    assert r.status_code == 404
    r = client.post("/api/v1/appointments", json=booking(setup, start="2026-03-02T09:00", side="up"), headers=setup["h"])
    assert r.status_code == 422 and {"start", "side"} <= set(r.get_json()["error"]["details"])
    nurse = api_token(make_user("nurse", sites=[other]))
    assert client.post("/api/v1/appointments", json=booking(setup), headers=nurse).status_code == 403
    appt_id = client.post("/api/v1/appointments", json=booking(setup), headers=setup["h"]).get_json()["id"]
    outsider = api_token(make_user("front_desk", sites=[other]))
    assert client.get(f"/api/v1/appointments/{appt_id}", headers=outsider).status_code == 403
    assert client.get("/api/v1/appointments/999999", headers=setup["h"]).status_code == 404


def test_idempotency_key_replays_and_refuses_reuse(client, db, setup):
    """Same key and body: same answer, one booking. Same key, other body: 422 idempotency_key_reused."""
    headers = {**setup["h"], "Idempotency-Key": "k-123"}
    first = client.post("/api/v1/appointments", json=booking(setup), headers=headers)
    again = client.post("/api/v1/appointments", json=booking(setup), headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    count = db.session.execute(sa.select(sa.func.count(Appointment.id)).where(
        Appointment.patient_id == setup["patient"].id)).scalar_one()
    assert count == 1
    other = client.post("/api/v1/appointments", json=booking(setup, start="2026-03-02T11:00:00+01:00"), headers=headers)
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"


def test_reschedule_and_cancel_answers(client, setup):
    """Reschedule keeps the id; cancel needs a reason, then answers cancelled; a second cancel is 409."""
    appt = client.post("/api/v1/appointments", json=booking(setup), headers=setup["h"]).get_json()
    url = f"/api/v1/appointments/{appt['id']}"
    r = client.post(f"{url}/reschedule", json={"start": "2026-03-03T10:00:00+01:00"}, headers=setup["h"])
    assert r.status_code == 200 and r.get_json()["id"] == appt["id"] and r.get_json()["start"] == "2026-03-03T10:00:00+01:00"
    assert client.post(f"{url}/reschedule", json={"start": "2026-03-03T19:00:00+01:00"}, headers=setup["h"]).status_code == 409
    assert client.post(f"{url}/reschedule", json={}, headers=setup["h"]).status_code == 422
    r = client.post(f"{url}/cancel", json={}, headers=setup["h"])
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["details"]
    r = client.post(f"{url}/cancel", json={"reason": "Feeling better"}, headers=setup["h"])
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    r = client.post(f"{url}/cancel", json={"reason": "again"}, headers=setup["h"])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    r = client.post(f"{url}/reschedule", json={"start": "bad"}, headers=setup["h"])
    assert r.status_code == 409


def test_day_list_includes_cancelled(client, setup):
    """The day list is in start order and keeps cancelled appointments with their status."""
    a = client.post("/api/v1/appointments", json=booking(setup, start="2026-03-02T11:00:00+01:00"), headers=setup["h"]).get_json()
    b = client.post("/api/v1/appointments", json=booking(setup), headers=setup["h"]).get_json()
    client.post(f"/api/v1/appointments/{a['id']}/cancel", json={"reason": "Moved away"}, headers=setup["h"])
    r = client.get("/api/v1/appointments?location=paris-test&date=2026-03-02", headers=setup["h"])
    assert [(x["id"], x["status"]) for x in r.get_json()["appointments"]] == [(b["id"], "booked"), (a["id"], "cancelled")]


def test_check_in_on_the_day_and_no_show(client, setup, make_user, api_token):
    """Check-in is refused before the day (409) and works on it; no-show for the front desk only."""
    appt = client.post("/api/v1/appointments", json=booking(setup), headers=setup["h"]).get_json()
    url = f"/api/v1/appointments/{appt['id']}"
    assert client.post(f"{url}/check-in", headers=setup["h"]).status_code == 409
    assert client.post(f"{url}/no-show", headers=setup["doc_h"]).status_code == 403
    with time_machine.travel(dt.datetime(2026, 3, 2, 7, 30, tzinfo=UTC), tick=False):
        r = client.post(f"{url}/check-in", headers=api_token(make_user("nurse", sites=[setup["doc"].sites[0]])))
    assert r.status_code == 200 and r.get_json()["status"] == "checked_in"
    assert client.post(f"{url}/no-show", headers=setup["h"]).status_code == 409


@pytest.mark.parametrize("day, offset_paris, offset_mn", [
    ("2026-03-09", "+01:00", "-05:00"), ("2026-03-16", "+01:00", "-05:00"), ("2026-03-30", "+02:00", "-05:00"),
])
def test_nine_local_through_the_api_on_dst_mondays(client, db, paris, minnesota, make_user, make_patient, api_token,
                                                    day, offset_paris, offset_mn):
    """09:00 at each site is answered as 09:00 with the right offset and stored as the right UTC instant."""
    admin = api_token(make_user("admin"))
    for site, offset in ((paris, offset_paris), (minnesota, offset_mn)):
        make_user("physician", sites=[site])
        start = f"{day}T09:00:00{offset}"
        r = client.post("/api/v1/appointments", headers=admin, json={
            "patient_id": make_patient(site=site).id, "location": site.code, "procedure": "esi-interlaminar",
            "start": start})
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["start"] == start
        stored = db.session.get(Appointment, r.get_json()["id"]).start_at
        assert stored == dt.datetime.fromisoformat(start).astimezone(UTC)
        assert stored.astimezone(site.tz).strftime("%H:%M") == "09:00"


def test_openapi_describes_the_routes(client):
    """The OpenAPI document lists every appointment route and the Appointment schema's fields."""
    doc = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/availability", "/api/v1/appointments", "/api/v1/appointments/{id}",
                 "/api/v1/appointments/{id}/reschedule", "/api/v1/appointments/{id}/cancel",
                 "/api/v1/appointments/{id}/check-in", "/api/v1/appointments/{id}/no-show"):
        assert path in doc["paths"]
    assert "reminders" in doc["components"]["schemas"]["Appointment"]["required"]
    assert "201" in doc["paths"]["/api/v1/appointments"]["post"]["responses"]
    assert "patient_busy" in doc["paths"]["/api/v1/appointments"]["post"]["description"]
    for action in ("reschedule", "cancel", "check-in"):
        assert "conflict_retry" in doc["paths"][f"/api/v1/appointments/{{id}}/{action}"]["post"]["description"]


@pytest.mark.parametrize("query", ["date=9999-12-31&days=120", "date=0001-01-01", "date=2026-03-02&physician=abc"])
def test_availability_far_dates_never_fail(client, setup, query):
    """Dates at the ends of the calendar answer an empty list or 422, never a 500."""
    r = client.get(f"/api/v1/availability?location=paris-test&procedure=esi-interlaminar&{query}", headers=setup["h"])
    assert r.status_code in (200, 422) and (r.status_code == 422 or r.get_json()["slots"] == [])


def test_grouped_availability_is_the_slots_by_start(db, client, setup, make_user):
    """`group=start` holds exactly the default answer's slots, one entry per start, rooms named once."""
    make_user("physician", sites=[setup["doc"].sites[0]])
    db.session.commit()
    query = "/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02&days=2"
    slots = client.get(query, headers=setup["h"]).get_json()["slots"]
    grouped = client.get(query + "&group=start", headers=setup["h"]).get_json()
    pairs = {(e["start"], e["end"], physician, room)
             for e in grouped["starts"] for physician in e["physicians"] for room in e["rooms"]}
    assert pairs == {(s["start"], s["end"], s["physician_id"], s["room_id"]) for s in slots}
    assert [e["start"] for e in grouped["starts"]] == sorted({s["start"] for s in slots})
    assert {int(k): v for k, v in grouped["room_names"].items()} == {s["room_id"]: s["room"] for s in slots}
    assert len(grouped["starts"]) < len(slots)


def test_grouped_availability_refuses_other_groupings(client, setup):
    r = client.get("/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02&group=room",
                   headers=setup["h"])
    assert r.status_code == 422 and "group" in r.get_json()["error"]["details"]


def test_cached_answer_lasts_until_the_notice_edge_crosses_a_start(client, setup):
    """The answer is kept while the minimum notice moves between two starts, and computed again
    as soon as it passes one (the first start then goes)."""
    query = "/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date=2026-03-02"
    cache = client.application.extensions.get("availability_answers")
    with time_machine.travel(dt.datetime(2026, 3, 1, 8, 5, tzinfo=UTC), tick=False) as traveller:
        first = client.get(query, headers=setup["h"]).get_json()["slots"]
        assert first[0]["start"] == "2026-03-02T09:15:00+01:00"
        cache = client.application.extensions["availability_answers"]
        hits, misses = cache.hits, cache.misses
        traveller.move_to(dt.datetime(2026, 3, 1, 8, 14, 59, tzinfo=UTC))
        assert client.get(query, headers=setup["h"]).get_json()["slots"] == first
        assert (cache.hits, cache.misses) == (hits + 1, misses)
        traveller.move_to(dt.datetime(2026, 3, 1, 8, 15, 1, tzinfo=UTC))
        later = client.get(query, headers=setup["h"]).get_json()["slots"]
        assert cache.misses == misses + 1
        assert later[0]["start"] == "2026-03-02T09:30:00+01:00" and later == [s for s in first if s["start"] >= later[0]["start"]]


def test_a_stored_answer_carries_its_appointments_organisation(db, client, setup):
    """The replayed answer of an Idempotency-Key is patient data: it is kept in the organisation of
    the appointment it describes, like every other row about that patient."""
    headers = {**setup["h"], "Idempotency-Key": "org-of-answer"}
    r = client.post("/api/v1/appointments", json=booking(setup), headers=headers)
    assert r.status_code == 201
    row = db.session.execute(sa.select(IdempotencyKey).where(IdempotencyKey.key == "org-of-answer")).scalar_one()
    appointment = db.session.get(Appointment, r.get_json()["id"])
    assert row.organisation_id == appointment.organisation_id == setup["patient"].organisation_id is not None
