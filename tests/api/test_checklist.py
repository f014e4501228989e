"""The checklist endpoints of the API contract: shapes, state values, and error codes in order."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from clinic.audit.models import AuditEvent
from clinic.procedures import services
from clinic.scheduling.models import AppointmentStatus

ITEM_KEYS = {"code", "label", "type", "roles", "required", "done", "value", "done_by", "done_at"}
STATES = {"open", "in_procedure", "monitoring", "ready_for_discharge", "discharged", "signed"}
T0 = dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(make_user, api_token, paris):
    def make(role):
        user = make_user(role, sites=[paris] if role != "admin" else [])
        return user, api_token(user)

    return make


def url(appointment, item=None) -> str:
    base = f"/api/v1/appointments/{appointment.id}/checklist"
    return f"{base}/{item}" if item else base


def error(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_get_shape(client, make_case, staff):
    """GET answers {state, phases: [{code, items: [item]}]} with the contract's item keys."""
    appointment = make_case(procedure="esi-transforaminal", medications=["warfarin"])
    _nurse, headers = staff("nurse")
    response = client.get(url(appointment), headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "open" and body["state"] in STATES
    assert [p["code"] for p in body["phases"]] == ["sign_in", "time_out", "procedure", "monitoring", "discharge", "signature"]
    items = {i["code"]: i for p in body["phases"] for i in p["items"]}
    for item in items.values():
        assert set(item) >= ITEM_KEYS
    inr = items["inr"]
    assert (inr["type"], inr["unit"], inr["min"], inr["max"]) == ("number", "INR", 0.5, 10)
    assert items["steroid"]["choices"][0] == "dexamethasone" and items["steroid"]["roles"] == ["physician"]
    assert items["pain_before"]["type"] == "pain_score" and items["pain_before"]["max"] == 10
    assert items["vitals_before"]["type"] == "vitals" and items["vitals_before"]["roles"] == ["nurse", "physician"]
    assert items["identity_confirmed"]["done"] is False and items["identity_confirmed"]["value"] is None


def test_post_answers_the_item(client, make_case, staff):
    """POST records the value and answers the item, done, with who and when in the site's offset."""
    appointment = make_case()
    nurse, headers = staff("nurse")
    vitals = {"systolic": 130, "diastolic": 85, "pulse": 64, "spo2": 97}
    response = client.post(url(appointment, "vitals_before"), json={"value": vitals}, headers=headers)
    assert response.status_code == 200
    item = response.get_json()
    assert item["code"] == "vitals_before" and item["done"] is True and item["value"] == vitals
    assert item["done_by"] == nurse.id
    assert dt.datetime.fromisoformat(item["done_at"]).utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))


def test_401_without_token(client, make_case):
    appointment = make_case()
    assert error(client.get(url(appointment))) == (401, "unauthorized")
    assert error(client.post(url(appointment, "identity_confirmed"), json={"value": True})) == (401, "unauthorized")


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_403_for_roles_that_do_not_record(client, make_case, staff, role):
    """Front desk and admin cannot record; a front desk cannot read the clinical checklist either."""
    appointment = make_case()
    _user, headers = staff(role)
    assert error(client.post(url(appointment, "identity_confirmed"), json={"value": True}, headers=headers))[0] == 403
    assert client.get(url(appointment), headers=headers).status_code == (403 if role == "front_desk" else 200)


def test_403_other_site_404_other_organisation(client, make_case, make_user, make_site, api_token, minnesota):
    """A nurse of another site of the organisation gets 403; of another organisation's site 404
    (the appointment does not exist for them)."""
    appointment = make_case()
    same_org = api_token(make_user("nurse", sites=[make_site(organisation=appointment.site.organisation)]))
    assert client.get(url(appointment), headers=same_org).status_code == 403
    other_org = api_token(make_user("nurse", sites=[minnesota]))
    assert client.get(url(appointment), headers=other_org).status_code == 404


def test_403_before_409(client, make_case, staff):
    """A nurse posting a physician's item out of turn gets 403, not 409."""
    appointment = make_case(status=AppointmentStatus.BOOKED)
    _nurse, headers = staff("nurse")
    assert error(client.post(url(appointment, "signature"), json={"value": True}, headers=headers)) == (403, "forbidden")


def test_404_unknown_appointment_and_item(client, make_case, staff):
    appointment = make_case()
    _nurse, headers = staff("nurse")
    assert error(client.get("/api/v1/appointments/999999/checklist", headers=headers)) == (404, "not_found")
    assert error(client.post(url(appointment, "nope"), json={"value": True}, headers=headers)) == (404, "not_found")


