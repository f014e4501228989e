"""GET /api/v1/appointments/{id}/reminders: the contract's fields, the site check, the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.audit.models import AuditEvent

UTC = dt.UTC
START = "2026-03-02T09:00:00+01:00"
FIELDS = {"id", "kind", "channel", "send_at", "status", "sent_at", "attempts"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 2, 20, 10, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def booked(client, db, paris, make_user, make_patient, api_token):
    make_user("physician", sites=[paris])
    desk = make_user("front_desk", sites=[paris])
    headers = api_token(desk)
    r = client.post("/api/v1/appointments", headers=headers, json={
        "patient_id": make_patient().id, "location": "paris-test", "procedure": "esi-interlaminar", "start": START})
    assert r.status_code == 201, r.get_json()
    return r.get_json(), headers


def test_reminders_have_the_contract_fields_in_site_offset(client, booked):
    """Every row of the appointment, by due time, with the contract's fields in the site's offset."""
    appt, headers = booked
    r = client.get(f"/api/v1/appointments/{appt['id']}/reminders", headers=headers)
    assert r.status_code == 200
    rows = r.get_json()["reminders"]
    assert rows and all(set(row) == FIELDS for row in rows)
    assert rows[0]["kind"] == "confirmation" and rows[0]["channel"] == "email"
    assert {row["kind"] for row in rows} >= {"confirmation", "day_before", "week_before"}
    assert all(row["send_at"].endswith("+01:00") and row["sent_at"] is None and row["attempts"] == 0
               and row["status"] == "planned" for row in rows)
    assert [row["send_at"] for row in rows] == sorted(row["send_at"] for row in rows)
    assert [(x["kind"], x["send_at"], x["status"]) for x in rows] == [
        (x["kind"], x["send_at"], x["status"]) for x in appt["reminders"]]


def test_sent_rows_carry_sent_at_and_attempts(client, booked, app, tmp_path, monkeypatch):
    """After a dispatch pass, the confirmation reads sent, with its local send time and one attempt."""
    from clinic.reminders.dispatcher import dispatch_once

    appt, headers = booked
    monkeypatch.setitem(app.config, "OUTBOX_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    dispatch_once()
    rows = client.get(f"/api/v1/appointments/{appt['id']}/reminders", headers=headers).get_json()["reminders"]
    confirmation = next(row for row in rows if row["kind"] == "confirmation")
    assert confirmation["status"] == "sent" and confirmation["attempts"] == 1
    assert confirmation["sent_at"] == "2026-02-20T11:00:00+01:00"


def test_reading_is_audited(client, booked, db):
    appt, headers = booked
    assert client.get(f"/api/v1/appointments/{appt['id']}/reminders", headers=headers).status_code == 200
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.patient_id == appt["patient_id"], AuditEvent.object_id == str(appt["id"]))).all()
    assert "appointment.reminders.read" in actions


def test_other_site_is_forbidden_and_unknown_is_404(client, booked, make_user, make_site, api_token):
    appt, _headers = booked
    other = make_user("front_desk", sites=[make_site()])
    assert client.get(f"/api/v1/appointments/{appt['id']}/reminders", headers=api_token(other)).status_code == 403
    assert client.get("/api/v1/appointments/999999/reminders", headers=_headers).status_code == 404
    assert client.get(f"/api/v1/appointments/{appt['id']}/reminders").status_code == 401


def test_openapi_describes_the_route(client):
    doc = client.get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/v1/appointments/{id}/reminders"]["get"]
    assert set(op["responses"]) >= {"200", "401", "403", "404"}
    assert set(doc["components"]["schemas"]["Reminder"]["required"]) == FIELDS
