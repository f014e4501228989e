"""Patients over the API: validation, search, reads, and the audit trail of each."""

import pytest

from clinic.audit.models import AuditEvent
from clinic.patients.models import Patient
from tests.factories import PATIENT_JSON

GOOD = PATIENT_JSON


def _count(db, model):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def test_create_patient(client, api_as, db):
    response = client.post("/api/v1/patients", json=GOOD, headers=api_as("front_desk"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] > 0 and body["last_name"] == "Dubois" and body["medications"][0]["drug"] == "apixaban"
    assert body["injection_history"] == []
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "patient.create")).scalar_one()
    assert event.patient_id == body["id"] and event.channel == "api"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"first_name": ""}, "first_name"),
        ({"birth_date": "1961-02-30"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"email": "not-an-email"}, "email"),
        ({"language": "de"}, "language"),
        ({"conditions": ["vampirism"]}, "conditions"),
        ({"allergies": "latex"}, "allergies"),
        ({"medications": [{"drug": 12}]}, "medications"),
        ({"first_name": "x" * 101}, "first_name"),
    ],
)
def test_bad_patient_input_is_422_and_writes_nothing(client, api_as, db, change, field):
    """Each bad field is named in details; no patient row and no audit row is written."""
    headers = api_as("front_desk")
    before = _count(db, Patient), _count(db, AuditEvent)
    response = client.post("/api/v1/patients", json=GOOD | change, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and field in error["details"]
    assert (_count(db, Patient), _count(db, AuditEvent)) == before


@pytest.mark.parametrize("body", ["not json", "[]", "null"])
def test_non_object_body_is_422(client, api_as, body):
    response = client.post("/api/v1/patients", data=body, headers=api_as("front_desk") | {"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"


def test_nurse_cannot_register_patients(client, api_as):
    assert client.post("/api/v1/patients", json=GOOD, headers=api_as("nurse")).status_code == 403


def test_search_by_name_email_and_birth_date(client, api_as, make_patient):
    target = make_patient(first_name="Hélène", last_name="Girard", email="helene@example.org")
    make_patient(first_name="Paul", last_name="Sorensen")
    headers = api_as("nurse")
    for q in ("girard", "hélène gir", "helene@example", "1960-05-17"):
        body = client.get("/api/v1/patients", query_string={"q": q}, headers=headers).get_json()
        assert target.id in [p["id"] for p in body["patients"]], q
    body = client.get("/api/v1/patients?q=girard", headers=headers).get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 20


def test_search_pages(client, api_as, make_patient):
    for i in range(5):
        make_patient(last_name=f"Pagetest{i}")
    body = client.get("/api/v1/patients?q=pagetest&page=2&per_page=2", headers=api_as("nurse")).get_json()
    assert [p["last_name"] for p in body["patients"]] == ["Pagetest2", "Pagetest3"] and body["total"] == 5


def test_bad_page_is_422(client, api_as):
    assert client.get("/api/v1/patients?page=zero", headers=api_as("nurse")).status_code == 422


def test_read_patient_is_audited(client, api_as, make_patient, db):
    patient = make_patient()
    headers = api_as("physician")
    body = client.get(f"/api/v1/patients/{patient.id}", headers=headers).get_json()
    assert body["id"] == patient.id and "injection_history" in body
    events = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "patient.read", AuditEvent.patient_id == patient.id)
    ).scalars().all()
    assert len(events) == 1 and events[0].user_id == int(headers["X-Test-User"])


def test_search_is_audited_with_results(client, api_as, make_patient, db):
    patient = make_patient(last_name="Audited")
    client.get("/api/v1/patients?q=audited", headers=api_as("nurse"))
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "patient.search")).scalar_one()
    assert event.patient_id == patient.id and event.details["total"] == 1


def test_unknown_patient_is_404(client, api_as):
    response = client.get("/api/v1/patients/424242", headers=api_as("nurse"))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