def test_409_not_checked_in_before_422(client, make_case, staff):
    """Before check-in: 409 not_checked_in, even with a bad value or body."""
    appointment = make_case(status=AppointmentStatus.BOOKED)
    _nurse, headers = staff("nurse")
    assert error(client.post(url(appointment, "pain_before"), json={"value": 42}, headers=headers)) == (409, "not_checked_in")
    assert error(client.post(url(appointment, "pain_before"), data="not json", headers=headers)) == (409, "not_checked_in")


def test_409_out_of_order(client, make_case, staff):
    appointment = make_case()
    _doc, headers = staff("physician")
    response = client.post(url(appointment, "imaging_used"), json={"value": "fluoroscopy"}, headers=headers)
    assert error(response) == (409, "out_of_order")
    assert "identity_confirmed" in response.get_json()["error"]["details"]["open"]


@pytest.mark.parametrize("value", ["yes", 12, None, {"x": 1}])
def test_422_invalid_value(client, make_case, staff, value):
    appointment = make_case()
    _nurse, headers = staff("nurse")
    response = client.post(url(appointment, "pain_before"), json={"value": value}, headers=headers)
    assert error(response) == (422, "invalid_value")


def test_422_for_a_body_that_is_not_an_object(client, make_case, staff):
    appointment = make_case()
    _nurse, headers = staff("nurse")
    assert error(client.post(url(appointment, "pain_before"), json=[1], headers=headers)) == (422, "invalid_value")


def test_monitoring_time_override_and_signed(client, make_case, staff, complete_phase):
    """409 monitoring_time with minutes_left; a physician's override_reason passes; after the
    signature plain changes answer 409 signed and amendments need a reason."""
    appointment = make_case()
    nurse, nurse_headers = staff("nurse")
    doc, doc_headers = staff("physician")
    with time_machine.travel(T0, tick=False):
        for phase in ("sign_in", "time_out", "procedure", "monitoring"):
            complete_phase(appointment, phase, nurse, doc)
    with time_machine.travel(T0 + dt.timedelta(minutes=6), tick=False):
        body = client.get(url(appointment), headers=nurse_headers).get_json()
        assert body["state"] == "monitoring" and body["minutes_left"] == 9
        response = client.post(url(appointment, "vitals_stable"), json={"value": True}, headers=nurse_headers)
        assert error(response) == (409, "monitoring_time")
        assert response.get_json()["error"]["details"]["minutes_left"] == 9
        response = client.post(url(appointment, "vitals_stable"), headers=doc_headers,
                               json={"value": True, "override_reason": "Stable, escort waiting"})
        assert response.status_code == 200 and response.get_json()["override_reason"] == "Stable, escort waiting"
        for code in ("alert_baseline", "instructions_given"):
            assert client.post(url(appointment, code), json={"value": True}, headers=doc_headers,
                               ).get_json()["state"] == "monitoring"
        assert client.post(url(appointment, "pain_after"), json={"value": 3}, headers=nurse_headers,
                           ).get_json()["state"] == "discharged"
        assert client.post(url(appointment, "signature"), json={"value": True}, headers=doc_headers,
                           ).get_json()["state"] == "signed"
        assert error(client.post(url(appointment, "pain_after"), json={"value": 1}, headers=nurse_headers)) == (409, "signed")
        response = client.post(url(appointment, "pain_after"), headers=nurse_headers,
                               json={"value": 1, "amendment_reason": "Patient corrected the score"})
        assert response.status_code == 200 and response.get_json()["amended"] is True
    assert services.load_case(appointment).checklist.state.value == "signed"


def test_reads_and_writes_are_audited(client, make_case, staff, db):
    """The API's checklist read and write each leave an audit event on the patient."""
    appointment = make_case()
    _nurse, headers = staff("nurse")
    client.get(url(appointment), headers=headers)
    client.post(url(appointment, "identity_confirmed"), json={"value": True}, headers=headers)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.patient_id == appointment.patient_id)).all()
    assert "checklist.read" in actions and "checklist.record" in actions


def test_openapi_describes_the_checklist(client):
    """The OpenAPI document carries both checklist paths and the item schema."""
    doc = client.get("/api/openapi.json").get_json()
    assert "/api/v1/appointments/{id}/checklist" in doc["paths"]
    post = doc["paths"]["/api/v1/appointments/{id}/checklist/{item_code}"]["post"]
    assert set(post["responses"]) == {"200", "401", "403", "404", "409", "422"}
    assert set(doc["components"]["schemas"]["ChecklistItem"]["required"]) == ITEM_KEYS
