"""POST /api/v1/physicians/{id}/time-off: admin only, 409 over bookings unless confirmed."""

import datetime as dt

import pytest
import time_machine

from clinic.scheduling.models import TimeOff

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
BODY = {"start": "2026-03-04T00:00:00+01:00", "end": "2026-03-05T00:00:00+01:00", "reason": "Congress"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(db, make_user, make_appointment, paris):
    physician = make_user("physician", sites=[paris])
    appointment = make_appointment(paris, dt.date(2026, 3, 4), dt.time(10), physician=physician, room=paris.rooms[0],
                                   side=None, region=None)
    db.session.commit()
    return physician, appointment


def test_time_off_created(db, client, api_as, make_user, paris):
    physician = make_user("physician", sites=[paris])
    response = client.post(f"/api/v1/physicians/{physician.id}/time-off", json={**BODY, "location": paris.code},
                           headers=api_as("admin"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["start"] == "2026-03-04T00:00:00+01:00" and body["end"] == "2026-03-05T00:00:00+01:00"
    assert db.session.get(TimeOff, body["id"]).site_id == paris.id


def test_time_off_over_booking_is_409_with_ids(db, client, api_as, booked):
    physician, appointment = booked
    headers = api_as("admin")
    db.session.commit()
    response = client.post(f"/api/v1/physicians/{physician.id}/time-off", json=BODY, headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "appointments_affected" and error["details"]["appointments"] == [appointment.id]
    assert db.session.query(TimeOff).filter_by(physician_id=physician.id).count() == 0


def test_confirmed_time_off_flags_appointments(db, client, api_as, booked):
    physician, appointment = booked
    response = client.post(f"/api/v1/physicians/{physician.id}/time-off", json={**BODY, "confirm": True},
                           headers=api_as("admin"))
    assert response.status_code == 201
    db.session.refresh(appointment)
    assert appointment.needs_reschedule is True


@pytest.mark.parametrize("role", ["front_desk", "physician", "nurse"])
def test_only_admins(db, client, api_as, make_user, paris, role):
    physician = make_user("physician", sites=[paris])
    response = client.post(f"/api/v1/physicians/{physician.id}/time-off", json=BODY, headers=api_as(role))
    assert response.status_code == 403


def test_no_token_is_401(db, client, make_user, paris):
    physician = make_user("physician", sites=[paris])
    assert client.post(f"/api/v1/physicians/{physician.id}/time-off", json=BODY).status_code == 401


def test_unknown_physician_is_404(db, client, api_as, make_user):
    nurse = make_user("nurse")
    headers = api_as("admin")
    assert client.post("/api/v1/physicians/999999/time-off", json=BODY, headers=headers).status_code == 404
    assert client.post(f"/api/v1/physicians/{nurse.id}/time-off", json=BODY, headers=headers).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({**BODY, "end": "2026-03-03T00:00:00+01:00"}, "end"),
    ({**BODY, "start": "2026-03-04T00:00:00"}, "start"),
    ({"end": BODY["end"]}, "start"),
    ({**BODY, "confirm": "yes"}, "confirm"),
    ({**BODY, "end": "2028-03-05T00:00:00+01:00"}, "end"),
])
def test_bad_bodies_are_422_naming_the_field(db, client, api_as, make_user, paris, body, field):
    physician = make_user("physician", sites=[paris])
    headers = api_as("admin")
    db.session.commit()
    response = client.post(f"/api/v1/physicians/{physician.id}/time-off", json=body, headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]


def test_openapi_describes_time_off(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "409" in paths["/api/v1/physicians/{id}/time-off"]["post"]["responses"]
